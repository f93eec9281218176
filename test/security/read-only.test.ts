/**
 * kposture only reads: every command and flag combination the CLI has, run against one recording
 * fixture server, sends nothing but GET, never a watch, never a request that touches Secrets, and
 * nothing the printed ClusterRole would refuse. Commands that need no cluster send nothing.
 * The helper that judges the log is itself shown to catch a write and a Secrets read.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { PolicyRule } from '../../src/inventory/rbac-policy.js';
import { startFixtureServer, writeKubeconfig, TLS_DIR, type FixtureServer, servedSecret } from '../support/fixture-server.js';
import { writeSyntheticCluster } from '../support/fixture-cluster.js';
import { runMain } from '../support/fixture-cli.js';
import { readOnlyViolations } from '../support/read-only.js';
import { allows, attributesOf, clusterRoleRules } from '../support/rbac-enforcer.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-readonly-'));
let server: FixtureServer;
let kubeconfig: string;
let role: PolicyRule[];

const PLUGIN = path.join(dir, 'owner.mjs');
writeFileSync(
  PLUGIN,
  `export default { meta: { id: 'ACME-01', title: 'Namespaces carry an owner label', category: 'multitenancy', severity: 'low',
  rationale: 'r', remediation: 'f', references: [], reads: ['Namespace', 'Secret'], messages: { noOwner: 'Namespace {ns} has no owner label' } },
  evaluate(ctx) { return { status: 'pass', subjects: [], findings: [] }; } };`,
);
const CONFIG = path.join(dir, 'kposture.yaml');
writeFileSync(CONFIG, 'systemNamespaces: [kube-system, kube-public, kube-node-lease, kyverno]\nchecks:\n  disable: [NP-06]\n');

beforeAll(async () => {
  server = await startFixtureServer({
    snapshot: [writeSyntheticCluster({ namespaces: 3, podsPerNamespace: 2 })],
    // A Secret the server would serve if asked (it answers 403 anyway; the log is what counts).
    extra: [servedSecret('c2VjcmV0')],
  });
  kubeconfig = writeKubeconfig(server, { context: 'ro', dir }).file;
  role = clusterRoleRules((await runMain(['rbac'])).stdout);
});

afterAll(async () => {
  await server.close();
});

const out = (name: string): string => path.join(dir, name);

/** Every live command and flag; `{kc}` is the kubeconfig. */
const LIVE: string[][] = [
  ['audit'],
  ['audit', '--format', 'json'],
  ['audit', '--format', 'sarif', '-o', out('a.sarif')],
  ['audit', '--format', 'table', '--no-color', '--report', `json=${out('r.json')}`, '--report', `sarif=${out('r.sarif')}`, '--report', `table=${out('r.txt')}`],
  ['audit', '--check', 'MT-04', '--check', 'NP-02'],
  ['audit', '--skip', 'NP-02', '--skip', 'IMG-01'],
  ['audit', '--system-namespaces', 'kube-system,team-a'],
  ['audit', '--config', CONFIG],
  ['audit', '--plugin', PLUGIN, '--plugin-timeout', '5'],
  ['audit', '--fail-under', '99', '--min-coverage', '100'],
  ['audit', '--request-timeout', '5', '--timeout', '60'],
  ['audit', '--debug', '--format', 'json'],
  ['--debug', 'audit'],
  ['audit', '--context', 'ro'],
  ['snapshot', '-o', out('s1.json')],
  ['snapshot', '-o', out('s2.json'), '--debug', '--request-timeout', '5', '--timeout', '60', '--context', 'ro'],
];

const OFFLINE: string[][] = [
  ['checks'],
  ['explain', 'MT-04'],
  ['rbac'],
  ['rbac', '--subject-kind', 'User', '--subject-name', 'auditor'],
  ['--version'],
  ['--help'],
  ['audit', '--help'],
];

describe('every command and flag sends only GETs, never for Secrets', () => {
  test.each(LIVE.map((args) => [args.join(' '), args] as const))('kposture %s', async (_name, args) => {
    const before = server.requests.length;
    const run = await runMain([...args, '--kubeconfig', kubeconfig]);
    expect([0, 1]).toContain(run.code);
    const mine = server.requests.slice(before);
    expect(mine.length).toBeGreaterThan(3);
    expect(readOnlyViolations(mine)).toEqual([]);
    expect(mine.filter((r) => r.status === 401)).toEqual([]);
    // Everything asked for is something the printed ClusterRole allows.
    expect(mine.filter((r) => !allows(role, attributesOf(r))).map((r) => r.path)).toEqual([]);
  });

  test('through KUBECONFIG instead of --kubeconfig, too', async () => {
    const before = server.requests.length;
    const run = await runMain(['audit', '--format', 'json'], { env: { KUBECONFIG: kubeconfig } });
    expect(run.code).toBe(0);
    expect(readOnlyViolations(server.requests.slice(before))).toEqual([]);
    expect(server.requests.length - before).toBeGreaterThan(3);
  });

  test.each(OFFLINE.map((args) => [args.join(' '), args] as const))('kposture %s talks to no cluster', async (_name, args) => {
    const before = server.requests.length;
    const run = await runMain(args, { env: { KUBECONFIG: kubeconfig } });
    expect(run.code).toBe(0);
    expect(server.requests.length).toBe(before);
  });

  test('over the whole run: only GET, and a plugin that declares Secret does not get them read', () => {
    expect(new Set(server.requests.map((r) => r.method))).toEqual(new Set(['GET']));
    expect(readOnlyViolations(server.requests)).toEqual([]);
    expect(server.requests.length).toBeGreaterThan(200);
  });
});

describe('the request log judge', () => {
  test('catches a write, a Secrets read and a watch', async () => {
    const s = await startFixtureServer({ snapshot: [writeSyntheticCluster({ namespaces: 1, podsPerNamespace: 1 })] });
    try {
      const ca = readFileSync(path.join(TLS_DIR, 'ca.crt'));
      const send = (method: string, p: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const url = new URL(p, s.url);
          const req = https.request(
            { method, hostname: url.hostname, port: url.port, path: url.pathname + url.search, ca, headers: { Authorization: `Bearer ${s.token}` } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end();
        });
      await send('GET', '/api/v1/namespaces');
      expect(readOnlyViolations(s.requests)).toEqual([]);
      await send('DELETE', '/api/v1/namespaces/default');
      await send('GET', '/api/v1/namespaces/team-a/secrets');
      await send('GET', '/api/v1/pods?watch=true');
      expect(readOnlyViolations(s.requests)).toEqual([
        'DELETE /api/v1/namespaces/default: not a GET',
        'GET /api/v1/namespaces/team-a/secrets: touches Secrets',
        'GET /api/v1/pods?watch=true: a watch',
      ]);
    } finally {
      await s.close();
    }
  });
});
