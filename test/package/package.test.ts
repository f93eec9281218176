/**
 * The npm package: what `npm pack` would publish (what runs, its types, its data; no tests,
 * fixtures, benchmarks or deployment files), and its public entry as a plugin author uses it:
 * `import { defineCheck } from 'kposture'` type-checks with TypeScript (a misspelled messageId does
 * not) and runs under `--plugin`. `.ci/pack-smoke` installs the real tarball and runs it on every
 * Node of KPOSTURE_E2E_NODES.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, removeDir, runCli, tempDir, WEAK } from '../cli/run.js';

interface PackedFile {
  path: string;
}

const dir = tempDir('package');
let files: string[] = [];

beforeAll(() => {
  // --ignore-scripts: the list only, no build; --dry-run: no tarball.
  const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`npm pack failed: ${run.stderr}`);
  files = (JSON.parse(run.stdout) as { files: PackedFile[] }[])[0]!.files.map((f) => f.path).sort();
  // A folder where `kposture` resolves to this repository, as it would to the installed package.
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(REPO_ROOT, path.join(dir, 'node_modules', 'kposture'), 'dir');
}, 120_000);
afterAll(() => removeDir(dir));

describe('npm pack', () => {
  it('ships what runs, its types and its data, and nothing of development', () => {
    expect(files.filter((f) => /^(test|fixtures|bench|deploy|examples|docs|\.ci|\.github|src|checks)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /^dist\/(test|bench)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /^(Dockerfile|action\.yml|tsconfig.*\.json|jest\.config\.js|eslint\.config\.js|knip\.jsonc)$/.test(f))).toEqual([]);
    for (const needed of [
      'package.json',
      'README.md',
      'bin/kposture.js',
      'dist/src/cli/main.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/checks/index.js',
    ]) {
      expect(files).toContain(needed);
    }
    expect(files.some((f) => f.startsWith('catalog/') && f.endsWith('.json'))).toBe(true);
    expect(files).toContain('schemas/config.schema.json');
  });

  it('ships every file the exports and their declarations name', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
      types: string;
      bin: Record<string, string>;
    };
    const named = [...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))), pkg.types, ...Object.values(pkg.bin)].map(
      (f) => path.posix.normalize(f),
    );
    for (const f of named) expect(files).toContain(f);
    // The declarations of the public entry, followed through their relative imports.
    const seen = new Set<string>();
    const queue = ['dist/src/index.d.ts'];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      expect(files).toContain(file);
      const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      for (const m of text.matchAll(/from '(\.[^']+)\.js'/g)) queue.push(path.posix.join(path.posix.dirname(file), `${m[1]}.d.ts`));
    }
    expect(seen.size).toBeGreaterThan(3);
  });
});

const PLUGIN_TS = `import { defineCheck, kubectl, labelsOf, nameOf, refOf, type Finding, type Subject } from 'kposture';

export default defineCheck({
  meta: {
    id: 'ACME-01',
    title: 'Namespaces carry an owner label',
    category: 'multitenancy',
    severity: 'low',
    rationale: 'Every namespace needs an owner who answers for it.',
    remediation: 'kubectl label namespace <ns> owner=<team>',
    references: [],
    reads: ['Namespace'],
    messages: { noOwner: 'Namespace {ns} has no owner label' },
  },
  evaluate(ctx, report) {
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const ns of ctx.items('Namespace')) {
      const name = nameOf(ns);
      if (ctx.isSystemNamespace(name)) continue;
      const resource = refOf(ns, 'Namespace');
      const ok = Boolean(labelsOf(ns).owner);
      subjects.push({ resource, verdict: ok ? 'pass' : 'fail' });
      if (!ok) {
        const verify = kubectl('get', 'namespace', name, '--show-labels');
        findings.push(report(MESSAGE, { data: { ns: name }, resource, field: 'metadata.labels.owner', evidence: 'label absent', verify }));
      }
    }
    return { status: findings.length ? 'fail' : 'pass', subjects, findings };
  },
});
`;

/** tsc on the plugin files, as a plugin author would run it: strict, NodeNext, declarations checked too. */
function typecheck(sources: Record<string, string>): { status: number | null; output: string } {
  for (const [name, source] of Object.entries(sources)) writeFileSync(path.join(dir, name), source);
  // @types/node for `--types node`, from this repository.
  if (!existsSync(path.join(dir, 'node_modules', '@types')))
    symlinkSync(path.join(REPO_ROOT, 'node_modules', '@types'), path.join(dir, 'node_modules', '@types'), 'dir');
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const options = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node'];
  const run = spawnSync(process.execPath, [tsc, ...options, ...Object.keys(sources)], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("import { defineCheck } from 'kposture'", () => {
  it('type-checks a plugin, and makes a misspelled messageId a compile error', () => {
    const run = typecheck({ 'good.mts': PLUGIN_TS.replace('MESSAGE', "'noOwner'"), 'typo.mts': PLUGIN_TS.replace('MESSAGE', "'noOwnr'") });
    const errors = run.output.split('\n').filter(Boolean);
    expect(errors).toEqual([
      expect.stringMatching(/^typo\.mts\(\d+,\d+\): error TS2345: Argument of type '"noOwnr"' is not assignable to parameter of type '"noOwner"'/),
    ]);
    expect(run.status).not.toBe(0);
  }, 180_000);

  it('runs as a --plugin module', async () => {
    const plugin = path.join(dir, 'acme.mjs');
    // The same plugin as JavaScript: the types stripped by hand.
    writeFileSync(
      plugin,
      PLUGIN_TS.replace(', type Finding, type Subject', '').replace(': Subject[]', '').replace(': Finding[]', '').replace('MESSAGE', "'noOwner'"),
    );
    const run = await runCli(['audit', '--snapshot', WEAK, '--plugin', plugin, '--check', 'ACME-01', '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { checks: { id: string; status: string; findings: { message: string }[] }[] };
    const check = report.checks.find((c) => c.id === 'ACME-01')!;
    expect(check.status).toBe('fail');
    expect(check.findings.length).toBeGreaterThan(0);
    expect(check.findings[0]!.message).toMatch(/^Namespace \S+ has no owner label$/);
  });
});
