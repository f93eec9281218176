import type { TenancyFramework } from '../../src/catalog/catalogs.js';
import { defineCheck, type Subject } from '../../src/engine/check.js';
import { isKnown, type KindCollection } from '../../src/k8s/inventory.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { annotationsOf, labelsOf, nameOf, namespaceOf, refOf, type K8sObject, type ResourceRef } from '../../src/k8s/object.js';
import { command, kubectl } from '../../src/util/shell.js';
import { wildcardToRegExp } from '../../src/util/glob.js';

/** Namespace names listed in a subject's details; the count is always complete. */
const LISTED_NAMESPACES = 20;

export default defineCheck({
  meta: {
    id: 'MT-01',
    title: 'A multitenancy framework or model is in use',
    category: 'multitenancy',
    severity: 'info',
    rationale:
      'Teams that share a cluster need a tenancy model: who owns which namespaces, which quotas, policies and RBAC ' +
      'each tenant inherits, and how new tenants are created. Without one, every team is a special case and ' +
      'isolation depends on hand-made RoleBindings; the usual escape, a cluster per team, brings a zoo of clusters ' +
      'and configuration drift. Frameworks make the model explicit: Namespace-as-a-Service (Capsule, HNC, kiosk, ' +
      'KubeSlice, KubePlus), ControlPlane-as-a-Service (vCluster, Kamaji, kcp) or Cluster-as-a-Service (Cluster API). ' +
      'This check names what it finds; it is shown, not scored.',
    remediation:
      'Choose a tenancy model and a tool for it: Capsule or HNC to group namespaces into tenants with inherited ' +
      'quotas, network policies and RBAC; vCluster or Kamaji when tenants need their own control plane; Cluster API ' +
      'for a cluster per tenant built from one template. A framework kposture does not know can be added to the ' +
      'tenancy catalogue in the config file (catalogs.tenancyFrameworks).',
    references: [
      'https://kubernetes.io/docs/concepts/security/multi-tenancy/',
      'https://projectcapsule.dev/',
      'https://github.com/kubernetes-sigs/hierarchical-namespaces',
      'https://www.vcluster.com/docs/',
      'https://kamaji.clastix.io/',
      'https://cluster-api.sigs.k8s.io/',
    ],
    // Each kind holds a different trace; whatever could be read decides, and what could not keeps
    // the frameworks it might show from being ruled out.
    reads: [],
    optionalReads: [KINDS.CustomResourceDefinition, KINDS.Namespace, KINDS.StatefulSet, KINDS.Deployment],
    messages: {
      none: 'No multitenancy framework was found: none of {frameworks} shows in CRDs, namespace labels or annotations, or workloads',
    },
  },
  evaluate(ctx, report) {
    const frameworks = ctx.catalogs.tenancyFrameworks;
    const read: ReadKinds = {
      crds: ctx.collection(KINDS.CustomResourceDefinition),
      namespaces: ctx.collection(KINDS.Namespace),
      statefulSets: ctx.collection(KINDS.StatefulSet),
      deployments: ctx.collection(KINDS.Deployment),
    };
    const crds = itemsOf(read.crds);
    const namespaces = itemsOf(read.namespaces);
    const workloads = [...itemsOf(read.statefulSets), ...itemsOf(read.deployments)];

    const subjects: Subject[] = [];
    for (const framework of frameworks) {
      const found = detect(framework, crds, namespaces, workloads);
      if (found) subjects.push({ resource: found.resource, verdict: 'pass', details: found.details });
    }
    if (subjects.length > 0) return { status: 'pass', subjects, findings: [] };

    const unread = unreadKinds(read);
    const undecided = frameworks.filter((f) => traceKinds(f).some((kind) => unread.has(kind)));
    if (undecided.length > 0) {
      const why = [...unread.entries()].map(([kind, c]) => `${PLURALS[kind]} (${statusPhrase(c)})`);
      return {
        status: 'unknown',
        reason:
          `no tenancy framework shows in what could be read, but ${joinAnd(why)} could not be read, so ` +
          `${joinAnd(undecided.map((f) => f.name))} cannot be ruled out`,
      };
    }
    const names = frameworks.map((f) => f.name);
    return {
      status: 'fail',
      subjects: [],
      findings: [
        report('none', {
          resource: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: '*' },
          data: { frameworks: names.join(', ') },
          field: 'items',
          evidence: `${crds.length} CRDs and ${namespaces.length} namespaces, none from the tenancy catalogue (${names.length} frameworks)`,
          verify: verifyCommand(frameworks),
        }),
      ],
    };
  },
});

interface ReadKinds {
  crds: KindCollection;
  namespaces: KindCollection;
  statefulSets: KindCollection;
  deployments: KindCollection;
}

type TraceKind = 'crds' | 'namespaces' | 'statefulSets' | 'deployments';

const PLURALS: Record<TraceKind, string> = {
  crds: 'CustomResourceDefinitions',
  namespaces: 'Namespaces',
  statefulSets: 'StatefulSets',
  deployments: 'Deployments',
};

function statusPhrase(c: KindCollection): string {
  const what = c.status === 'forbidden' ? 'listing was forbidden by RBAC' : c.status === 'error' ? 'listing failed' : 'not collected';
  return c.reason ? `${what}: ${c.reason}` : what;
}

