/**
 * The slim projection: each object reduced, as it is read, to the fields checks use.
 *
 * Parsed whole, a 150,000-pod cluster takes many times its JSON in heap, and even a pod cut down
 * to its security-relevant fields is large as plain parsed objects. The audit keeps a slim record
 * per object instead: only the fields below, with identical parts stored once (the containers,
 * labels and owners of the 30 pods of one ReplicaSet are the same objects) and repeated strings
 * (namespaces, images) interned. A pod then costs a small fraction of its parsed size
 * (docs/performance.md#the-slim-projection).
 *
 * The projection must be lossless FOR THE CHECKS, and the shapes below are the contract that
 * says so: a check may read a field only if its kind's shape keeps it. In tests the engine hands
 * checks guarded objects (src/engine/slim-guard.ts) that throw SlimContractError, naming the kind
 * and the field, when a check reads a field the shape drops, whether or not a fixture has data
 * there; test/k8s/slim.test.ts runs every built-in check on every fixture under fixtures/clusters/
 * that way, and also with and without the projection, requiring identical outcomes. A check that
 * starts reading a pod (or ReplicaSet, Deployment, Node…) field that is not kept here must add it
 * to the shapes below.
 *
 * What the built-in checks and their helpers (checks/**, src/k8s/**) read:
 * - every kind: apiVersion, kind, metadata.{name, namespace, labels, annotations, ownerReferences};
 * - Pod: containers, initContainers and ephemeral containers (name, image, imagePullPolicy,
 *   securityContext, restartPolicy), pod-level securityContext and host namespaces
 *   (hostNetwork, hostPID, hostIPC, hostUsers), serviceAccountName, automountServiceAccountToken,
 *   runtimeClassName, hostPath volumes (volumes[].name and .hostPath), status.phase;
 * - Deployment/StatefulSet/DaemonSet/Job/CronJob: spec.replicas, selector, strategies, the pod
 *   template with its containers' configuration (a CNI agent's command and args), status counters;
 * - ReplicaSet: owners (to find a pod's Deployment), spec.replicas and selector, status;
 * - Node: metadata.labels (platform, OpenShift, Kairos and Node Feature Discovery OS labels), spec
 *   (taints), status.nodeInfo (osImage, kernelVersion, runtime);
 * - Namespace: metadata.labels and annotations (Pod Security levels, tenancy traces), status;
 *   NetworkPolicy: spec;
 * - ConfigMap: metadata as above and only the `data` keys of CONFIG_MAP_KEYS (how a CNI is
 *   configured, NP-01); never the rest of `data` nor `binaryData`, whole objects included;
 * - the numerous kinds above keep of their metadata only name, namespace, labels, annotations
 *   and ownerReferences (no uid, resourceVersion, timestamps, finalizers);
 * - every other kind (CRDs, webhooks, policy-engine policies, RBAC bindings, quotas): everything
 *   except managedFields and the last-applied annotation, which no check reads and which are
 *   often bigger than the rest of the object.
 * Dropped from pods: env, command/args, probes, lifecycle hooks, resources, ports, volume
 * mounts, non-hostPath volume sources, scheduling (nodeName, affinity, tolerations), container
 * statuses, conditions, uids, timestamps. Dropped from workload templates: env values, probes,
 * lifecycle hooks.
 *
 * Shared parts are frozen: checks are pure and never modify their input. Plugin checks may read
 * any field, so the audit keeps whole objects when a plugin is loaded.
 */
import { isRecord, type K8sObject } from './object.js';
import { KINDS, type KindId } from './kinds.js';
import { plainObjectMaker, setOwnField, type PlainObjectMaker } from '../util/plain.js';
import { StringTable } from '../util/strings.js';

