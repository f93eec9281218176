/**
 * Data hygiene: markers planted in every env value (containers, init and ephemeral containers,
 * every pod template: Deployments, DaemonSets, StatefulSets, Jobs, CronJobs, ReplicaSets, pods),
 * in every object's last-applied-configuration annotation, and in Secret data, must appear in
 * nothing kposture prints or writes: the snapshot file, every report format, live and from a
 * snapshot, with --debug, and with a plugin loaded (which makes the audit keep whole objects).
 * What is kept around them (env names, secretKeyRef references, other annotations) stays, so the
 * test cannot pass by writing nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFixtureServer, writeKubeconfig, type FixtureServer, servedSecret } from '../support/fixture-server.js';
import { syntheticCluster } from '../support/fixture-cluster.js';
import { runMain } from '../support/fixture-cli.js';
import { readOnlyViolations } from '../support/read-only.js';

const ENV_MARKER = 'kp-env-value-marker-5e6f';
const APPLIED_MARKER = 'kp-last-applied-marker-8a9b';
const SECRET_MARKER = 'kp-secret-data-marker-1c2d';
const MARKERS = [ENV_MARKER, APPLIED_MARKER, SECRET_MARKER, Buffer.from(SECRET_MARKER).toString('base64')];
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-hygiene-'));
let server: FixtureServer;
let clusterFile: string;
let planted = { env: 0, applied: 0 };

/** Adds marker env values to every container list and a marker last-applied annotation to every object's metadata. */
function plant(value: unknown, counts: { env: number; applied: number }): unknown {
  if (Array.isArray(value)) return value.map((v) => plant(v, counts));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (['containers', 'initContainers', 'ephemeralContainers'].includes(k) && Array.isArray(v)) {
      out[k] = v.map((c: Record<string, unknown>) => {
        counts.env++;
        const env: unknown[] = Array.isArray(c.env) ? c.env : [];
        return {
          ...(plant(c, counts) as Record<string, unknown>),
          env: [
            ...env,
            { name: 'PLANTED_TOKEN', value: `${ENV_MARKER}-${counts.env}` },
            { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          ],
        };
      });
    } else if (k === 'metadata' && v !== null && typeof v === 'object' && typeof (v as Record<string, unknown>).name === 'string') {
      counts.applied++;
      const meta = plant(v, counts) as Record<string, unknown>;
      const annotations = {
        ...((meta.annotations as Record<string, string> | undefined) ?? {}),
        [LAST_APPLIED]: JSON.stringify({ note: APPLIED_MARKER }),
        'example.com/kept': 'visible',
      };
      out[k] = { ...meta, annotations };
    } else {
      out[k] = plant(v, counts);
    }
  }
  return out;
}

/** Workloads of every kind that holds a pod template, so that every place env can hide is covered. */
function workloads(): Record<string, Record<string, unknown>[]> {
  const template = (app: string): Record<string, unknown> => ({
    metadata: { labels: { app } },
    spec: {
      containers: [{ name: 'main', image: 'cgr.dev/chainguard/static:latest' }],
      initContainers: [{ name: 'init', image: 'busybox:1.36' }],
      ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36' }],
    },
  });
  const meta = (name: string): Record<string, unknown> => ({ name, namespace: 'team-a', uid: `uid-${name}` });
  return {
    DaemonSetList: [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('agent'), spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent') } },
    ],
    StatefulSetList: [
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: meta('db'),
        spec: { replicas: 2, selector: { matchLabels: { app: 'db' } }, template: template('db') },
      },
    ],
    JobList: [{ apiVersion: 'batch/v1', kind: 'Job', metadata: meta('migrate'), spec: { template: template('migrate') } }],
    CronJobList: [
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: meta('nightly'),
        spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: template('nightly') } } },
      },
    ],
  };
}

beforeAll(async () => {
  const list = syntheticCluster({ namespaces: 2, podsPerNamespace: 2 }) as { items: { kind: string; items: Record<string, unknown>[] }[] };
  const extra = workloads();
  for (const l of list.items) if (extra[l.kind]) l.items.push(...extra[l.kind]!);
  const counts = { env: 0, applied: 0 };
  const marked = plant(list, counts) as typeof list;
  planted = counts;
  // A Secret in the data a snapshot audit reads, and one the server holds.
  marked.items.push({
    kind: 'SecretList',
    items: [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db', namespace: 'team-a' },
        data: { password: Buffer.from(SECRET_MARKER).toString('base64') },
        stringData: { raw: SECRET_MARKER },
      },
    ],
  });
  clusterFile = path.join(dir, 'marked.json');
  writeFileSync(clusterFile, JSON.stringify(marked));
  server = await startFixtureServer({
    snapshot: [clusterFile],
    extra: [servedSecret(Buffer.from(SECRET_MARKER).toString('base64'))],
  });
});

