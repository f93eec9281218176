/**
 * Rendered manifests (`kustomize build`, `helm template`, a GitOps repository) read into an
 * inventory: the desired state of a cluster, before it is applied. Objects go through the
 * snapshot loader's intake (snapshot.ts), so they are checked, projected and located exactly as
 * a snapshot's are; this module adds what applying them would add, and says what they cannot
 * show (docs/manifests.md):
 * - a workload's pod template stands for the pods it will create: a Deployment's replicas, through
 *   a ReplicaSet, as the Deployment controller makes them; a StatefulSet's replicas; one pod per
 *   DaemonSet (no nodes to count); a Job's parallelism; a CronJob's next Job, unless suspended;
 *   each with the template's labels and controller ownerReferences, so owner tracing works;
 * - workloads without a status are taken to reach the one they ask for (replicas ready);
 * - an object without a namespace goes to the default namespace, and a namespace the objects
 *   only name exists as the API server creates it (its `kubernetes.io/metadata.name` label);
 * - kinds only a running cluster shows (nodes, the CNI's DaemonSet, webhook configurations, CRDs
 *   and cluster-wide policies that the manifests do not hold) are `missing` with that reason, so
 *   the checks that need them are `unknown`; the other kinds are the manifests' own, complete.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { KpostureError } from '../errors.js';
import type { CniEntry } from '../catalog/catalogs.js';
import { detectCnis } from '../k8s/cni.js';
import type { Inventory } from '../k8s/inventory.js';
import { KINDS, kindId, kindSpec, knownKinds, splitApiVersion, type KindId } from '../k8s/kinds.js';
import { asString, isRecord, type K8sObject } from '../k8s/object.js';
import { wholeObjects, type Projection } from '../k8s/slim.js';
import { deriveDynamicKinds } from './dynamic-kinds.js';
import { isListKind } from './snapshot-objects.js';
import { addDocument, createIntake, intakeCollections, intakeInventory, parseYamlDocuments, type Doc, type Intake } from './snapshot.js';

export interface ManifestsOptions {
  /** Files and folders as given, relative to `cwd`; `-` is standard input. */
  paths: string[];
  cwd: string;
  /** The text of standard input, read when a path is `-`. */
  stdin?: () => string;
  /** The namespace of namespaced objects that name none (kubectl's `-n` with `-f`); `default` when absent. */
  defaultNamespace?: string;
  /** What is kept of each object (default: all of it), as for a snapshot. */
  project?: Projection;
  /** The CNI catalogue: a DaemonSet of one of its CNIs makes the DaemonSet list tell the cluster's CNI. */
  cnis?: readonly CniEntry[];
  /** Told one line per file or folder skipped (a Kustomize file, a Helm chart, a file of no object). */
  note?: (line: string) => void;
}

/** The name standard input's objects are located at (reports, SARIF). */
const STDIN_NAME = 'stdin';
/** Pods the manifests may stand for: above kposture's largest measured cluster (docs/performance.md). */
const MAX_PODS = 200_000;
const MAX_FILE_BYTES = 512 * 1024 * 1024;
const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const KUSTOMIZE_FILES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);
const KUSTOMIZE_GROUP = 'kustomize.config.k8s.io';
/** The suffix of the ReplicaSet a Deployment stands for, and of the Job a CronJob stands for. */
const TEMPLATE = 'template';
const HINT = 'render the manifests again (`kubectl kustomize DIR`, `helm template …`) and pass the output';

/**
 * Kinds of Kubernetes' own API groups that are cluster-scoped; the other kinds of those groups
 * are namespaced. Kinds of other groups take their scope from the kind list (k8s/kinds.ts) or
 * from a CustomResourceDefinition in the manifests.
 */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ComponentStatus',
  'ClusterRole.rbac.authorization.k8s.io',
  'ClusterRoleBinding.rbac.authorization.k8s.io',
  'CustomResourceDefinition.apiextensions.k8s.io',
  'APIService.apiregistration.k8s.io',
  'StorageClass.storage.k8s.io',
  'CSIDriver.storage.k8s.io',
  'CSINode.storage.k8s.io',
  'VolumeAttachment.storage.k8s.io',
  'PriorityClass.scheduling.k8s.io',
  'IngressClass.networking.k8s.io',
  'RuntimeClass.node.k8s.io',
  'CertificateSigningRequest.certificates.k8s.io',
  'FlowSchema.flowcontrol.apiserver.k8s.io',
  'PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io',
  'ValidatingWebhookConfiguration.admissionregistration.k8s.io',
  'MutatingWebhookConfiguration.admissionregistration.k8s.io',
  'ValidatingAdmissionPolicy.admissionregistration.k8s.io',
  'ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io',
  'MutatingAdmissionPolicy.admissionregistration.k8s.io',
  'MutatingAdmissionPolicyBinding.admissionregistration.k8s.io',
]);
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'node.k8s.io',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'admissionregistration.k8s.io',
]);