/**
 * How a value is projected:
 * - `true`: kept as it is; `false`: dropped;
 * - `INTERN`: kept; a string equal to one seen before is replaced by that one;
 * - `[shape]`: an array whose elements are each projected with `shape`;
 * - `{ field: shape, '*': shape }`: a record keeping the listed fields (each projected), and
 *   every other field projected with `'*'` (absent `'*'`: other fields are dropped);
 * - `shared(shape)`: projected, then replaced by an equal (frozen) value seen before, if any;
 * - `transform(fn, keeps)`: a projection of its own, which keeps what the shape `keeps` keeps
 *   (the engine's slim guard reads `keeps`; a test holds `fn` to it).
 * A value whose shape is not the expected one (labels: 5) is kept as it is: checks handle odd
 * data themselves, and must see the same odd data with and without the projection.
 *
 * These shapes are the one declaration of what checks may read: the projection applies them,
 * and src/engine/slim-guard.ts turns them into read-only views that throw when a check reads a
 * field they drop (`runChecks({ guardSlim: true })`, in tests).
 */
export type Shape = boolean | typeof INTERN | readonly [Shape] | ShapeRecord | Shared | Transform;
export interface ShapeRecord {
  readonly [field: string]: Shape;
}

export const INTERN = 'intern';

let nextSlot = 0;
class Shared {
  /** Where siblings keep their last value of this part. */
  readonly slot = nextSlot++;
  constructor(readonly inner: Shape) {}
}
class Transform {
  constructor(
    readonly fn: (value: unknown) => unknown,
    readonly keeps: Shape,
  ) {}
}
const shared = (inner: Shape): Shared => new Shared(inner);
const transform = (fn: (value: unknown) => unknown, keeps: Shape): Transform => new Transform(fn, keeps);

/** What a shape keeps, for readers other than the projector: shared and transform parts resolved. */
export type ShapeView =
  | { readonly type: 'keep' }
  | { readonly type: 'drop' }
  | { readonly type: 'array'; readonly element: Shape }
  | { readonly type: 'record'; readonly fields: ShapeRecord };

const KEEP: ShapeView = Object.freeze({ type: 'keep' });
const DROP: ShapeView = Object.freeze({ type: 'drop' });

export function viewShape(shape: Shape): ShapeView {
  if (shape === true || shape === INTERN) return KEEP;
  if (shape === false) return DROP;
  if (shape instanceof Shared) return viewShape(shape.inner);
  if (shape instanceof Transform) return viewShape(shape.keeps);
  if (Array.isArray(shape)) return { type: 'array', element: shape[0] as Shape };
  return { type: 'record', fields: shape as ShapeRecord };
}

/** The shape of a record's field, or undefined when the record drops it (`'*'` covers unlisted fields). */
export function fieldShape(record: ShapeRecord, key: string): Shape | undefined {
  const shape = Object.prototype.hasOwnProperty.call(record, key) ? record[key]! : record['*'];
  return shape === undefined || shape === false ? undefined : shape;
}

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Annotations without the last-applied copy of the whole object (often its biggest field). A
 * transform rather than `{ '*': true, [LAST_APPLIED_ANNOTATION]: false }` so that the annotations
 * of an object without it are kept as they are, not copied.
 */
const WITHOUT_LAST_APPLIED: ShapeRecord = { '*': true, [LAST_APPLIED_ANNOTATION]: false };
const withoutLastApplied = transform((annotations) => {
  if (!isRecord(annotations) || !(LAST_APPLIED_ANNOTATION in annotations)) return annotations;
  const out: Record<string, unknown> = {};
  for (const key in annotations) if (key !== LAST_APPLIED_ANNOTATION) setOwnField(out, key, annotations[key]);
  return out;
}, WITHOUT_LAST_APPLIED);

/** Metadata of the kinds kept whole: everything except managedFields and last-applied. */
const METADATA: ShapeRecord = { '*': true, managedFields: false, annotations: withoutLastApplied };

const OWNER_REFERENCE: ShapeRecord = { apiVersion: INTERN, kind: INTERN, name: INTERN, controller: true };

