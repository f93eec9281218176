/**
 * Secrets stay out, offline as live. A plugin check that reads Secrets is unknown with the same
 * status and reason whether the audit reads the fixture API server (which lists Secrets in
 * discovery and holds one) or a snapshot (with Secrets as a typed SecretList, as items of a
 * List, in YAML, or none at all): a snapshot never makes the kind "listed, none". A check that
 * reads it optionally sees the same forbidden, empty collection. Secret data reaches neither the
 * plugin nor anything printed, and no request for Secrets is made.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NEVER_READ_REASON } from '../../src/k8s/inventory.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import { slimProjection } from '../../src/k8s/slim.js';
import type { Report } from '../../src/report/model.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer } from '../support/fixture-server.js';
import { runMain, type CliRun } from '../support/fixture-cli.js';

const SECRET_MARKER = 'kp-offline-secret-marker-7f3a';
const MARKERS = [SECRET_MARKER, Buffer.from(SECRET_MARKER).toString('base64')];
const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-offline-secrets-'));

const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'shop' },
  data: { password: Buffer.from(SECRET_MARKER).toString('base64') },
  stringData: { raw: SECRET_MARKER },
};

function file(name: string, content: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, content);
  return f;
}

const snapshots = {
  'a typed SecretList': file(
    'typed.json',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'NamespaceList', items: [namespace] },
        { apiVersion: 'v1', kind: 'SecretList', items: [secret] },
      ],
    }),
  ),
  'Secrets as items of a List': file('list.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [namespace, secret] })),
  'a YAML SecretList': file(
    'typed.yaml',
    `apiVersion: v1\nkind: NamespaceList\nitems:\n- metadata: {name: shop}\n---\napiVersion: v1\nkind: SecretList\nitems:\n- metadata: {name: db, namespace: shop}\n  data: {password: ${secret.data.password}}\n`,
  ),
  'no Secrets at all': file('none.json', JSON.stringify({ apiVersion: 'v1', kind: 'NamespaceList', items: [namespace] })),
};

/**
 * ACME-S1 needs Secrets (the engine must not call it); ACME-S2 reads them optionally and puts the
 * collection it was given in its subject's details, so the report shows what the plugin saw.
 */
const META = `title: 't', category: 'multitenancy', severity: 'low', rationale: 'r', remediation: 'f', references: [], messages: { m: 'm' }`;
const PLUGIN = file(
  'secrets.mjs',
  `const subject = (details) => ({ resource: { kind: 'Namespace', name: 'shop' }, verdict: 'info', details });
export default [
  { meta: { id: 'ACME-S1', ${META}, reads: ['Namespace', 'Secret'] },
    evaluate(ctx) { return { status: 'pass', subjects: [subject({ secret: ctx.collection('Secret') })], findings: [] }; } },
  { meta: { id: 'ACME-S2', ${META}, reads: ['Namespace'], optionalReads: ['Secret'] },
    evaluate(ctx) { return { status: 'pass', subjects: [subject({ secret: ctx.collection('Secret') })], findings: [] }; } },
];`,
);

let server: FixtureServer;
let live: CliRun;

beforeAll(async () => {
  server = await startFixtureServer({
    snapshot: [snapshots['a typed SecretList']],
    extra: [{ group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, items: [secret] }],
  });
  live = await runMain(['audit', '--plugin', PLUGIN, '--check', 'ACME-S1', '--check', 'ACME-S2', '--format', 'json'], {
    env: { KUBECONFIG: writeKubeconfig(server).file, NO_COLOR: '1' },
    cwd: dir,
  });
});

afterAll(async () => {
  expect(server.requests.filter((r) => /secrets/i.test(r.path))).toEqual([]);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

type Seen = { checks: unknown[]; secretRow: unknown };

/** What the audit says about Secrets: the two checks as reported, and the report's inventory row for the kind. */
function seen(run: CliRun): Seen {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(run.stdout) as Report;
  return {
    checks: report.checks.map(({ id, status, reason, subjects }) => ({ id, status, reason, subjects })),
    secretRow: report.inventory.find((row) => row.kind === 'Secret'),
  };
}

function expectNoSecretData(run: CliRun): void {
  expect(MARKERS.filter((m) => (run.stdout + run.stderr).includes(m))).toEqual([]);
}

describe('a plugin that reads Secrets', () => {
  test('live: the check that needs them is unknown, the one that reads them optionally sees them forbidden and empty', () => {
    const { checks, secretRow } = seen(live);
    const never = { status: 'forbidden', items: [], reason: NEVER_READ_REASON };
    expect(checks).toEqual([
      { id: 'ACME-S1', status: 'unknown', reason: `Secret is never listed: ${NEVER_READ_REASON}`, subjects: [] },
      {
        id: 'ACME-S2',
        status: 'pass',
        reason: undefined,
        subjects: [{ resource: { kind: 'Namespace', name: 'shop' }, verdict: 'info', details: { secret: never } }],
      },
    ]);
    expect(secretRow).toEqual({ kind: 'Secret', status: 'forbidden', count: 0, reason: NEVER_READ_REASON });
    expectNoSecretData(live);
  });

  test.each(Object.entries(snapshots))('offline, from a snapshot with %s: the same as live', async (what, snapshot) => {
    const run = await runMain(['audit', '--snapshot', snapshot, '--plugin', PLUGIN, '--check', 'ACME-S1', '--check', 'ACME-S2', '--format', 'json'], {
      cwd: dir,
    });
    const offline = seen(run);
    expect(offline.checks).toEqual(seen(live).checks);
    // The kind is in the report's inventory when the snapshot held some: dropped, as live never reads them.
    expect(offline.secretRow).toEqual(what === 'no Secrets at all' ? undefined : seen(live).secretRow);
    expectNoSecretData(run);
  });
});

describe('the snapshot loader', () => {
  test.each([
    ['on the main thread', false],
    ['in worker threads (large files)', true],
  ])('drops Secrets and reports the kind never read, %s', (_where, parallel) => {
    for (const snapshot of [snapshots['a typed SecretList'], snapshots['Secrets as items of a List']]) {
      let batches = 0;
      const inventory = loadSnapshot(
        [snapshot],
        dir,
        parallel
          ? {
              project: slimProjection(),
              slimInWorkers: {
                workers: 1,
                minBytes: 0,
                onStats: (s) => (batches += s.batches),
                onFallback: (why) => {
                  throw new Error(why);
                },
              },
            }
          : {},
      );
      expect(batches > 0).toBe(parallel);
      expect(inventory.kinds.get('Secret')).toEqual({ status: 'forbidden', items: [], reason: NEVER_READ_REASON });
      expect(inventory.kinds.get('Namespace')?.items).toHaveLength(1);
      expect(JSON.stringify([...inventory.kinds.values()])).not.toContain(secret.data.password);
    }
  });
});
