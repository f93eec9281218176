import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGES, writeLayout } from '../support/registry/layouts.js';
import { runMain } from '../support/fixture-cli.js';

describe('kposture image', () => {
  it('classifies OCI layouts with evidence in table and JSON, exit 1 with --fail-on, 2 on a bad reference, 3 when an image cannot be read', async () => {
    const work = mkdtempSync(join(tmpdir(), 'kposture-image-cli-'));
    try {
      const alpine = join(work, 'alpine');
      const distroless = join(work, 'distroless');
      await writeLayout(
        alpine,
        IMAGES.find((i) => i.repo === 'library/alpine')!,
        { tag: '3.20' },
      );
      await writeLayout(
        distroless,
        IMAGES.find((i) => i.repo === 'distroless/static')!,
        { tag: '1' },
      );
      const env = { NO_COLOR: '1', HOME: work, XDG_CACHE_HOME: join(work, 'cache'), COLUMNS: '80' };
      const table = await runMain(['image', '-q', `oci:${alpine}:3.20`, `oci:${distroless}:1`], { env });
      expect(table.code).toBe(0);
      expect(table.stdout).toContain(`oci:${alpine}:3.20\n  class: minimal (linux/amd64)`);
      expect(table.stdout).toContain('  - os-release PRETTY_NAME="Distroless"');
      expect(table.stdout.split('\n').every((l) => l.length <= 80 || !l.includes(' '))).toBe(true);
      // the digest stays whole, on a line of its own at 80 columns
      expect(table.stdout).toMatch(/^ {4}sha256:[0-9a-f]{64}$/m);

      const json = await runMain(['image', '-q', '--format', 'json', `oci:${distroless}:1`], { env });
      const parsed = JSON.parse(json.stdout) as { images: { ref: string; status: string; class: string; evidence: string[] }[] };
      expect(parsed.images[0]).toMatchObject({ ref: `oci:${distroless}:1`, status: 'proven', class: 'distroless' });
      expect(parsed.images[0]!.evidence).toContain('no package manager');

      expect((await runMain(['image', '-q', '--fail-on', 'minimal', `oci:${alpine}:3.20`], { env })).code).toBe(1);
      expect((await runMain(['image', '-q', '--fail-on', 'full', `oci:${alpine}:3.20`], { env })).code).toBe(0);
      const bad = await runMain(['image', 'Not A Ref'], { env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('Not A Ref: image reference contains whitespace');
      const unreadable = await runMain(['image', '-q', `oci:${alpine}:no-such-tag`], { env });
      expect(unreadable.code).toBe(3);
      expect(unreadable.stdout).toContain('class: unknown: oci:');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
