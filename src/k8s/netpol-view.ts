/**
 * The facts the NetworkPolicy checks (NP-02..NP-04) share: the pods NetworkPolicy governs,
 * grouped per namespace, the compiled Kubernetes policies, the CNI and cluster-wide policies,
 * the per-namespace decision "does this namespace deny <direction> traffic by default?" and
 * whether a pod is isolated. The checks turn them into outcomes (checks/network/view.ts).
 *
 * A namespace denies by default when every pod it has or will have is isolated for the
 * direction and nothing re-opens it:
 * - a Kubernetes NetworkPolicy selects every pod (`podSelector: {}`) for the direction and
 *   either allows nothing (the canonical default-deny) or allows only listed peers — the two
 *   are the same traffic, since policies only add allowances; or
 * - a CNI or cluster-wide policy (Cilium, Calico, AdminNetworkPolicy API) puts every pod of
 *   the namespace in default deny;
 * and no namespace-wide Kubernetes policy or covering cluster policy allows every peer on every
 * port (which cancels the deny), unless an explicit deny of everything overrides allows.
 * Data that cannot be read or interpreted turns a namespace `unknown`, never pass or fail.
 */
import type { KindCollection } from './inventory.js';
import { CNI_POLICY_KINDS, CniPolicies, type Contribution, type NamespaceFacts } from './cni-policies.js';
import { KINDS, type KindId } from './kinds.js';
import type { Labels } from './labels.js';
import { isPolicySubject, verifyNamespacePolicies, verifyPolicy, type Direction, type NetworkPolicyIndex, type Policy, type PodFacts } from './netpol.js';
import { labelsOf, nameOf, type ResourceRef } from './object.js';

/** Kinds the namespace decisions read when they are available. */
export const NETPOL_OPTIONAL_READS: readonly KindId[] = [KINDS.Namespace, ...CNI_POLICY_KINDS];

export interface NetpolView {
  index: NetworkPolicyIndex;
  cni: CniPolicies;
  /** Pods NetworkPolicy governs (not hostNetwork, not finished), per non-system namespace. */
  podsByNamespace: ReadonlyMap<string, readonly PodFacts[]>;
  /** hostNetwork pods per non-system namespace: outside NetworkPolicy, reported, not scored. */
  hostNetworkPods: ReadonlyMap<string, number>;
  namespace(name: string): NamespaceFacts;
}

export interface NetpolInputs {
  /** Facts of every pod (podFactsOf). */
  pods: readonly PodFacts[];
  /** The Kubernetes NetworkPolicies, compiled. */
  policies: NetworkPolicyIndex;
  /** Lists of the optional kinds (NETPOL_OPTIONAL_READS), read or not. */
  collection: (kind: KindId) => KindCollection;
  isSystemNamespace: (name: string | undefined) => boolean;
}

export function netpolView(input: NetpolInputs): NetpolView {
  const nsCollection = input.collection(KINDS.Namespace);
  const nsLabels = new Map<string, Labels>();
  const namespacesKnown = nsCollection.status === 'ok';
  if (namespacesKnown) for (const ns of nsCollection.items) nsLabels.set(nameOf(ns), labelsOf(ns));
  const podsByNamespace = new Map<string, PodFacts[]>();
  const hostNetworkPods = new Map<string, number>();
  const pods = input.pods;
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i]!;
    if (input.isSystemNamespace(pod.namespace) || pod.finished) continue;
    if (!isPolicySubject(pod)) {
      hostNetworkPods.set(pod.namespace, (hostNetworkPods.get(pod.namespace) ?? 0) + 1);
      continue;
    }
    const list = podsByNamespace.get(pod.namespace);
    if (list) list.push(pod);
    else podsByNamespace.set(pod.namespace, [pod]);
  }
  const cni = new CniPolicies(
    CNI_POLICY_KINDS.map((kind) => {
      const collection = input.collection(kind);
      return { kind, collection, describe: describeUnreadable(kind, collection.status, collection.reason) };
    }),
  );
  return {
    index: input.policies,
    cni,
    podsByNamespace,
    hostNetworkPods,
    // Namespaces absent from a readable list still have their automatic name label.
    namespace: (name) => ({ name, labels: namespacesKnown ? (nsLabels.get(name) ?? { 'kubernetes.io/metadata.name': name }) : undefined }),
  };
}

function describeUnreadable(kind: string, status: string, reason: string | undefined): string {
  const why = status === 'missing' ? (reason ?? 'not in the snapshot') : `${status}${reason ? `: ${reason}` : ''}`;
  return `${kind} could not be read (${why}), so a policy of that kind might cover this namespace`;
}

export type NamespaceDecision =
  | {
      verdict: 'pass';
      via: 'default-deny' | 'allowlist' | 'cni-policy';
      /** The policy that shows it. */
      resource: ResourceRef;
      field: string;
      evidence: string;
      verify: string;
      policies: string[];
    }
  | {
      verdict: 'fail';
      why: 'none' | 'allow-all';
      resource: ResourceRef;
      field: string;
      evidence: string;
      verify: string;
      /** Policies of the namespace that select only some pods for the direction. */
      partial: string[];
    }
  | { verdict: 'unknown'; reason: string };

