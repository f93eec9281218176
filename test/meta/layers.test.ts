/**
 * The layers hold: no import runs up a layer or across to another group of the same layer, and no
 * files import each other in a circle. The layer order is written once, in .dependency-cruiser.cjs;
 * dependency-cruiser checks the tree against it. A small tree of its own with one upward import
 * and one circle proves the check is not blind.
 */
import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/fixture-server.js';

const run = promisify(execFile);
const DEPCRUISE = path.join(REPO_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

async function violations(root: string): Promise<Violation[]> {
  const { stdout } = await run(
    process.execPath,
    [DEPCRUISE, '--config', path.join(REPO_ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json', 'src', 'checks', 'bench'],
    {
      cwd: root,
      maxBuffer: 64 * 2 ** 20,
    },
  ).catch((err: unknown) => ({ stdout: (err as { stdout?: string }).stdout ?? '' }));
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('layers', () => {
  test('the source tree has no upward import and no circle', async () => {
    expect((await violations(REPO_ROOT)).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  }, 120_000);

  test('an upward import, an import across one layer and a circle are each reported', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'kposture-layers-'));
    try {
      const write = (file: string, text: string): void => {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      };
      copyFileSync(path.join(REPO_ROOT, 'tsconfig.json'), path.join(root, 'tsconfig.json'));
      write('src/util/a.ts', 'export const a = 1;\n');
      write('src/k8s/up.ts', "import { run } from '../engine/run.js';\nexport const up = run;\n");
      write('src/engine/run.ts', "import { a } from '../util/a.js';\nexport const run = a;\n");
      write('checks/c.ts', "import { model } from '../src/report/model.js';\nexport const c = model;\n");
      write('src/report/model.ts', 'export const model = 1;\n');
      write('bench/b.ts', "import { model } from '../src/report/model.js';\nexport const b = model;\n");
      write('src/inventory/x.ts', "import { y } from './y.js';\nexport const x = (): number => y();\n");
      write('src/inventory/y.ts', "import { x } from './x.js';\nexport const y = (): number => x();\n");
      const found = (await violations(root)).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
      expect(found).toEqual([
        'layer:checks: checks/c.ts -> src/report/model.ts',
        'layer:src/k8s: src/k8s/up.ts -> src/engine/run.ts',
        'no-circular: src/inventory/x.ts -> src/inventory/y.ts',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
