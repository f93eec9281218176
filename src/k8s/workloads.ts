/**
 * The containers of pods (init and ephemeral ones too) and the workloads that run them. Owner
 * resolution (Pod → ReplicaSet → Deployment, Pod → Job → CronJob) lives in owners.ts; this
 * module adds the container view checks need: every container with its field path, grouped
 * per workload so that a Deployment's 50 pods are one entry.
 */
import { asRecord, asString, field, namespaceOf, type K8sObject } from './object.js';
import { groupByWorkload, podSpecPath, type OwnerIndex, type Workload } from './owners.js';
import { StringTable } from '../util/strings.js';
import { command, kubectl } from '../util/shell.js';

export type ContainerList = 'initContainers' | 'containers' | 'ephemeralContainers';

/** In the order the kubelet starts them. */
export const ALL_CONTAINER_LISTS: readonly ContainerList[] = ['initContainers', 'containers', 'ephemeralContainers'];
/** Containers that belong to the workload's design; ephemeral ones are attached later for debugging. */
export const DECLARED_CONTAINER_LISTS: readonly ContainerList[] = ['initContainers', 'containers'];

export interface PodContainer {
  list: ContainerList;
  index: number;
  name: string;
  /** The image as written, or undefined when absent or not a string. */
  image?: string;
  /** The container object (untrusted: read it with the accessors in object.ts). */
  spec: Record<string, unknown>;
  /** Path of the container inside the pod: `spec.initContainers[1]`. */
  path: string;
  /** `list/name`: what identifies the container across the pods of a workload. */
  key: string;
}

/**
 * Container entries already read, by the container list they were read from. The pods of one
 * ReplicaSet share their container lists once slimmed (slim.ts): with a cache, each list is read
 * once and every pod gets the same frozen entries. Keyed by the list itself, not the pod spec,
 * which differs per pod (its token volume). A cache lives as long as one computation over one
 * inventory (a call of workloadContainers), never longer.
 */
export type ContainerCache = WeakMap<readonly unknown[], Map<ContainerList, readonly PodContainer[]>>;

export function podContainers(pod: K8sObject, lists: readonly ContainerList[] = ALL_CONTAINER_LISTS, cache?: ContainerCache): readonly PodContainer[] {
  const spec = asRecord(field(pod, 'spec'));
  let only: readonly PodContainer[] | undefined;
  let out: PodContainer[] | undefined;
  for (let i = 0; i < lists.length; i++) {
    const list = lists[i]!;
    const containers = cachedContainers(spec[list], list, cache);
    if (containers.length === 0) continue;
    if (only === undefined) only = containers;
    else (out ??= [...only]).push(...containers);
  }
  return out ?? only ?? NO_CONTAINERS;
}

const NO_CONTAINERS: readonly PodContainer[] = Object.freeze([]);

function cachedContainers(value: unknown, list: ContainerList, cache: ContainerCache | undefined): readonly PodContainer[] {
  if (!Array.isArray(value) || value.length === 0) return NO_CONTAINERS;
  if (!cache) return listContainers(value, list);
  let byList = cache.get(value);
  if (!byList) cache.set(value, (byList = new Map<ContainerList, readonly PodContainer[]>()));
  let hit = byList.get(list);
  if (!hit) byList.set(list, (hit = listContainers(value, list)));
  return hit;
}

/** The containers of one list of a pod, frozen so that the pods sharing them cannot change them. */
function listContainers(value: readonly unknown[], list: ContainerList): readonly PodContainer[] {
  const out = value.map((raw, index) => {
    const containerSpec = asRecord(raw);
    const name = asString(containerSpec.name) ?? `#${index}`;
    const path = CONTAINER_STRINGS.intern(`spec.${list}[${index}]`);
    const key = CONTAINER_STRINGS.intern(`${list}/${name}`);
    const image = asString(containerSpec.image);
    // One literal per shape, so that every field sits inside the object.
    const container: PodContainer =
      image === undefined ? { list, index, name, spec: containerSpec, path, key } : { list, index, name, image, spec: containerSpec, path, key };
    return Object.freeze(container);
  });
  return Object.freeze(out);
}

/**
 * Paths and keys of containers (`spec.containers[0]`, `containers/app`) are the same few strings
 * for every workload: one copy each instead of one per container list (~80,000 at 150,000 pods).
 */
const CONTAINER_STRINGS = new StringTable();

