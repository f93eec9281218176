/**
 * The slim projection is lossless for the checks: every built-in check gives the same outcome
 * with and without it, on every cluster fixture present when the tests run, on the benchmark's
 * synthetic clusters and on the test support cluster (managedFields, env values, last-applied).
 * And it is a contract: run under the slim guard, with whole objects underneath, no built-in
 * check reads a field the shapes drop, on any fixture, whether the fixture has data there or not.
 * A check that starts reading a field the projection drops fails here: extend the shapes in
 * src/k8s/slim.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { mergeCatalogs } from '../../src/catalog/catalogs.js';
import { DEFAULT_SYSTEM_NAMESPACES, loadConfig, type Config } from '../../src/config/config.js';
import { runChecks } from '../../src/engine/run.js';
import type { Outcome } from '../../src/engine/check.js';
import type { Inventory } from '../../src/k8s/inventory.js';
import { collectLiveInventory } from '../../src/inventory/live.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import { LAST_APPLIED_ANNOTATION, slimProjection, wholeObjects, type Projection } from '../../src/k8s/slim.js';
import { kindsToCollect } from '../../src/engine/run.js';
import { guardSlim } from '../../src/engine/slim-guard.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { field, type K8sObject } from '../../src/k8s/object.js';
import { SIZES, pods, type ClusterSize } from '../../bench/synth.js';
import { writeSnapshotFile } from '../../bench/snapshot-file.js';
import { syntheticCluster, writeSyntheticCluster } from '../support/fixture-cluster.js';
import { REPO_ROOT, startFixtureServer, writeKubeconfig, type FixtureServer } from '../support/fixture-server.js';

const FIXTURES = path.join(REPO_ROOT, 'fixtures', 'clusters');

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'kposture-slim-'));
}

/** Each check's outcome, by id, as the engine reports it (under the slim guard: `guardSlim`). */
function outcomes(inventory: Inventory, config: Config = {}, guardSlim = false): Record<string, Outcome> {
  const results = runChecks({
    inventory,
    checks: BUILTIN_CHECKS,
    catalogs: mergeCatalogs(loadBuiltinCatalogs(), config.catalogs ?? {}),
    systemNamespaces: new Set(config.systemNamespaces ?? DEFAULT_SYSTEM_NAMESPACES),
    checkOptions: config.checks?.options ?? {},
    guardSlim,
  });
  return Object.fromEntries(results.map((r) => [r.check.meta.id, r.outcome]));
}

/** Loads the same paths whole and slim; both must load, or both fail with the same error. */
function loadBoth(paths: string[], cwd: string): { whole: Inventory; slim: Inventory } | { error: string } {
  const load = (project: Projection): Inventory | Error => {
    try {
      return loadSnapshot(paths, cwd, { project });
    } catch (err) {
      return err as Error;
    }
  };
  const whole = load(wholeObjects);
  const slim = load(slimProjection());
  if (whole instanceof Error || slim instanceof Error) {
    expect(slim instanceof Error ? slim.message : 'loaded').toBe(whole instanceof Error ? whole.message : 'loaded');
    return { error: (whole as Error).message };
  }
  return { whole, slim };
}

/** Outcomes must be equal, and the comparison must not be vacuous: some check examined something. */
function expectSameOutcomes(whole: Inventory, slim: Inventory, config: Config = {}): void {
  const expected = outcomes(whole, config);
  expect(outcomes(slim, config)).toEqual(expected);
  const examined = Object.values(expected).filter((o) => o.status !== 'not-applicable' && (o.subjects?.length ?? 0) > 0);
  expect(examined.length).toBeGreaterThan(0);
}