const RULES: Record<Direction, string> = { Ingress: 'ingress', Egress: 'egress' };

export function decideNamespace(view: NetpolView, namespace: string, direction: Direction): NamespaceDecision {
  const k8s = view.index.namespaceDefault(namespace, direction);
  const cluster = view.cni.namespaceCoverage(view.namespace(namespace), direction);
  const hard = cluster.hardDeny[0];
  if (hard) return passByCni(hard, cluster.hardDeny);
  const allowAll = k8s.allowAll[0];
  if (allowAll) {
    return {
      verdict: 'fail',
      why: 'allow-all',
      resource: allowAll.policy.ref,
      field: allowAll.at.path,
      evidence: `NetworkPolicy ${allowAll.policy.name} selects every pod and its rule ${allowAll.at.path} allows ${allowAll.at.reason}`,
      verify: verifyPolicy({ name: allowAll.policy.name, namespace }),
      partial: [],
    };
  }
  const clusterAllow = cluster.allowAll[0];
  if (clusterAllow) {
    return {
      verdict: 'fail',
      why: 'allow-all',
      resource: clusterAllow.ref,
      field: clusterAllow.path,
      evidence: `${clusterAllow.ref.kind} ${clusterAllow.ref.name} covers every pod of ${namespace} and ${clusterAllow.evidence}`,
      verify: clusterAllow.verify,
      partial: [],
    };
  }
  if (k8s.problems.length > 0) return { verdict: 'unknown', reason: k8s.problems.join('; ') };
  const strict = k8s.defaultDeny[0];
  if (strict) {
    return {
      verdict: 'pass',
      via: 'default-deny',
      resource: strict.ref,
      field: 'spec.podSelector',
      evidence: `NetworkPolicy ${strict.name}: podSelector {} with ${direction} in policyTypes${strict.typesDefaulted ? ' (defaulted)' : ''} and no ${RULES[direction]} rule that allows traffic`,
      verify: verifyPolicy({ name: strict.name, namespace }),
      policies: names(k8s.defaultDeny),
    };
  }
  const wide = k8s.namespaceWide[0];
  if (wide) {
    return {
      verdict: 'pass',
      via: 'allowlist',
      resource: wide.ref,
      field: 'spec.podSelector',
      evidence: `NetworkPolicy ${wide.name}: podSelector {} isolates every pod for ${direction}; only the peers its ${RULES[direction]} rules list are allowed`,
      verify: verifyPolicy({ name: wide.name, namespace }),
      policies: names(k8s.namespaceWide),
    };
  }
  const deny = cluster.deny[0];
  if (deny) return passByCni(deny, cluster.deny);
  if (cluster.uncertain.length > 0) return { verdict: 'unknown', reason: [...new Set(cluster.uncertain)].join('; ') };
  const partial = view.index.policiesIn(namespace).filter((p) => p.types.has(direction));
  return {
    verdict: 'fail',
    why: 'none',
    resource: { apiVersion: 'v1', kind: 'Namespace', name: namespace },
    field: 'networkpolicies[*].spec.podSelector',
    evidence:
      partial.length === 0
        ? `no NetworkPolicy in ${namespace} applies to ${direction}`
        : `${partial.length} NetworkPolicy(s) apply to ${direction} but none selects every pod (podSelector {}): ${names(partial).join(', ')}`,
    verify: verifyNamespacePolicies(namespace),
    partial: names(partial),
  };
}

function passByCni(first: Contribution, all: Contribution[]): NamespaceDecision {
  return {
    verdict: 'pass',
    via: 'cni-policy',
    resource: first.ref,
    field: first.path,
    evidence: `${first.ref.kind} ${first.ref.namespace ? `${first.ref.namespace}/` : ''}${first.ref.name}: ${first.evidence}`,
    verify: first.verify,
    policies: all.map((c) => `${c.ref.kind}/${c.ref.name}`),
  };
}

function names(policies: readonly Policy[]): string[] {
  return policies.map((p) => p.name).sort();
}

export type Isolation = { isolated: true } | { isolated: false; uncertain: string[] };

/** Is the pod isolated, per direction, by a Kubernetes or a CNI policy? One index lookup per pod. */
export function podIsolation(view: NetpolView, pod: PodFacts): Record<Direction, Isolation> {
  const { policies, uncertain } = view.index.selecting(pod);
  const out = {} as Record<Direction, Isolation>;
  for (const direction of ['Ingress', 'Egress'] as const) {
    if (policies.some((p) => p.types.has(direction))) {
      out[direction] = { isolated: true };
      continue;
    }
    const cni = view.cni.podIsolation(pod, view.namespace(pod.namespace), direction);
    if (cni.by.length > 0) {
      out[direction] = { isolated: true };
      continue;
    }
    const broken = uncertain.filter((p) => p.types.has(direction)).map((p) => `NetworkPolicy ${p.namespace}/${p.name}: ${p.problems.join('; ')}`);
    out[direction] = { isolated: false, uncertain: [...broken, ...cni.uncertain] };
  }
  return out;
}