/** Metadata of the numerous kinds (pods, workloads): identity, labels, annotations and owners. */
const OBJECT_METADATA: ShapeRecord = {
  name: true,
  namespace: INTERN,
  labels: shared(true),
  annotations: shared(withoutLastApplied),
  ownerReferences: shared([OWNER_REFERENCE]),
};

const CONTAINER: ShapeRecord = {
  name: INTERN,
  image: INTERN,
  imagePullPolicy: INTERN,
  securityContext: true,
  // A sidecar init container (restartPolicy: Always) runs for the pod's whole life.
  restartPolicy: INTERN,
};

const POD_SPEC: ShapeRecord = {
  containers: shared([CONTAINER]),
  initContainers: shared([CONTAINER]),
  ephemeralContainers: shared([CONTAINER]),
  // Each pod has its own token volume (kube-api-access-x7k2p): volumes are also shared one by one.
  volumes: shared([shared({ name: INTERN, hostPath: true })]),
  serviceAccountName: INTERN,
  serviceAccount: INTERN,
  automountServiceAccountToken: true,
  hostNetwork: true,
  hostPID: true,
  hostIPC: true,
  hostUsers: true,
  shareProcessNamespace: true,
  securityContext: shared(true),
  runtimeClassName: INTERN,
  // IMG-03: Windows pods (os.name: windows) cannot set readOnlyRootFilesystem.
  os: shared(true),
};

const POD: ShapeRecord = {
  apiVersion: INTERN,
  kind: INTERN,
  metadata: OBJECT_METADATA,
  // Without nodeName and per-pod volume names, the pods of one ReplicaSet have one spec.
  spec: shared(POD_SPEC),
  status: shared({ phase: true }),
};

/**
 * A container of a workload's pod template. Workloads are far fewer than pods, and checks read
 * how controllers are configured (a CNI agent's flags in its DaemonSet), so their containers are
 * kept but for env values, probes and lifecycle hooks.
 */
const TEMPLATE_CONTAINER: ShapeRecord = {
  '*': true,
  env: [{ name: true, valueFrom: true }],
  livenessProbe: false,
  readinessProbe: false,
  startupProbe: false,
  lifecycle: false,
};

const WORKLOAD_TEMPLATE: ShapeRecord = {
  metadata: OBJECT_METADATA,
  spec: {
    '*': true,
    containers: shared([TEMPLATE_CONTAINER]),
    initContainers: shared([TEMPLATE_CONTAINER]),
    ephemeralContainers: shared([TEMPLATE_CONTAINER]),
    volumes: shared(true),
  },
};

/** Workload status without conditions (long messages no check reads). */
const WORKLOAD_STATUS: ShapeRecord = { '*': true, conditions: false };

/** What controllers are asked to do: how many, which pods, how they roll out. */
const WORKLOAD_SPEC: ShapeRecord = {
  replicas: true,
  selector: shared(true),
  template: WORKLOAD_TEMPLATE,
  strategy: shared(true),
  updateStrategy: shared(true),
  serviceName: INTERN,
  podManagementPolicy: INTERN,
  minReadySeconds: true,
  paused: true,
  // Jobs
  parallelism: true,
  completions: true,
  backoffLimit: true,
  suspend: true,
};

const WORKLOAD: ShapeRecord = {
  apiVersion: INTERN,
  kind: INTERN,
  metadata: OBJECT_METADATA,
  spec: WORKLOAD_SPEC,
  status: WORKLOAD_STATUS,
};

/**
 * ReplicaSets are many (each Deployment keeps up to ten old ones) and are read to find the
 * Deployment that owns a pod: no template (the pods and the Deployment have it).
 */
const REPLICA_SET: ShapeRecord = { ...WORKLOAD, spec: { replicas: true, selector: shared(true) } };

const CRON_JOB: ShapeRecord = {
  ...WORKLOAD,
  spec: { '*': true, jobTemplate: { '*': true, metadata: OBJECT_METADATA, spec: { ...WORKLOAD_SPEC, template: WORKLOAD_TEMPLATE } } },
};