function fixtureFolders(): string[] {
  if (!existsSync(FIXTURES)) return [];
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

describe('slim projection: same outcomes as whole objects', () => {
  const folders = fixtureFolders();

  it('finds the cluster fixtures', () => {
    expect(folders).toContain('demo');
  });

  it.each(folders)('fixture %s', (name) => {
    const dir = path.join(FIXTURES, name);
    const snapshot = existsSync(path.join(dir, 'snapshot')) ? path.join(dir, 'snapshot') : dir;
    const configFile = path.join(dir, 'kposture.yaml');
    const config = existsSync(configFile) ? loadConfig(configFile) : {};
    const loaded = loadBoth([snapshot], REPO_ROOT);
    // A fixture being written may not load yet: then both ways fail alike (checked in loadBoth).
    if ('error' in loaded) return;
    expectSameOutcomes(loaded.whole, loaded.slim, config);
  });

  const small: ClusterSize = { ...SIZES.S!, name: 'S' };
  const manyNamespaces: ClusterSize = { name: 'S-ns', nodes: 12, pods: 400, namespaces: 120, podsPerDeployment: 2 };
  it.each([
    ['S', 'kposture', small],
    ['S', 'kubectl', small],
    ['S-ns', 'kposture', manyNamespaces],
  ] as const)('benchmark cluster %s written as %s would write it', (_name, style, size) => {
    const dir = tempDir();
    const file = path.join(dir, `${size.name}.json`);
    writeSnapshotFile(size, file, style);
    const loaded = loadBoth([file], dir);
    expect(loaded).not.toHaveProperty('error');
    if ('error' in loaded) return;
    expect(loaded.slim.kinds.get(KINDS.Pod)!.items).toHaveLength(size.pods);
    expectSameOutcomes(loaded.whole, loaded.slim);
  });

  it('the test cluster with managedFields, env values and last-applied annotations', () => {
    const dir = tempDir();
    writeSyntheticCluster({ namespaces: 4, podsPerNamespace: 5, finishedPods: 2 }, dir);
    const loaded = loadBoth([path.join(dir, 'cluster.json')], dir);
    if ('error' in loaded) throw new Error(loaded.error);
    expectSameOutcomes(loaded.whole, loaded.slim);
  });

  describe('live collection, page by page', () => {
    let server: FixtureServer;
    let kubeconfig: string;
    beforeAll(async () => {
      server = await startFixtureServer({ snapshot: [writeSyntheticCluster({ namespaces: 3, podsPerNamespace: 7 })] });
      kubeconfig = writeKubeconfig(server).file;
    });
    afterAll(async () => {
      await server.close();
    });

    it('gives the same outcomes, with slim records in the inventory', async () => {
      const kinds = kindsToCollect(BUILTIN_CHECKS);
      const whole = await collectLiveInventory({ kubeconfig, kinds, pageSize: 4 });
      const slim = await collectLiveInventory({ kubeconfig, kinds, pageSize: 4, project: slimProjection() });
      expectSameOutcomes(whole, slim);
      // The audit parses and slims large pages in worker threads: the same records come back.
      const inWorkers = await collectLiveInventory({ kubeconfig, kinds, pageSize: 4, project: slimProjection(), slimInWorkers: { workers: 2, minBytes: 0 } });
      expectSameOutcomes(whole, inWorkers);
      for (const [id, c] of slim.kinds) expect(JSON.parse(JSON.stringify(inWorkers.kinds.get(id)))).toEqual(JSON.parse(JSON.stringify(c)));
      const pod = slim.kinds.get(KINDS.Pod)?.items[0];
      if (pod) {
        expect(field(pod, 'metadata', 'managedFields')).toBeUndefined();
        expect([pod.apiVersion, pod.kind]).toEqual(['v1', 'Pod']);
      }
    });
  });
});

describe('slim projection as a contract: no built-in check reads a field it drops', () => {
  const folders = fixtureFolders();

  /** The fixture, whole, with its config; undefined while a fixture being written does not load. */
  const wholeFixture = (name: string): { inventory: Inventory; config: Config } | undefined => {
    const dir = path.join(FIXTURES, name);
    const snapshot = existsSync(path.join(dir, 'snapshot')) ? path.join(dir, 'snapshot') : dir;
    const configFile = path.join(dir, 'kposture.yaml');
    try {
      return { inventory: loadSnapshot([snapshot], REPO_ROOT), config: existsSync(configFile) ? loadConfig(configFile) : {} };
    } catch {
      return undefined;
    }
  };

  it.each(folders)('fixture %s: every check under the guard, whole objects underneath, same outcomes', (name) => {
    const loaded = wholeFixture(name);
    if (!loaded) return;
    // A SlimContractError thrown here names the check, the kind and the field.
    const guarded = outcomes(loaded.inventory, loaded.config, true);
    expect(guarded).toEqual(outcomes(loaded.inventory, loaded.config));
  });

  it('the test cluster with managedFields, env values and last-applied annotations', () => {
    const dir = tempDir();
    writeSyntheticCluster({ namespaces: 4, podsPerNamespace: 5, finishedPods: 2 }, dir);
    const inventory = loadSnapshot([path.join(dir, 'cluster.json')], dir);
    expect(outcomes(inventory, {}, true)).toEqual(outcomes(inventory));
  });

  it.each(folders)('fixture %s: each object, guarded, reads as its slim record', (name) => {
    const loaded = wholeFixture(name);
    if (!loaded) return;
    const project = slimProjection();
    for (const [kind, collection] of loaded.inventory.kinds) {
      for (const obj of collection.items) expect(JSON.stringify(guardSlim(kind, obj))).toBe(JSON.stringify(project(kind, obj)));
    }
  });
});

describe('slim records', () => {
  const firstPod = JSON.stringify(pods(SIZES.S!).next().value);
  const fullPod = (): Record<string, unknown> => JSON.parse(firstPod) as Record<string, unknown>;
  const realistic = (): Record<string, unknown> => {
    const cluster = syntheticCluster({ namespaces: 1, podsPerNamespace: 2 }) as { items: { kind: string; items: Record<string, unknown>[] }[] };
    const list = cluster.items.find((l) => l.kind === 'PodList')!;
    const pod = list.items.find((p) => Array.isArray(field(p, 'metadata', 'managedFields')))!;
    return JSON.parse(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod })) as Record<string, unknown>;
  };

  it('drop managedFields, last-applied, env values, probes, statuses and conditions', () => {
    const pod = realistic();
    expect(JSON.stringify(pod)).toContain(LAST_APPLIED_ANNOTATION);
    const slim = slimProjection()(KINDS.Pod, pod);
    const text = JSON.stringify(slim);
    for (const gone of [
      'managedFields',
      LAST_APPLIED_ANNOTATION,
      'livenessProbe',
      'readinessProbe',
      '"env"',
      'conditions',
      'containerStatuses',
      'resourceVersion',
    ]) {
      expect(text).not.toContain(gone);
    }
  });

  it('keep what checks read: identity, labels, owners, images, security contexts, hostPath volumes, phase', () => {
    const pod = fullPod();
    const spec = pod.spec as { volumes: unknown[]; containers: { image: string; securityContext: unknown }[] };
    spec.volumes.push({ name: 'host', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } });
    const slim = slimProjection()(KINDS.Pod, pod);
    expect(field(slim, 'metadata', 'name')).toBe(field(pod, 'metadata', 'name'));
    expect(field(slim, 'metadata', 'namespace')).toBe(field(pod, 'metadata', 'namespace'));
    expect(field(slim, 'metadata', 'labels')).toEqual(field(pod, 'metadata', 'labels'));
    expect(field(slim, 'metadata', 'ownerReferences')).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: expect.any(String), controller: true }]);
    const containers = field(slim, 'spec', 'containers') as { image: string; securityContext: unknown }[];
    expect(containers.map((c) => c.image)).toEqual(spec.containers.map((c) => c.image));
    expect(containers.map((c) => c.securityContext)).toEqual(spec.containers.map((c) => c.securityContext));
    expect(field(slim, 'spec', 'volumes')).toContainEqual({ name: 'host', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } });
    expect(field(slim, 'status', 'phase')).toBe('Running');
  });

  it('are much smaller than the objects they come from', () => {
    const pod = fullPod();
    expect(JSON.stringify(slimProjection()(KINDS.Pod, pod)).length).toBeLessThan(JSON.stringify(pod).length * 0.4);
  });

  it('leave the input untouched', () => {
    const pod = realistic();
    const before = JSON.stringify(pod);
    slimProjection()(KINDS.Pod, pod);
    expect(JSON.stringify(pod)).toBe(before);
  });

  it('share equal parts between pods of one controller, frozen, and never mix different ones', () => {
    const project = slimProjection();
    const [a, b, c] = [fullPod(), fullPod(), fullPod()];
    (b.metadata as Record<string, unknown>).name = 'other-pod';
    // c belongs to the same ReplicaSet but runs another image (a rollout in progress).
    (c.spec as { containers: { image: string }[] }).containers[0]!.image = 'registry.example.com/new:2';
    const [sa, sb, sc] = [project(KINDS.Pod, a), project(KINDS.Pod, b), project(KINDS.Pod, c)];
    expect(field(sb, 'spec', 'containers')).toBe(field(sa, 'spec', 'containers'));
    expect(field(sb, 'metadata', 'labels')).toBe(field(sa, 'metadata', 'labels'));
    expect(Object.isFrozen(field(sa, 'spec', 'containers'))).toBe(true);
    expect(field(sb, 'metadata', 'name')).toBe('other-pod');
    expect((field(sc, 'spec', 'containers') as { image: string }[])[0]!.image).toBe('registry.example.com/new:2');
    expect((field(sa, 'spec', 'containers') as { image: string }[])[0]!.image).not.toBe('registry.example.com/new:2');
  });

  it('share only parts whose keys come in the same order', () => {
    const project = slimProjection();
    const a = fullPod();
    const b = fullPod();
    const labels = (b.metadata as { labels: Record<string, string> }).labels;
    (b.metadata as { labels: Record<string, string> }).labels = Object.fromEntries(Object.entries(labels).reverse());
    const [sa, sb] = [project(KINDS.Pod, a), project(KINDS.Pod, b)];
    expect(Object.keys(field(sb, 'metadata', 'labels') as object)).toEqual(Object.keys(labels).reverse());
    expect(field(sb, 'metadata', 'labels')).not.toBe(field(sa, 'metadata', 'labels'));
  });

  it('keep odd shapes as they are, so that checks see the same odd data', () => {
    const odd = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: 5, ownerReferences: 'x' },
      spec: { containers: { not: 'a list' }, volumes: [7, null] },
      status: 'weird',
    };
    expect(slimProjection()(KINDS.Pod, odd)).toEqual(odd);
  });

  it('are plain objects, however they are laid out in memory', () => {
    const slim = slimProjection()(KINDS.Pod, realistic());
    for (const record of [slim, slim.metadata, (field(slim, 'spec', 'containers') as unknown[])[0], field(slim, 'status')]) {
      expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
      expect((record as object).constructor).toBe(Object);
      expect(Object.prototype.toString.call(record)).toBe('[object Object]');
    }
    expect(structuredClone(slim)).toEqual(JSON.parse(JSON.stringify(slim)));
    expect(Object.keys(slim)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  });

  it('keep a __proto__ key as plain data', () => {
    const obj = JSON.parse('{"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"c"},"spec":{"__proto__":{"polluted":true}}}') as Record<
      string,
      unknown
    >;
    const slim = slimProjection()('ClusterPolicy.kyverno.io', obj);
    expect(Object.getPrototypeOf(slim)).toBe(Object.prototype);
    expect(Object.keys(slim.spec as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keep other kinds whole except managedFields and last-applied', () => {
    const np: K8sObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny', namespace: 'a', managedFields: [{ manager: 'kubectl' }], annotations: { [LAST_APPLIED_ANNOTATION]: '{}', keep: 'me' } },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    expect(slimProjection()(KINDS.NetworkPolicy, np)).toEqual({ ...np, metadata: { name: 'deny', namespace: 'a', annotations: { keep: 'me' } } });
  });

  it('of nodes keep the OS, labels and taints but not the list of pulled images', () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', labels: { 'kubernetes.io/os': 'linux' } },
      spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
      status: { nodeInfo: { osImage: 'Talos (v1.8.2)' }, images: [{ names: ['x'], sizeBytes: 1 }] },
    };
    expect(slimProjection()(KINDS.Node, node)).toEqual({ ...node, status: { nodeInfo: { osImage: 'Talos (v1.8.2)' } } });
  });
});