/**
 * Where the container sits in the workload object a user edits: `spec.template.spec.containers[0]`
 * in a Deployment, `spec.jobTemplate.spec.template.spec…` in a CronJob. Ephemeral containers
 * exist only on pods, so their path stays the pod's. Unknown owner kinds keep the pod path.
 */
export function workloadFieldPath(workload: Workload, container: PodContainer, suffix = ''): string {
  const prefix = container.list === 'ephemeralContainers' ? undefined : podSpecPath(workload.ref.kind);
  const inPod = `${container.path}${suffix ? `.${suffix}` : ''}`;
  if (!prefix || prefix === '.spec') return inPod;
  return `${prefix.slice(1)}${inPod.slice('spec'.length)}`;
}

/** One container of one workload, seen in one or more of its pods. */
export interface WorkloadContainer {
  workload: Workload;
  list: ContainerList;
  name: string;
  /**
   * The same container as it appears in the pods of the workload: one instance per distinct pod
   * spec (several during a rollout), from the first pod that has it.
   */
  instances: { pod: K8sObject; container: PodContainer }[];
}

/**
 * Containers per workload: pods of one workload are merged by (list, container name), so a
 * Deployment's replicas give one entry per container, with each different copy kept for checks
 * that must see differences (a rollout half done). Pods whose spec is the very object an earlier
 * pod of the workload has (the slim projection shares the spec of a ReplicaSet's pods) add
 * nothing new and are skipped: 150,000 pods then make ~30,000 instances, not 300,000.
 */
export function workloadContainers(pods: readonly K8sObject[], index: OwnerIndex, lists: readonly ContainerList[] = ALL_CONTAINER_LISTS): WorkloadContainer[] {
  const out: WorkloadContainer[] = [];
  const cache: ContainerCache = new WeakMap();
  for (const group of groupByWorkload(pods, index)) {
    const byName = new Map<string, WorkloadContainer>();
    const specs = new Set<unknown>();
    for (let p = 0; p < group.pods.length; p++) {
      const pod = group.pods[p]!;
      const spec = pod.spec;
      if (typeof spec === 'object' && spec !== null) {
        if (specs.has(spec)) continue;
        specs.add(spec);
      }
      const containers = podContainers(pod, lists, cache);
      for (let c = 0; c < containers.length; c++) {
        const container = containers[c]!;
        let entry = byName.get(container.key);
        if (!entry) {
          entry = { workload: group.workload, list: container.list, name: container.name, instances: [] };
          byName.set(container.key, entry);
          out.push(entry);
        }
        entry.instances.push({ pod, container });
      }
    }
  }
  return out;
}

/** Where one image is used: by which workload, in which container. */
export interface ImageUse {
  image: string;
  workload: Workload;
  pod: K8sObject;
  container: PodContainer;
}

/** Every (image, workload) use, one per workload container and distinct image spelling. */
export function imageUses(pods: readonly K8sObject[], index: OwnerIndex, lists: readonly ContainerList[] = ALL_CONTAINER_LISTS): ImageUse[] {
  const out: ImageUse[] = [];
  for (const wc of workloadContainers(pods, index, lists)) {
    // One entry per workload container already: only its spellings of the image can differ.
    const seen = new Set<string>();
    for (let i = 0; i < wc.instances.length; i++) {
      const { pod, container } = wc.instances[i]!;
      if (container.image === undefined || seen.has(container.image)) continue;
      seen.add(container.image);
      out.push({ image: container.image, workload: wc.workload, pod, container });
    }
  }
  return out;
}

/**
 * A kubectl command that lists the pods using an image: one namespace or all, every container
 * list shown, filtered by the spellings the pods use.
 */
export function podsUsingImageCommand(namespaces: readonly string[], spellings: readonly string[]): string {
  const scope = namespaces.length === 1 ? ['-n', namespaces[0]!] : ['-A'];
  const columns =
    'NAMESPACE:.metadata.namespace,POD:.metadata.name,CONTAINERS:.spec.containers[*].image,' +
    'INIT:.spec.initContainers[*].image,EPHEMERAL:.spec.ephemeralContainers[*].image';
  const filter = [...new Set(spellings)].flatMap((s) => ['-e', s]);
  return `${kubectl('get', 'pods', ...scope, '-o', `custom-columns=${columns}`)} | ${command('grep', '-F', ...filter)}`;
}

/** Namespaces of a set of pods, sorted, without duplicates. */
export function namespacesOf(pods: readonly K8sObject[]): string[] {
  return [...new Set(pods.map((p) => namespaceOf(p) ?? ''))].filter(Boolean).sort();
}
