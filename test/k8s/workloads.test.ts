import { ownerIndex } from '../../src/k8s/owners.js';
import { imageGroups } from '../../src/k8s/image-uses.js';
import { DECLARED_CONTAINER_LISTS, podContainers, workloadContainers, type ContainerCache } from '../../src/k8s/workloads.js';
import { slimProjection } from '../../src/k8s/slim.js';
import { KINDS } from '../../src/k8s/kinds.js';
import type { K8sObject } from '../../src/k8s/object.js';
import { barePod, deployment, podOf, replicaSet } from '../checks/die/objects.js';

function withInit(pod: K8sObject): K8sObject {
  const spec = pod.spec as Record<string, unknown>;
  return { ...pod, spec: { ...spec, initContainers: [{ name: 'migrate', image: 'registry.example.com/migrate:2' }] } };
}

describe('containers and images of pods', () => {
  const web = deployment('shop', 'web');
  const rs = replicaSet(web, '7d4b9c8f5d');

  it('lists init, app and ephemeral containers with their paths, or only the declared ones', () => {
    const pod = withInit(podOf(rs, 'a1'));
    expect(podContainers(pod).map((c) => `${c.path} ${c.name} ${c.image}`)).toEqual([
      'spec.initContainers[0] migrate registry.example.com/migrate:2',
      'spec.containers[0] web-7d4b9c8f5d registry.example.com/web-7d4b9c8f5d:1.4.2',
    ]);
    expect(podContainers(pod, DECLARED_CONTAINER_LISTS)).toHaveLength(2);
    expect(podContainers({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toEqual([]);
  });

  it('lists the containers of slimmed sibling pods once: they share the container list, and its frozen entries', () => {
    const project = slimProjection();
    // Each pod has its own token volume, so the specs differ; the containers do not.
    const withToken = (pod: K8sObject, token: string): Record<string, unknown> => ({
      ...pod,
      spec: { ...(pod.spec as Record<string, unknown>), volumes: [{ name: `kube-api-access-${token}`, projected: { sources: [] } }] },
    });
    const [a, b] = [
      ['a1', 'x7k2p'],
      ['b2', 'q9z4m'],
    ].map(([s, t]) => project(KINDS.Pod, withToken(podOf(rs, s!), t!)));
    expect(a!.spec).not.toBe(b!.spec);
    const cache: ContainerCache = new WeakMap();
    expect(podContainers(a!, undefined, cache)).toBe(podContainers(b!, undefined, cache));
    expect(Object.isFrozen(podContainers(a!, undefined, cache)[0])).toBe(true);
    // With init containers too, the entries are still the shared ones.
    const [c, d] = ['c3', 'd4'].map((s) => project(KINDS.Pod, withInit(podOf(rs, s)) as Record<string, unknown>));
    expect(podContainers(c!, undefined, cache).map((x) => x.path)).toEqual(['spec.initContainers[0]', 'spec.containers[0]']);
    expect(podContainers(c!, undefined, cache)[0]).toBe(podContainers(d!, undefined, cache)[0]);
    // Without a cache nothing is kept: each call reads the list anew.
    expect(podContainers(a!)).not.toBe(podContainers(b!));
    expect(podContainers(a!)).toEqual(podContainers(b!));
    // workloadContainers keeps a cache for its call: both pods are instances, with one shared entry.
    const [one] = workloadContainers([a!, b!], ownerIndex([rs]));
    expect(one!.instances).toHaveLength(2);
    expect(one!.instances[0]!.container).toBe(one!.instances[1]!.container);
  });

  it('merges the pods of one workload into one entry per container, keeping each different instance', () => {
    const pods = [podOf(rs, 'a1'), podOf(rs, 'b2'), barePod('shop', 'debug')];
    const entries = workloadContainers(pods, ownerIndex([rs]));
    expect(entries.map((e) => [e.workload.ref.kind, e.name, e.instances.length])).toEqual([
      ['Deployment', 'web-7d4b9c8f5d', 2],
      ['Pod', 'debug', 1],
    ]);
  });

  it('keeps one instance per distinct pod spec: pods sharing their spec object add nothing', () => {
    const [a, b] = [podOf(rs, 'a1'), podOf(rs, 'b2')];
    // Slimmed siblings share one spec object; equal but separate specs still count apart.
    const sharing = { ...b, spec: a.spec };
    const [one] = workloadContainers([a, sharing], ownerIndex([rs]));
    expect(one!.instances.map((i) => i.pod)).toEqual([a]);
    const [two] = workloadContainers([a, b], ownerIndex([rs]));
    expect(two!.instances.map((i) => i.pod)).toEqual([a, b]);
    // A rollout in progress: the pod with the other image is an instance of its own.
    const rolled = {
      ...b,
      spec: { ...(b.spec as Record<string, unknown>), containers: [{ name: 'web-7d4b9c8f5d', image: 'registry.example.com/web:2.0.0' }] },
    };
    const [both] = workloadContainers([a, sharing, rolled], ownerIndex([rs]));
    expect(both!.instances.map((i) => i.container.image)).toEqual(['registry.example.com/web-7d4b9c8f5d:1.4.2', 'registry.example.com/web:2.0.0']);
  });

  it('groups images, frozen, with each workload described once', () => {
    const pods = [podOf(rs, 'a1'), podOf(rs, 'b2'), barePod('shop', 'debug')];
    const index = ownerIndex([rs]);
    const groups = imageGroups(pods, index);
    expect(groups.map((g) => [g.key, g.workloads.length, g.uses.length])).toEqual([
      ['docker.io/library/busybox:1.36', 1, 1],
      ['registry.example.com/web-7d4b9c8f5d:1.4.2', 1, 1],
    ]);
    expect(groups.map((g) => g.usedBy)).toEqual([['Pod shop/debug'], ['Deployment shop/web']]);
    for (const g of groups) for (const part of [g, g.workloads, g.uses, g.spellings, g.usedBy]) expect(Object.isFrozen(part)).toBe(true);
    expect(Object.isFrozen(groups)).toBe(true);
    // Nothing is kept between calls: the checks share one computation through the run's memo (checks/shared.ts).
    expect(imageGroups(pods, index)).not.toBe(groups);
    expect(imageGroups(pods, index)).toEqual(groups);
  });
});