/**
 * Kinds of the kind list that describe the cluster as a whole: manifests of some applications do
 * not show all of them, so a kind the manifests hold none of is unknown. Every other kind of the
 * list (pods, workloads, NetworkPolicies, namespaces, RBAC bindings, namespaced policies) is the
 * manifests' own: none in the manifests means none.
 */
function describesClusterOnly(id: KindId): boolean {
  const spec = kindSpec(id);
  if (!spec) return false;
  if (id === KINDS.Node || id === KINDS.DaemonSet) return true;
  if (id === KINDS.ClusterRoleBinding || id === KINDS.Namespace) return false;
  if (spec.builtin) return !spec.namespaced;
  return !spec.namespaced || spec.configuresCluster === true || spec.dynamic !== undefined;
}

const REASONS: Record<string, string> = {
  [KINDS.Node]: 'Nodes are not in the manifests: only a running cluster has them',
  [KINDS.DaemonSet]: "the CNI's DaemonSet is not in the manifests: which CNI the cluster runs shows only in a running cluster",
};
function notInManifests(id: KindId): string {
  return REASONS[id] ?? `${id} is not in the manifests: only a running cluster shows them all`;
}

interface Source {
  /** Relative to the working directory, `/`-separated; `stdin` for `-`. */
  rel: string;
  text: () => string;
}

interface Placed {
  file: string;
  line: number;
  named: string;
}

interface Parsed {
  source: Source;
  docs: Doc[];
}

/** Reads rendered manifests into an inventory (see the module comment). */
export function loadManifests(options: ManifestsOptions): Inventory {
  const note = options.note ?? ((): void => undefined);
  const sources = options.paths.flatMap((given) => expand(given, options, note));
  const parsed: Parsed[] = [];
  for (const source of sources) {
    const docs = objectDocuments(source, note);
    if (docs) parsed.push({ source, docs });
  }
  if (parsed.length === 0) {
    throw new KpostureError('input', `manifests ${options.paths.join(', ')}: no Kubernetes object found`, HINT);
  }
  const reader = new ManifestReader(options, parsed);
  return reader.read();
}

function expand(given: string, options: ManifestsOptions, note: (line: string) => void): Source[] {
  if (given === '-') {
    const stdin = options.stdin;
    if (!stdin) throw new KpostureError('usage', '--manifests -: standard input cannot be read here', 'pass the manifests as a file');
    return [{ rel: STDIN_NAME, text: stdin }];
  }
  const full = path.resolve(options.cwd, given);
  const rel = (file: string): string => path.relative(options.cwd, file).split(path.sep).join('/') || path.basename(file);
  let stat;
  try {
    stat = statSync(full);
  } catch {
    throw new KpostureError('input', `manifests ${given}: no such file or directory`, 'pass rendered manifests: a file, a folder, or - for standard input');
  }
  if (stat.isFile()) return [{ rel: rel(full), text: () => readText(full, rel(full)) }];
  if (!stat.isDirectory()) throw new KpostureError('input', `manifests ${given}: not a file or directory`);
  const out: Source[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name, 'en'));
    if (entries.some((e) => e.isFile() && e.name === 'Chart.yaml')) {
      note(`skipped ${rel(dir)}/: a Helm chart's sources, not rendered manifests (render it: helm template NAME ${rel(dir)} | kposture audit --manifests -)`);
      return;
    }
    for (const entry of entries) {
      const child = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() && KUSTOMIZE_FILES.has(entry.name))
        note(`skipped ${rel(child)}: a Kustomize file, not a Kubernetes object (render the folder: kubectl kustomize)`);
      else if (entry.isFile() && EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push({ rel: rel(child), text: () => readText(child, rel(child)) });
    }
  };
  walk(full);
  return out;
}