afterAll(async () => {
  expect(readOnlyViolations(server.requests)).toEqual([]);
  await server.close();
});

const PLUGIN = path.join(dir, 'plugin.mjs');
writeFileSync(
  PLUGIN,
  `export default { meta: { id: 'ACME-01', title: 'Pods exist', category: 'multitenancy', severity: 'low', rationale: 'r', remediation: 'f', references: [], reads: ['Pod'], messages: { none: 'no pods' } },
  evaluate(ctx) { return { status: 'pass', subjects: [], findings: [] }; } };`,
);

function expectClean(text: string): void {
  expect(MARKERS.filter((m) => text.includes(m))).toEqual([]);
}

describe('no env value, Secret data or last-applied-configuration in anything written or printed', () => {
  test('the served data really carries the markers (or this test would prove nothing)', () => {
    const raw = readFileSync(clusterFile, 'utf8');
    for (const m of [ENV_MARKER, APPLIED_MARKER, SECRET_MARKER]) expect(raw).toContain(m);
    expect(planted.env).toBeGreaterThan(40);
    expect(planted.applied).toBeGreaterThanOrEqual(30);
    expect(JSON.stringify(server.objects('DaemonSet.apps'))).toContain(ENV_MARKER);
    expect(JSON.stringify(server.objects('CronJob.batch'))).toContain(ENV_MARKER);
  });

  test('kposture snapshot -o: values gone, names and references kept', async () => {
    const file = path.join(dir, 'snap.json');
    const run = await runMain(['snapshot', '--debug', '-o', file, '--kubeconfig', writeKubeconfig(server).file]);
    expect(run.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expectClean(text + run.stdout + run.stderr);
    expect(text).not.toContain(LAST_APPLIED);
    expect(text).not.toContain('managedFields');
    // Kept: env names, Secret references, other annotations, and every workload kind.
    expect(text.split('"PLANTED_TOKEN"').length - 1).toBeGreaterThan(40);
    expect(text).toContain('"secretKeyRef"');
    expect(text).toContain('"example.com/kept": "visible"');
    // (CronJobs are read by no check, so not snapshotted: their planted values cannot leak either way.)
    for (const kind of ['DaemonSetList', 'StatefulSetList', 'JobList', 'DeploymentList', 'ReplicaSetList', 'PodList'])
      expect(text).toContain(`"kind": "${kind}"`);
    expect(text).not.toContain('"SecretList"');
  });

  test.each([
    ['live', []],
    ['live, with a plugin (whole objects)', ['--plugin', PLUGIN]],
    ['snapshot', ['--snapshot', 'MARKED']],
    ['snapshot, with a plugin (whole objects)', ['--snapshot', 'MARKED', '--plugin', PLUGIN]],
  ])('audit (%s): every report format, --debug', async (_name, extra) => {
    const args = extra.map((a) => (a === 'MARKED' ? clusterFile : a));
    const live = !args.includes('--snapshot');
    const out = mkdtempSync(path.join(dir, 'reports-'));
    const run = await runMain([
      'audit',
      '--debug',
      ...(live ? ['--kubeconfig', writeKubeconfig(server).file] : []),
      ...args,
      '--format',
      'table',
      '--report',
      `json=${path.join(out, 'r.json')}`,
      '--report',
      `sarif=${path.join(out, 'r.sarif')}`,
    ]);
    expect(run.code).toBe(0);
    const files = readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8'));
    expect(files).toHaveLength(2);
    const report = JSON.parse(files.find((f) => f.includes('"schemaVersion"'))!) as { checks: { findings: unknown[]; subjects: unknown[] }[] };
    // The reports are full of the cluster's objects (so a leak had room to happen).
    expect(report.checks.reduce((n, c) => n + c.findings.length + c.subjects.length, 0)).toBeGreaterThan(20);
    expectClean([run.stdout, run.stderr, ...files].join('\n'));
  });
});