function joinAnd(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]!}`;
}

function itemsOf(c: KindCollection): readonly K8sObject[] {
  return isKnown(c) ? c.items : [];
}

/** The kinds that could not be listed, with their collections (for the reason). */
function unreadKinds(read: ReadKinds): Map<TraceKind, KindCollection> {
  const out = new Map<TraceKind, KindCollection>();
  for (const kind of Object.keys(PLURALS) as TraceKind[]) if (!isKnown(read[kind])) out.set(kind, read[kind]);
  return out;
}

/** The kinds a framework's traces can show on: a framework is ruled out only when all of them were read. */
function traceKinds(framework: TenancyFramework): TraceKind[] {
  const kinds: TraceKind[] = [];
  if (framework.crds.length > 0) kinds.push('crds');
  if (framework.namespaceLabels.length > 0 || (framework.namespaceAnnotations ?? []).length > 0) kinds.push('namespaces');
  if ((framework.workloadLabels ?? []).length > 0) kinds.push('statefulSets', 'deployments');
  return kinds;
}

interface Detection {
  resource: ResourceRef;
  details: Record<string, unknown>;
}

/** The trace that decided: a CRD first (installed), then a namespace label or annotation, then a workload. */
interface DecidingTrace {
  trace: 'CRD' | 'namespace label' | 'namespace annotation' | 'workload label';
  /** The CRD name, or the label or annotation as `key=value`. */
  evidence: string;
  resource: ResourceRef;
}

function detect(
  framework: TenancyFramework,
  crds: readonly K8sObject[],
  namespaces: readonly K8sObject[],
  workloads: readonly K8sObject[],
): Detection | undefined {
  const crdNames = new Set(crds.map(nameOf));
  const foundCrds = framework.crds.filter((c) => crdNames.has(c));
  const labelPatterns = framework.namespaceLabels.map((g) => wildcardToRegExp(g));
  const annotationPatterns = (framework.namespaceAnnotations ?? []).map((g) => wildcardToRegExp(g));
  const marked = [...namespaces]
    .map((ns) => ({ ns, label: firstMatch(labelsOf(ns), labelPatterns), annotation: firstMatch(annotationsOf(ns), annotationPatterns) }))
    .filter((m) => m.label !== undefined || m.annotation !== undefined)
    .sort((a, b) => nameOf(a.ns).localeCompare(nameOf(b.ns), 'en'));
  const selectors = framework.workloadLabels ?? [];
  const running = selectors.length === 0 ? [] : workloads.filter((w) => selectors.every((s) => labelMatches(s, labelsOf(w))));
  if (foundCrds.length === 0 && marked.length === 0 && running.length === 0) return undefined;

  const decided = decidingTrace(framework, foundCrds, crds, marked, running);
  return {
    resource: decided.resource,
    details: {
      framework: framework.id,
      name: framework.name,
      decidedBy: { trace: decided.trace, evidence: decided.evidence, resource: describeRef(decided.resource) },
      crds: foundCrds,
      namespaceCount: marked.length,
      namespaces: marked.slice(0, LISTED_NAMESPACES).map((m) => nameOf(m.ns)),
      workloads: running.map((w) => `${String(w.kind)} ${namespaceOf(w) ?? ''}/${nameOf(w)}`).sort(),
    },
  };
}

interface MarkedNamespace {
  ns: K8sObject;
  label: string | undefined;
  annotation: string | undefined;
}

function decidingTrace(
  framework: TenancyFramework,
  foundCrds: readonly string[],
  crds: readonly K8sObject[],
  marked: readonly MarkedNamespace[],
  running: readonly K8sObject[],
): DecidingTrace {
  const crd = crds.find((c) => nameOf(c) === foundCrds[0]);
  if (crd) return { trace: 'CRD', evidence: nameOf(crd), resource: refOf(crd, 'CustomResourceDefinition') };
  const labelled = marked.find((m) => m.label !== undefined);
  if (labelled) return { trace: 'namespace label', evidence: labelled.label!, resource: refOf(labelled.ns, 'Namespace') };
  const annotated = marked.find((m) => m.annotation !== undefined);
  if (annotated) return { trace: 'namespace annotation', evidence: annotated.annotation!, resource: refOf(annotated.ns, 'Namespace') };
  const workload = [...running].sort((a, b) => describeRef(refOf(a)).localeCompare(describeRef(refOf(b)), 'en'))[0]!;
  return { trace: 'workload label', evidence: (framework.workloadLabels ?? []).join(','), resource: refOf(workload) };
}

/** The first key (in sorted order) that a pattern matches, as `key=value`. */
function firstMatch(map: Record<string, string>, patterns: readonly RegExp[]): string | undefined {
  if (patterns.length === 0) return undefined;
  const key = Object.keys(map)
    .sort()
    .find((k) => patterns.some((p) => p.test(k)));
  return key === undefined ? undefined : `${key}=${map[key]!}`;
}

function describeRef(ref: ResourceRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

function labelMatches(spec: string, labels: Record<string, string>): boolean {
  const eq = spec.indexOf('=');
  if (eq < 0) return Object.prototype.hasOwnProperty.call(labels, spec);
  return labels[spec.slice(0, eq)] === spec.slice(eq + 1);
}

function verifyCommand(frameworks: readonly TenancyFramework[]): string {
  const groups = [...new Set(frameworks.flatMap((f) => f.crds.map((c) => c.slice(c.indexOf('.') + 1))))].sort();
  const parts = [];
  if (groups.length > 0) parts.push(`${kubectl('get', 'crd')} | ${command('grep', '-E', groups.join('|'))}`);
  parts.push(kubectl('get', 'namespaces', '--show-labels'));
  if (frameworks.some((f) => (f.namespaceAnnotations ?? []).length > 0)) {
    parts.push(kubectl('get', 'namespaces', '-o', 'custom-columns=NAME:.metadata.name,ANNOTATIONS:.metadata.annotations'));
  }
  for (const f of frameworks) {
    if (f.workloadLabels?.length) parts.push(kubectl('get', 'statefulsets,deployments', '-A', '-l', f.workloadLabels.join(',')));
  }
  return parts.join('; ');
}