/** Nodes keep all but the images they have pulled (dozens per node), volumes and conditions. */
const NODE: ShapeRecord = {
  '*': true,
  metadata: OBJECT_METADATA,
  status: { '*': true, images: false, volumesInUse: false, volumesAttached: false, conditions: false },
};

/** Numerous kinds whose spec checks read whole: everything but bookkeeping metadata. */
const WHOLE_SPEC: ShapeRecord = { '*': true, metadata: OBJECT_METADATA, status: false };
/** Namespaces: their labels (Pod Security Admission, tenancy), annotations (tenancy: HNC, vCluster) and phase. */
const NAMESPACE: ShapeRecord = { '*': true, metadata: OBJECT_METADATA, spec: false };

const ANY_KIND: ShapeRecord = { '*': true, metadata: METADATA };

/**
 * The ConfigMap keys the CNI catalogue decides NetworkPolicy enforcement by (catalog/cnis.json,
 * `configMap.key`; its schema allows only these): Cilium's `enable-policy` in cilium-config, the
 * AWS VPC CNI's `enable-network-policy-controller` in amazon-vpc-cni. A ConfigMap can hold
 * anything a team put there, so nothing else of it is ever kept, in an audit or a snapshot.
 */
export const CONFIG_MAP_KEYS = ['enable-network-policy-controller', 'enable-policy'] as const;

const CONFIG_MAP: ShapeRecord = {
  apiVersion: INTERN,
  kind: INTERN,
  metadata: OBJECT_METADATA,
  data: Object.fromEntries(CONFIG_MAP_KEYS.map((k) => [k, true])),
};

/** The shape objects of a kind are projected with (every kind without one of its own: ANY_KIND). */
export function slimShapeOf(id: KindId): ShapeRecord {
  return SLIM_SHAPES.get(id) ?? ANY_KIND;
}

const SLIM_SHAPES: ReadonlyMap<KindId, ShapeRecord> = new Map<KindId, ShapeRecord>([
  [KINDS.Pod, POD],
  [KINDS.Deployment, WORKLOAD],
  [KINDS.ReplicaSet, REPLICA_SET],
  [KINDS.StatefulSet, WORKLOAD],
  [KINDS.DaemonSet, WORKLOAD],
  [KINDS.Job, WORKLOAD],
  [KINDS.CronJob, CRON_JOB],
  [KINDS.Node, NODE],
  [KINDS.Namespace, NAMESPACE],
  [KINDS.NetworkPolicy, WHOLE_SPEC],
  [KINDS.ConfigMap, CONFIG_MAP],
]);

/** How one object of a kind is turned into what the inventory holds. */
export interface Projection {
  (id: KindId, obj: Record<string, unknown>): K8sObject;
  /** The table it interns strings with, so that records made elsewhere can share the same copies. */
  readonly strings?: StringTable;
}

/**
 * Keeps objects whole (`kposture snapshot`, and audits that load plugin checks), but for
 * ConfigMaps, which keep only the keys of CONFIG_MAP_KEYS there too.
 */
export const wholeObjects: Projection = (id, obj) => (id === KINDS.ConfigMap ? new Projector().object(obj, CONFIG_MAP) : obj);

/**
 * A slim projection for one inventory. Each call returns a new object (the input is not
 * modified) whose shared parts may be the same objects as in an earlier result.
 */
export function slimProjection(): Projection {
  const projector = new Projector();
  const project = (id: KindId, obj: Record<string, unknown>): K8sObject => projector.object(obj, slimShapeOf(id));
  return Object.assign(project, { strings: projector.strings });
}

/**
 * Controllers whose last shared parts are remembered. Lists come sorted by namespace and name,
 * and a ReplicaSet's pods are named after it, so siblings arrive together: a few suffice.
 */
const RECENT_CONTROLLERS = 64;

/**
 * Projects objects by shape. `shared` parts are shared between objects with the same
 * controller (the pods of one ReplicaSet, the ReplicaSets of one Deployment): a new part equal
 * to the one the last sibling had is replaced by it. Equality is checked field by field, in
 * order, so a shared part reads exactly as the object's own would.
 */
