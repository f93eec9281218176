/**
 * Deeply nested objects: every path that reads or copies one recurses per level, and the stack
 * runs out at a few thousand. Objects (and lists inside lists) nested more than MAX_OBJECT_DEPTH
 * levels are refused where they enter, with exit 2 and one line naming the file and the object;
 * objects up to the limit are read, copied to a plugin's worker and written by
 * `kposture snapshot` whole. Never an internal error (exit 4).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { MAX_OBJECT_DEPTH, depthOf, isTooDeep } from '../../src/k8s/depth.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import { slimProjection } from '../../src/k8s/slim.js';
import type { Report } from '../../src/report/model.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer, type RecordedRequest } from '../support/fixture-server.js';
import { runMain, type CliRun } from '../support/fixture-cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-deep-'));
const servers: FixtureServer[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** JSON text of `{"a":{"a":…"x"…}}`, `levels` objects deep, built as text (JSON.stringify itself overflows). */
function nestedText(levels: number): string {
  return `${'{"a":'.repeat(levels)}"x"${'}'.repeat(levels)}`;
}

/** A ConfigMap in namespace shop whose `extra` field nests so that the whole object is `depth` levels deep. */
function configMapText(depth: number): string {
  return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep","namespace":"shop"},"extra":${nestedText(depth - 1)}}`;
}

function file(name: string, content: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, content);
  return f;
}

function snapshotWith(name: string, depth: number): string {
  return file(name, `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}},${configMapText(depth)}]}`);
}

const plugin = file(
  'configmaps.mjs',
  `export default { meta: { id: 'ACME-02', title: 'Reads ConfigMaps', category: 'multitenancy', severity: 'low', rationale: 'r', remediation: 'f',
    references: [], reads: ['ConfigMap'], messages: { m: 'm' } },
  evaluate(ctx) { return { status: 'pass', subjects: ctx.items('ConfigMap').map((c) => ({ resource: { kind: 'ConfigMap', namespace: c.metadata.namespace, name: c.metadata.name }, verdict: 'pass' })), findings: [] }; } };`,
);