function readText(file: string, rel: string): string {
  const size = statSync(file).size;
  if (size > MAX_FILE_BYTES) {
    throw new KpostureError(
      'input',
      `manifests ${rel}: ${Math.round(size / 1048576)} MiB is larger than the ${MAX_FILE_BYTES / 1048576} MiB a manifests file may be`,
      'split it',
    );
  }
  const buf = readFileSync(file);
  if (buf.includes(0)) throw new KpostureError('input', `manifests ${rel}: binary data, not YAML or JSON`);
  return buf.toString('utf8');
}

/** The object documents of a source; undefined (with a note) when it holds none. */
function objectDocuments(source: Source, note: (line: string) => void): Doc[] | undefined {
  const text = source.text();
  const where = (doc: number, line: number | undefined): string => `manifests ${source.rel}: document ${doc}${line ? ` (line ${line})` : ''}`;
  let docs: Doc[] | undefined;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      docs = [{ value: JSON.parse(text) as unknown, line: 1, index: 1 }];
    } catch {
      // Flow-style YAML starts with a brace too: the YAML parser says what is wrong.
    }
  }
  docs ??= parseYamlDocuments(text, where, `fix the YAML, or ${HINT}`);
  const objects = docs.filter((d) => isObjectDocument(d.value));
  const kustomize = docs.find(
    (d) => isRecord(d.value) && typeof d.value.apiVersion === 'string' && splitApiVersion(d.value.apiVersion).group === KUSTOMIZE_GROUP,
  );
  if (kustomize) {
    note(`skipped ${source.rel}: a Kustomize file (${String((kustomize.value as Record<string, unknown>).kind)}), not a Kubernetes object`);
    return undefined;
  }
  if (objects.length === 0) {
    note(`skipped ${source.rel}: ${docs.length === 0 ? 'empty' : 'no Kubernetes object in it (no apiVersion and kind): Helm values or other data'}`);
    return undefined;
  }
  const stray = docs.find((d) => !isObjectDocument(d.value));
  if (stray) {
    throw new KpostureError('input', `${where(stray.index, stray.line)}: not a Kubernetes object (no apiVersion and kind), among objects`, HINT);
  }
  return docs;
}

function isObjectDocument(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && typeof value.apiVersion === 'string' && typeof value.kind === 'string' && value.kind !== '';
}

/** A controller's identity, for the ownerReferences of what it creates. */
interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
}

class ManifestReader {
  private readonly intake: Intake;
  private readonly defaultNamespace: string;
  /** Scope of the kinds the manifests' CRDs define, by kind id. */
  private readonly crdScopes = new Map<KindId, boolean>();
  private readonly declaredNamespaces = new Set<string>();
  /** Namespaces objects are in, with where the first of them is. */
  private readonly usedNamespaces = new Map<string, Placed>();
  private readonly daemonSets: K8sObject[] = [];
  private pods = 0;

  constructor(
    private readonly options: ManifestsOptions,
    private readonly parsed: Parsed[],
  ) {
    this.intake = createIntake(options.project ?? wholeObjects);
    this.defaultNamespace = options.defaultNamespace ?? 'default';
  }

  read(): Inventory {
    for (const { docs } of this.parsed) for (const doc of docs) this.visit(doc.value, '', '', (obj, kind, group) => this.noteCrd(obj, kind, group));
    for (const { source, docs } of this.parsed) {
      for (const doc of docs) {
        const at: Placed = { file: source.rel, line: doc.line, named: `manifests ${source.rel}: document ${doc.index}` };
        const derived: Record<string, unknown>[] = [];
        this.visit(doc.value, '', '', (obj, kind, group) => this.prepare(obj, kind, group, at, derived));
        addDocument(doc.value, at, this.intake);
        for (const obj of derived) addDocument(obj, at, this.intake);
      }
    }
    for (const [name, at] of [...this.usedNamespaces].sort(([a], [b]) => a.localeCompare(b, 'en'))) {
      if (this.declaredNamespaces.has(name)) continue;
      addDocument({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }, at, this.intake);
    }
    this.settleKinds();
    return intakeInventory(
      this.intake,
      { type: 'manifests', paths: [...this.options.paths] },
      this.parsed.map((p) => p.source.rel),
    );
  }