class Projector {
  readonly strings = new StringTable();
  /**
   * Per recent controller (`namespace/kind/name`): the last value of each shared part, by slot;
   * for a shared part in an array, the slot holds the values by position.
   */
  private readonly siblings = new Map<string, unknown[]>();
  private slots: unknown[] | undefined;

  object(obj: Record<string, unknown>, shape: ShapeRecord): K8sObject {
    this.slots = this.slotsOf(obj);
    try {
      return this.project(obj, shape) as K8sObject;
    } finally {
      this.slots = undefined;
    }
  }

  private slotsOf(obj: Record<string, unknown>): unknown[] | undefined {
    const meta = obj.metadata;
    if (!isRecord(meta) || !Array.isArray(meta.ownerReferences)) return undefined;
    for (const ref of meta.ownerReferences) {
      if (!isRecord(ref) || ref.controller !== true || typeof ref.name !== 'string' || typeof ref.kind !== 'string') continue;
      const key = `${typeof meta.namespace === 'string' ? meta.namespace : ''}/${ref.kind}/${ref.name}`;
      let slots = this.siblings.get(key);
      if (slots) {
        // Most recently used last (Map order), so the oldest is the first to go.
        this.siblings.delete(key);
      } else {
        slots = [];
        if (this.siblings.size >= RECENT_CONTROLLERS) this.siblings.delete(this.siblings.keys().next().value!);
      }
      this.siblings.set(key, slots);
      return slots;
    }
    return undefined;
  }

  private project(value: unknown, shape: Shape): unknown {
    if (shape === true) return value;
    if (shape === INTERN) return typeof value === 'string' ? this.strings.intern(value) : value;
    if (shape instanceof Shared) return this.share(shape, this.project(value, shape.inner));
    if (shape instanceof Transform) return shape.fn(value);
    if (Array.isArray(shape)) {
      if (!Array.isArray(value)) return value;
      const element = shape[0] as Shape;
      const out = new Array<unknown>(value.length);
      if (element instanceof Shared) {
        // Each position has its own slot: the second volume is compared with the sibling's second.
        for (let i = 0; i < value.length; i++) out[i] = this.share(element, this.project(value[i], element.inner), i);
      } else {
        for (let i = 0; i < value.length; i++) out[i] = this.project(value[i], element);
      }
      return out;
    }
    if (!isRecord(value)) return value;
    const record = shape as ShapeRecord;
    const out = newRecord(record);
    for (const key in value) {
      const kept = fieldShape(record, key);
      if (kept === undefined) continue;
      const v = value[key];
      setOwnField(out, key, kept === true ? v : this.project(v, kept));
    }
    return out;
  }

  /** The sibling's equal part if there is one; otherwise this part, which siblings may share next. */
  private share(shape: Shared, value: unknown, index?: number): unknown {
    if (value === null || typeof value !== 'object' || !this.slots) return value;
    let slots = this.slots;
    let slot = shape.slot;
    if (index !== undefined) {
      // Each position of an array has its own slot: the second volume is compared with the sibling's second.
      slots = (slots[slot] as unknown[] | undefined) ?? (slots[slot] = []);
      slot = index;
    }
    const last = slots[slot];
    if (last !== undefined && sameJson(last, value)) return last;
    slots[slot] = deepFreeze(value);
    return value;
  }
}

/** Equal as JSON, keys in the same order (so that iterating either gives the same result). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i] || !sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** An empty plain object for a record of this shape, with room for its fields (util/plain.ts). */
function newRecord(shape: ShapeRecord): Record<string, unknown> {
  let Make = RECORD_MAKERS.get(shape);
  if (!Make) RECORD_MAKERS.set(shape, (Make = plainObjectMaker()));
  return new Make();
}
const RECORD_MAKERS = new WeakMap<ShapeRecord, PlainObjectMaker>();
