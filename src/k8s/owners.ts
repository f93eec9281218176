/**
 * Who runs a pod: the workload a person wrote (a Deployment, a CronJob, a DaemonSet), found by
 * following controller ownerReferences upwards (Pod → ReplicaSet → Deployment, Pod → Job →
 * CronJob). Checks that report "per workload" group pods with this, so that one Deployment with
 * 30 replicas is one finding, not 30. Pure functions over listed objects.
 */
import { KINDS, splitApiVersion, type KindId } from './kinds.js';
import { isKnown, type KindCollection } from './inventory.js';
import { annotationOf, asArray, asRecord, asString, labelOf, metadata, nameOf, namespaceOf, refKey, type K8sObject, type ResourceRef } from './object.js';
import { kubectl } from '../util/shell.js';

/** Set by the kubelet on the API copy ("mirror") of a static pod it runs from a manifest file. */
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** Added by the Deployment controller to its ReplicaSets' pods; the ReplicaSet is named `<deployment>-<hash>`. */
const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** Controllers are followed at most this far up, so a cycle in malformed data cannot loop. */
const MAX_DEPTH = 8;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  controller: boolean;
}

export function ownerReferencesOf(obj: K8sObject): OwnerReference[] {
  const out: OwnerReference[] = [];
  const raw = asArray(metadata(obj).ownerReferences);
  for (let i = 0; i < raw.length; i++) {
    const ref = ownerReference(raw[i]);
    if (ref) out.push(ref);
  }
  return out;
}

/** The ownerReference with `controller: true` (the API allows at most one). */
function controllerOf(obj: K8sObject): OwnerReference | undefined {
  // Without building the whole list: this runs once per pod and per level of its owners.
  const raw = asArray(metadata(obj).ownerReferences);
  for (let i = 0; i < raw.length; i++) {
    if (asRecord(raw[i]).controller !== true) continue;
    const ref = ownerReference(raw[i]);
    if (ref) return ref;
  }
  return undefined;
}

/** One ownerReference as read from untrusted data; undefined without a kind and a name. */
function ownerReference(raw: unknown): OwnerReference | undefined {
  const r = asRecord(raw);
  const kind = asString(r.kind);
  const name = asString(r.name);
  if (!kind || !name) return undefined;
  return { apiVersion: asString(r.apiVersion) ?? '', kind, name, controller: r.controller === true };
}

export function isMirrorPod(pod: K8sObject): boolean {
  return annotationOf(pod, MIRROR_POD_ANNOTATION) !== undefined;
}

/** A workload with its refKey, computed once. */
export interface Traced {
  workload: Workload;
  key: string;
}

/**
 * Objects that can sit between a pod and its workload, looked up by `kind/namespace/name`. The
 * index also remembers the workloads it traced: by pod (several checks ask for the same pods),
 * and by what they are, so that the 10 pods of one ReplicaSet share one frozen Workload. It
 * lives as long as whoever built it keeps it: one check, or one run when shared through ctx.memo.
 */
export class OwnerIndex {
  private readonly byKey = new Map<string, K8sObject>();
  private readonly byPod = new WeakMap<K8sObject, Traced>();
  private readonly byIdentity = new Map<string, Traced>();
  private readonly byController = new Map<string, Traced>();

  constructor(lists: readonly (readonly K8sObject[])[]) {
    for (const list of lists) {
      for (const obj of list) {
        const kind = asString(obj.kind);
        if (!kind) continue;
        const ref: ResourceRef = { kind, name: nameOf(obj) };
        const ns = namespaceOf(obj);
        if (ns) ref.namespace = ns;
        this.byKey.set(refKey(ref), obj);
      }
    }
  }

  get(ref: ResourceRef): K8sObject | undefined {
    return this.byKey.get(refKey(ref));
  }

  /** The workload of `pod` (see workloadOf), traced once per pod. */
  traced(pod: K8sObject): Traced {
    const hit = this.byPod.get(pod);
    if (hit) return hit;
    const traced = this.trace(pod);
    this.byPod.set(pod, traced);
    return traced;
  }

  /**
   * The pods of one ReplicaSet have the same controller, so their chain upwards is followed once:
   * by controller (and pod-template-hash, which the inference reads) and mirror flag.
   */
  private trace(pod: K8sObject): Traced {
    const namespace = namespaceOf(pod);
    const mirror = isMirrorPod(pod);
    const first = controllerOf(pod);
    if (!first || first.kind === 'Node') return this.intern({ ref: podRef(pod), bare: !first, mirror, inferred: false });

    const hash = first.kind === 'ReplicaSet' ? (labelOf(pod, POD_TEMPLATE_HASH_LABEL) ?? '') : '';
    // Joined, not concatenated: the key is kept, and a concatenation is a tree of pieces (~300 B).
    const chainKey = [namespace ?? '', first.apiVersion, first.kind, first.name, hash, mirror].join('\u0000');
    const known = this.byController.get(chainKey);
    if (known) return known;

    let current = refFromOwner(first, namespace);
    let inferred = false;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const obj = this.get(current);
      if (!obj) {
        const deployment = depth === 0 ? deploymentFromHash(pod, first) : undefined;
        if (deployment) {
          current = deployment;
          inferred = true;
        }
        break;
      }
      const up = controllerOf(obj);
      if (!up) break;
      current = refFromOwner(up, namespace);
    }
    const traced = this.intern({ ref: current, bare: false, mirror, inferred });
    this.byController.set(chainKey, traced);
    return traced;
  }

  /** One frozen Workload per distinct answer, shared by every pod and check that gets it. */
  private intern(workload: Workload): Traced {
    const key = refKey(workload.ref);
    const identity = [key, workload.bare, workload.mirror, workload.inferred].join('|');
    let traced = this.byIdentity.get(identity);
    if (!traced) {
      // Frozen, so that no check can change what another sees.
      traced = { workload: Object.freeze({ ...workload, ref: Object.freeze(workload.ref) }), key };
      this.byIdentity.set(identity, traced);
    }
    return traced;
  }
}