  /** Every object of a document, the items of lists included, with the kind and group it is read as. */
  private visit(value: unknown, listKind: string, listGroup: string, each: (obj: Record<string, unknown>, kind: string, group: string) => void): void {
    if (!isRecord(value)) return;
    const kind = typeof value.kind === 'string' && value.kind !== '' ? value.kind : listKind;
    const group = typeof value.apiVersion === 'string' ? splitApiVersion(value.apiVersion).group : listGroup;
    if (isListKind(kind) && Array.isArray(value.items)) {
      const typed = kind === 'List' ? '' : kind.slice(0, -'List'.length);
      for (const item of value.items) this.visit(item, typed, typed ? group : '', each);
      return;
    }
    if (kind) each(value, kind, group);
  }

  private noteCrd(obj: Record<string, unknown>, kind: string, group: string): void {
    if (kindId(group, kind) !== KINDS.CustomResourceDefinition || !isRecord(obj.spec) || !isRecord(obj.spec.names)) return;
    const crdGroup = asString(obj.spec.group);
    const crdKind = asString(obj.spec.names.kind);
    if (crdGroup && crdKind) this.crdScopes.set(kindId(crdGroup, crdKind), obj.spec.scope !== 'Cluster');
  }

  private namespaced(id: KindId, group: string): boolean | undefined {
    const spec = kindSpec(id);
    if (spec && !spec.dynamic) return spec.namespaced;
    if (BUILTIN_GROUPS.has(group)) return !CLUSTER_SCOPED.has(id);
    return this.crdScopes.get(id);
  }