/** Exit 2, one line that names `named` and says the object is too deep; no stack trace, nothing on stdout. */
function expectRefused(run: CliRun, ...named: string[]): void {
  const lines = run.stderr.split('\n').filter(Boolean);
  expect({ code: run.code, lines: lines.length, stderr: run.stderr }).toMatchObject({ code: 2, lines: 1 });
  for (const n of named) expect(lines[0]).toContain(n);
  expect(lines[0]).toMatch(new RegExp(`nest(ed|s) (more than ${MAX_OBJECT_DEPTH} levels deep|too deeply)`));
  expect(run.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(run.stdout).toBe('');
}

describe('depthOf', () => {
  test.each([
    ['a scalar', 'x', 0],
    ['null', null, 0],
    ['an empty object', {}, 1],
    ['an object of scalars', { a: 1, b: 'x' }, 1],
    ['an array of objects', [{ a: 1 }, {}], 2],
    ['the deepest branch', { a: { b: { c: [1] } }, d: 1 }, 4],
  ])('measures %s', (_what, value, depth) => {
    expect(depthOf(value)).toBe(depth);
  });

  test('measures 100,000 levels without recursion, and stops early when asked', () => {
    const deep = JSON.parse(nestedText(100_000)) as unknown;
    expect(depthOf(deep)).toBe(100_000);
    expect(depthOf(deep, 10)).toBe(11);
    expect(isTooDeep(deep)).toBe(true);
    expect(isTooDeep(JSON.parse(nestedText(MAX_OBJECT_DEPTH)))).toBe(false);
    expect(isTooDeep(JSON.parse(nestedText(MAX_OBJECT_DEPTH + 1)))).toBe(true);
  });
});

describe('audit --snapshot', () => {
  describe.each([5_000, 100_000])('an object %i levels deep', (depth) => {
    const snapshot = snapshotWith(`deep-${depth}.json`, depth);

    test.each([
      ['without a plugin', []],
      ['with a plugin that reads it', ['--plugin', plugin]],
    ])('is refused with exit 2 naming the file and the object, %s', async (_how, extra) => {
      expectRefused(
        await runMain(['audit', '--snapshot', snapshot, ...extra, '--format', 'json'], { cwd: dir }),
        `deep-${depth}.json`,
        'ConfigMap shop/deep',
        'items[1]',
      );
    });
  });

  test('an object at the limit is audited, and copied to a plugin whole; one level more is refused', async () => {
    const at = snapshotWith('at-limit.json', MAX_OBJECT_DEPTH);
    const run = await runMain(['audit', '--snapshot', at, '--plugin', plugin, '--check', 'ACME-02', '--format', 'json'], { cwd: dir });
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as Report;
    expect(report.checks[0]).toMatchObject({ id: 'ACME-02', status: 'pass', subjects: [{ resource: { name: 'deep' } }] });
    expectRefused(
      await runMain(['audit', '--snapshot', snapshotWith('over-limit.json', MAX_OBJECT_DEPTH + 1)], { cwd: dir }),
      'over-limit.json',
      'ConfigMap shop/deep',
    );
  });

  test.each([5_000, 100_000])('a YAML object %i levels deep is refused with exit 2 naming the file', async (depth) => {
    const yaml = file(
      `deep-${depth}.yaml`,
      `apiVersion: v1\nkind: ConfigMapList\nitems:\n- metadata: {name: deep, namespace: shop}\n  extra: ${nestedText(depth)}\n`,
    );
    expectRefused(await runMain(['audit', '--snapshot', yaml, '--plugin', plugin], { cwd: dir }), `deep-${depth}.yaml`);
  });

  test.each([
    ['JSON', 'json'],
    ['YAML', 'yml'],
  ])('lists inside lists 5,000 deep (%s) are refused with exit 2 naming the file', async (_format, ext) => {
    const lists = file(
      `lists.${ext}`,
      `${'{"kind":"List","apiVersion":"v1","items":['.repeat(5_000)}{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}${']}'.repeat(5_000)}`,
    );
    expectRefused(await runMain(['audit', '--snapshot', lists], { cwd: dir }), `lists.${ext}`, 'a list inside lists');
  });

  test('the worker threads that read large files refuse the same object with the same line', () => {
    const typed = file(
      'typed.json',
      `{"apiVersion":"v1","kind":"ConfigMapList","items":[{"metadata":{"name":"fine","namespace":"shop"}},${configMapText(5_000).replace('"apiVersion":"v1","kind":"ConfigMap",', '')}]}`,
    );
    const fallbacks: string[] = [];
    const read = (): unknown =>
      loadSnapshot([typed], dir, { project: slimProjection(), slimInWorkers: { workers: 1, minBytes: 0, onFallback: (why) => fallbacks.push(why) } });
    expect(read).toThrow('snapshot typed.json: ConfigMap shop/deep (items[1]) is nested more than');
    expect(fallbacks).toHaveLength(1);
  });
});

describe('kposture snapshot', () => {
  /** Serves the fixture's Namespace list with one more namespace whose `extra` field nests `depth` levels. */
  async function serverWithDeepNamespace(depth: number): Promise<FixtureServer> {
    const intercept = (req: RecordedRequest, res: http.ServerResponse, answer: () => { status: number; body: unknown }): boolean => {
      if (req.path !== '/api/v1/namespaces') return false;
      const { status, body } = answer();
      const list = body as { items: unknown[] };
      list.items.push({ metadata: { name: 'deep', uid: 'uid-deep' }, extra: '__DEEP__' });
      const text = JSON.stringify(list).replace('"__DEEP__"', nestedText(depth));
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return true;
    };
    const server = await startFixtureServer({
      extra: [{ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, items: [{ metadata: { name: 'shop' } }] }],
      intercept,
    });
    servers.push(server);
    return server;
  }

  test.each([5_000, 100_000])('a served object %i levels deep: its kind is an error naming it and left out, no crash', async (depth) => {
    const server = await serverWithDeepNamespace(depth);
    const out = path.join(dir, `snap-${depth}.json`);
    const run = await runMain(['snapshot', '-o', out], { env: { KUBECONFIG: writeKubeconfig(server).file, NO_COLOR: '1' }, cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'left out Namespace: error: the answer to GET /api/v1/namespaces is not a NamespaceList: items[1] (Namespace deep) is nested more than 500 levels deep',
    );
    expect(run.stderr).not.toMatch(/\n\s+at |stack/);
    expect(loadSnapshot([out]).kinds.get('Namespace')).toBeUndefined();
  });

  test('a served object at the limit is written whole, and the file is read back', async () => {
    const server = await serverWithDeepNamespace(MAX_OBJECT_DEPTH - 1);
    const out = path.join(dir, 'snap-at-limit.json');
    const run = await runMain(['snapshot', '-o', out], { env: { KUBECONFIG: writeKubeconfig(server).file, NO_COLOR: '1' }, cwd: dir });
    expect(run.code).toBe(0);
    const deep = loadSnapshot([out])
      .kinds.get('Namespace')!
      .items.find((n) => (n.metadata as { name: string }).name === 'deep')!;
    expect(depthOf(deep)).toBe(MAX_OBJECT_DEPTH);
    expect(readFileSync(out, 'utf8')).toContain('"a": {');
  });
});