/** Indexes intermediate controllers (ReplicaSets, Jobs…) so that pods can be traced to their workload. */
export function ownerIndex(...lists: readonly (readonly K8sObject[])[]): OwnerIndex {
  return new OwnerIndex(lists);
}

/**
 * The controllers that stand between a pod and its workload. A check that groups pods by
 * workload declares them as optionalReads and builds its index with podOwnerIndex: when they
 * cannot be listed, pods are still traced (a ReplicaSet by its pod-template-hash label).
 */
export const POD_OWNER_KINDS: readonly KindId[] = [KINDS.ReplicaSet, KINDS.Job];

export function podOwnerIndex(collection: (kind: KindId) => KindCollection): OwnerIndex {
  return ownerIndex(
    ...POD_OWNER_KINDS.map(collection)
      .filter(isKnown)
      .map((c) => c.items),
  );
}

export interface Workload {
  /** The top-level controller, or the pod itself when it has none (a bare or static pod). */
  ref: ResourceRef;
  /** True when the pod has no controller ownerReference at all. */
  bare: boolean;
  /** True for a static pod's mirror: the kubelet runs it from a file, outside any controller. */
  mirror: boolean;
  /**
   * True when a step of the chain was inferred rather than read: a ReplicaSet that could not be
   * looked up, whose pods carry `pod-template-hash`, is attributed to the Deployment named by its prefix.
   */
  inferred: boolean;
}

function refFromOwner(owner: OwnerReference, namespace: string | undefined): ResourceRef {
  const ref: ResourceRef = { kind: owner.kind, name: owner.name };
  if (owner.apiVersion) ref.apiVersion = owner.apiVersion;
  if (namespace) ref.namespace = namespace;
  return ref;
}

function podRef(pod: K8sObject): ResourceRef {
  const ref: ResourceRef = { apiVersion: 'v1', kind: 'Pod', name: nameOf(pod) };
  const ns = namespaceOf(pod);
  if (ns) ref.namespace = ns;
  return ref;
}

/**
 * The workload that runs `pod`. Owners are followed while the index knows them; a ReplicaSet
 * the index does not know is attributed to its Deployment when the pod's `pod-template-hash`
 * label proves the Deployment controller made it. A Node owner (static pods) is not a workload:
 * the pod stands for itself.
 */
export function workloadOf(pod: K8sObject, index: OwnerIndex): Workload {
  return index.traced(pod).workload;
}

function deploymentFromHash(pod: K8sObject, owner: OwnerReference): ResourceRef | undefined {
  if (owner.kind !== 'ReplicaSet' || splitApiVersion(owner.apiVersion).group !== 'apps') return undefined;
  const hash = labelOf(pod, POD_TEMPLATE_HASH_LABEL);
  if (!hash || !owner.name.endsWith(`-${hash}`) || owner.name.length <= hash.length + 1) return undefined;
  const ref: ResourceRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: owner.name.slice(0, -(hash.length + 1)) };
  const ns = namespaceOf(pod);
  if (ns) ref.namespace = ns;
  return ref;
}

export interface WorkloadGroup {
  workload: Workload;
  pods: K8sObject[];
}

/** Pods grouped by workload, in first-seen order. */
export function groupByWorkload(pods: readonly K8sObject[], index: OwnerIndex): WorkloadGroup[] {
  const groups = new Map<string, WorkloadGroup>();
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i]!;
    const { workload, key } = index.traced(pod);
    const group = groups.get(key);
    if (group) group.pods.push(pod);
    else groups.set(key, { workload, pods: [pod] });
  }
  return [...groups.values()];
}

const BUILTIN_GROUPS = new Set(['', 'apps', 'batch']);

/** How kubectl names the resource of `ref`: `deployment`, `cronjob`, `rollout.argoproj.io`. */
export function kubectlResource(ref: ResourceRef): string {
  const group = splitApiVersion(ref.apiVersion ?? '').group;
  const kind = ref.kind.toLowerCase();
  return BUILTIN_GROUPS.has(group) ? kind : `${kind}.${group}`;
}

/** `kubectl -n <ns> get <resource> <name> [args]` (without `-n` for cluster-scoped objects), each word quoted. */
export function kubectlGet(ref: ResourceRef, ...args: string[]): string {
  return kubectl(...(ref.namespace ? ['-n', ref.namespace] : []), 'get', kubectlResource(ref), ref.name, ...args);
}

/** Where a workload kind keeps its pod spec, as a jsonpath prefix; undefined for kinds kposture does not know. */
export function podSpecPath(kind: string): string | undefined {
  switch (kind) {
    case 'Pod':
      return '.spec';
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
    case 'ReplicationController':
      return '.spec.template.spec';
    case 'CronJob':
      return '.spec.jobTemplate.spec.template.spec';
    default:
      return undefined;
  }
}