  /** Gives the object what applying it would (a namespace, a name), and derives the objects it will create. */
  private prepare(obj: Record<string, unknown>, kind: string, group: string, at: Placed, derived: Record<string, unknown>[]): void {
    const meta = obj.metadata;
    if (!isRecord(meta)) return; // the intake says what is wrong
    if ((typeof meta.name !== 'string' || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '') {
      meta.name = `${meta.generateName}generated`;
    }
    const id = kindId(group, kind);
    if (meta.namespace === undefined && this.namespaced(id, group)) meta.namespace = this.defaultNamespace;
    if (id === KINDS.Namespace && typeof meta.name === 'string') {
      this.declaredNamespaces.add(meta.name);
      // The API server labels every namespace with its name.
      if (meta.labels === undefined || meta.labels === null) meta.labels = {};
      if (isRecord(meta.labels)) meta.labels['kubernetes.io/metadata.name'] ??= meta.name;
    }
    if (typeof meta.namespace === 'string' && meta.namespace !== '' && !this.usedNamespaces.has(meta.namespace)) this.usedNamespaces.set(meta.namespace, at);
    if (typeof meta.name !== 'string' || meta.name === '') return;
    const owner: Owner = { apiVersion: typeof obj.apiVersion === 'string' ? obj.apiVersion : `${group}/v1`, kind, name: meta.name };
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : this.defaultNamespace;
    const spec = isRecord(obj.spec) ? obj.spec : {};
    switch (id) {
      case KINDS.Deployment: {
        const replicas = count(spec.replicas);
        reachDesired(obj, replicas);
        const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${meta.name}-${TEMPLATE}` };
        derived.push({
          apiVersion: rs.apiVersion,
          kind: rs.kind,
          metadata: {
            name: rs.name,
            namespace,
            labels: { ...templateLabels(spec.template), 'pod-template-hash': TEMPLATE },
            ownerReferences: [ownerReference(owner)],
          },
          spec: { replicas, selector: spec.selector, template: spec.template },
          status: desiredStatus(replicas),
        });
        this.addPods(derived, rs, namespace, spec.template, replicas, () => ({ 'pod-template-hash': TEMPLATE }));
        break;
      }
      case KINDS.ReplicaSet:
        reachDesired(obj, count(spec.replicas));
        this.addPods(derived, owner, namespace, spec.template, count(spec.replicas), () => ({}));
        break;
      case KINDS.StatefulSet:
        reachDesired(obj, count(spec.replicas));
        this.addPods(derived, owner, namespace, spec.template, count(spec.replicas), (name) => ({ 'statefulset.kubernetes.io/pod-name': name }));
        break;
      case KINDS.DaemonSet:
        this.daemonSets.push(obj);
        this.addPods(derived, owner, namespace, spec.template, 1, () => ({}));
        break;
      case KINDS.Job:
        this.addPods(derived, owner, namespace, spec.template, jobPods(spec), () => jobLabels(owner.name));
        break;
      case KINDS.CronJob: {
        if (spec.suspend === true || !isRecord(spec.jobTemplate)) break;
        const jobSpec = isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
        const job = { apiVersion: 'batch/v1', kind: 'Job', name: `${meta.name}-${TEMPLATE}` };
        derived.push({
          apiVersion: job.apiVersion,
          kind: job.kind,
          metadata: { name: job.name, namespace, labels: { ...templateLabels(spec.jobTemplate) }, ownerReferences: [ownerReference(owner)] },
          spec: jobSpec,
        });
        this.addPods(derived, job, namespace, jobSpec.template, jobPods(jobSpec), () => jobLabels(job.name));
        break;
      }
    }
  }

  private addPods(
    derived: Record<string, unknown>[],
    owner: Owner,
    namespace: string,
    template: unknown,
    replicas: number,
    labels: (podName: string) => Record<string, string>,
  ): void {
    if (!isRecord(template) || replicas === 0) return;
    this.pods += replicas;
    if (this.pods > MAX_PODS) {
      throw new KpostureError(
        'input',
        `manifests: the workloads would create more than ${MAX_PODS} pods (${owner.kind} ${namespace}/${owner.name} asks for ${replicas})`,
        'audit the manifests with fewer replicas',
      );
    }
    const meta = isRecord(template.metadata) ? template.metadata : {};
    for (let i = 0; i < replicas; i++) {
      const name = `${owner.name}-${i}`;
      derived.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace,
          labels: { ...templateLabels(template), ...labels(name) },
          ...(isRecord(meta.annotations) ? { annotations: meta.annotations } : {}),
          ownerReferences: [ownerReference(owner)],
        },
        spec: template.spec,
      });
    }
  }

  /** Kinds the manifests hold none of: none, or unknown when only a running cluster shows them. */
  private settleKinds(): void {
    const collections = intakeCollections(this.intake);
    deriveDynamicKinds(collections);
    const cniRuns = detectCnis(this.daemonSets, this.options.cnis ?? []).length > 0;
    for (const { id } of knownKinds()) {
      const collection = collections.get(id);
      if (id === KINDS.DaemonSet && !cniRuns) {
        collections.set(id, { status: 'missing', items: [], reason: notInManifests(id) });
      } else if (collection === undefined || (collection.status === 'missing' && collection.items.length === 0)) {
        collections.set(id, describesClusterOnly(id) ? { status: 'missing', items: [], reason: notInManifests(id) } : { status: 'ok', items: [] });
      }
    }
  }
}

/** A replica count as the API server defaults it: 1 when absent. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 1;
}

/** The pods a Job runs at once: its parallelism (1 by default), at most its completions. */
function jobPods(spec: Record<string, unknown>): number {
  const parallelism = count(spec.parallelism);
  return spec.completions === undefined || spec.completions === null ? parallelism : Math.min(parallelism, count(spec.completions));
}

function jobLabels(job: string): Record<string, string> {
  return { 'batch.kubernetes.io/job-name': job, 'job-name': job };
}

function templateLabels(template: unknown): Record<string, unknown> {
  const meta = isRecord(template) && isRecord(template.metadata) ? template.metadata : {};
  return isRecord(meta.labels) ? meta.labels : {};
}

function ownerReference(owner: Owner): Record<string, unknown> {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, controller: true, blockOwnerDeletion: true };
}

function desiredStatus(replicas: number): Record<string, number> {
  return { replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas };
}

/** A workload written without a status is taken to reach the one it asks for. */
function reachDesired(obj: Record<string, unknown>, replicas: number): void {
  if (obj.status === undefined || obj.status === null) obj.status = desiredStatus(replicas);
}
