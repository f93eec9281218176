import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { kindsToCollect } from '../../src/engine/run.js';
import { collectLiveInventory } from '../../src/inventory/live.js';
import { loadSnapshot, SNAPSHOT_ANNOTATIONS } from '../../src/inventory/snapshot.js';
import { scrub } from '../../src/cli/commands/snapshot.js';
import { KINDS, kindSpec } from '../../src/k8s/kinds.js';
import { field, refKey, refOf, type K8sObject } from '../../src/k8s/object.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer } from '../support/fixture-server.js';
import { FIXTURE_MARKER, writeSyntheticCluster } from '../support/fixture-cluster.js';
import { runMain } from '../support/fixture-cli.js';

let server: FixtureServer;
let kubeconfig: string;
let out: string;

beforeAll(async () => {
  server = await startFixtureServer({
    snapshot: [writeSyntheticCluster({ finishedPods: 2 })],
    forbidden: [KINDS.ReplicaSet],
    extra: [
      {
        group: 'constraints.gatekeeper.sh',
        version: 'v1beta1',
        resource: 'k8srequiredlabels',
        kind: 'K8sRequiredLabels',
        namespaced: false,
        items: [{ metadata: { name: 'must-have-team' }, spec: {} }],
      },
    ],
  });
  kubeconfig = writeKubeconfig(server, { context: 'kind-dev' }).file;
  out = path.join(mkdtempSync(path.join(os.tmpdir(), 'kposture-snap-')), 'nested', 'cluster.json');
});

afterAll(async () => {
  expect(server.requests.filter((r) => r.method !== 'GET' || /secrets/.test(r.path))).toEqual([]);
  await server.close();
});

/** Snapshot every kind kposture knows, so the round trip covers more than today's checks read. */
async function writeSnapshot(extraArgs: string[] = []): Promise<Awaited<ReturnType<typeof runMain>>> {
  return runMain(['snapshot', '-o', out, '--kubeconfig', kubeconfig, ...extraArgs]);
}

describe('kposture snapshot -o FILE', () => {
  test('writes one List of typed lists that loadSnapshot reads back to the same kinds and objects', async () => {
    const run = await writeSnapshot();
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^wrote .*cluster\.json: \d+ kinds, \d+ objects from context "kind-dev"\n$/m);

    const written = JSON.parse(readFileSync(out, 'utf8')) as {
      apiVersion: string;
      kind: string;
      metadata: { annotations: Record<string, string> };
      items: { apiVersion: string; kind: string; items: K8sObject[] }[];
    };
    expect([written.apiVersion, written.kind]).toEqual(['v1', 'List']);
    expect(written.metadata.annotations[SNAPSHOT_ANNOTATIONS.context]).toBe('kind-dev');
    expect(written.metadata.annotations[SNAPSHOT_ANNOTATIONS.serverVersion]).toBe('v1.30.3');

    const wanted = kindsToCollect(BUILTIN_CHECKS);
    const live = await collectLiveInventory({ kubeconfig, kinds: wanted });
    const loaded = loadSnapshot([out]);
    for (const id of wanted) {
      const l = live.kinds.get(id)!;
      const s = loaded.kinds.get(id);
      if (l.status === 'ok' || l.status === 'not-served') {
        expect({ id, status: s?.status }).toEqual({ id, status: l.status });
        const keys = (items: readonly K8sObject[]): string[] => items.map((o) => refKey(refOf(o))).sort();
        expect(keys(s!.items)).toEqual(keys(l.items));
        expect(s!.items).toEqual(l.items.map(scrub));
      } else {
        expect(s).toBeUndefined();
      }
    }
    expect(loaded.serverVersion).toBe('v1.30.3');
  });

  test('every kind the checks read is a typed list with its apiVersion, empty ones included', async () => {
    await writeSnapshot();
    const written = JSON.parse(readFileSync(out, 'utf8')) as { items: { apiVersion: string; kind: string; items: unknown[] }[] };
    const live = await collectLiveInventory({ kubeconfig, kinds: kindsToCollect(BUILTIN_CHECKS) });
    const expected = [...live.kinds.entries()]
      // A whole-group kind (every Gatekeeper constraint) is written as its member kinds.
      .filter(([id, c]) => c.status === 'ok' && !kindSpec(id)?.dynamic)
      .map(([id]) => `${live.apiVersions.get(id)} ${id.split('.')[0]}List`)
      .sort();
    expect(written.items.map((l) => `${l.apiVersion} ${l.kind}`).sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });

  test('a full snapshot: empty typed lists, not-served annotation, forbidden kinds left out and reported', async () => {
    // Every kind kposture knows, through the same writer the command uses.
    const { snapshotList } = await import('../../src/cli/commands/snapshot.js');
    const { knownKinds } = await import('../../src/k8s/kinds.js');
    const live = await collectLiveInventory({ kubeconfig, kinds: knownKinds().map((k) => k.id) });
    const { list, left } = snapshotList(live);
    const lists = (list.items as { apiVersion: string; kind: string; items: unknown[] }[]).map((l) => [l.apiVersion, l.kind, l.items.length]);
    expect(lists).toContainEqual(['v1', 'LimitRangeList', 0]);
    expect(lists).toContainEqual(['networking.k8s.io/v1', 'NetworkPolicyList', 2]);
    expect(lists).toContainEqual(['kyverno.io/v1', 'ClusterPolicyList', 1]);
    expect(left).toEqual([{ id: KINDS.ReplicaSet, status: 'forbidden', reason: expect.stringContaining('replicasets is forbidden') }]);
    const notServed = ((list.metadata as { annotations: Record<string, string> }).annotations[SNAPSHOT_ANNOTATIONS.notServed] ?? '').split(',');
    expect(notServed).toEqual(expect.arrayContaining([KINDS.GatekeeperConstraintTemplate, KINDS.CiliumNetworkPolicy, KINDS.JsPolicy]));
    expect(notServed).not.toContain(KINDS.KyvernoClusterPolicy);

    const file = path.join(path.dirname(out), 'full.json');
    writeFileSync(file, JSON.stringify(list));
    const loaded = loadSnapshot([file]);
    expect(loaded.kinds.get(KINDS.GatekeeperConstraintTemplate)?.status).toBe('not-served');
    expect(loaded.kinds.get(KINDS.LimitRange)).toEqual({ status: 'ok', items: [] });
    expect(loaded.kinds.has(KINDS.ReplicaSet)).toBe(false); // forbidden: unknown, never empty
    expect(loaded.kinds.get(KINDS.Pod)!.items).toHaveLength(live.kinds.get(KINDS.Pod)!.items.length);
    // Gatekeeper constraints are written kind by kind and come back as the whole-group kind.
    expect(lists).toContainEqual(['constraints.gatekeeper.sh/v1beta1', 'K8sRequiredLabelsList', 1]);
    expect(lists.some(([, kind]) => String(kind).startsWith('*'))).toBe(false);
    expect(live.kinds.get(KINDS.GatekeeperConstraint)!.status).toBe('ok');
    expect(loaded.kinds.get(KINDS.GatekeeperConstraint)!.status).toBe('ok');
    expect(loaded.kinds.get(KINDS.GatekeeperConstraint)!.items.map((i) => field(i, 'metadata', 'name'))).toEqual(['must-have-team']);
  });

  test('env values, last-applied-configuration and managedFields never reach the file', async () => {
    const { snapshotList } = await import('../../src/cli/commands/snapshot.js');
    const live = await collectLiveInventory({ kubeconfig, kinds: [KINDS.Pod, KINDS.Deployment] });
    // The cluster does carry the marker: in env values and in last-applied annotations.
    expect(JSON.stringify([...live.kinds.values()])).toContain(FIXTURE_MARKER);
    const text = JSON.stringify(snapshotList(live).list);
    expect(text).not.toContain(FIXTURE_MARKER);
    expect(text).not.toContain('last-applied-configuration');
    expect(text).not.toContain('managedFields');
    const pod = (JSON.parse(text) as { items: { kind: string; items: K8sObject[] }[] }).items.find((l) => l.kind === 'PodList')!.items[0]!;
    // Names and references stay: checks and readers can still see what is passed, not its value.
    expect(field(pod, 'spec', 'containers')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'app',
          env: [{ name: 'API_PASSWORD' }, { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }, { name: 'LOG_LEVEL' }],
        }),
      ]),
    );
    expect((field(pod, 'spec', 'initContainers') as { env: unknown[] }[])[0]!.env).toEqual([
      { name: 'API_PASSWORD' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      { name: 'LOG_LEVEL' },
    ]);
  });

  test('scrub reaches containers in every kind of pod template and leaves the input untouched', () => {
    const env = [{ name: 'TOKEN', value: 's3cr3t' }];
    const cronJob: K8sObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: {
        name: 'nightly',
        namespace: 'ops',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"s3cr3t":1}', keep: 'me' },
        managedFields: [{}],
      },
      spec: {
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox', env }], ephemeralContainers: [{ name: 'debug', env }] } } } },
      },
    };
    const before = JSON.stringify(cronJob);
    const clean = scrub(cronJob);
    expect(JSON.stringify(clean)).not.toContain('s3cr3t');
    expect(field(clean, 'metadata', 'annotations')).toEqual({ keep: 'me' });
    expect(field(clean, 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers')).toEqual([{ name: 'c', image: 'busybox', env: [{ name: 'TOKEN' }] }]);
    expect(JSON.stringify(cronJob)).toBe(before);
  });

  test('a cluster failure writes nothing and keeps an existing file whole', async () => {
    writeFileSync(out, '{"previous": true}\n');
    const kc = writeKubeconfig(server, { token: 'expired-token', context: 'kind-dev' });
    const run = await runMain(['snapshot', '-o', out, '--kubeconfig', kc.file]);
    expect(run.code).toBe(3);
    expect(readFileSync(out, 'utf8')).toBe('{"previous": true}\n');
  });

  test('-o is required', async () => {
    const run = await runMain(['snapshot', '--kubeconfig', kubeconfig]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("required option '-o, --output <file>' not specified");
  });
});
