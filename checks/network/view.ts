/**
 * What the NetworkPolicy checks share within a run: the pods' facts, the compiled policies and
 * the namespace view (src/k8s/netpol-view.ts), each computed once through ctx.memo; and the
 * outcome of the two namespace default-deny checks (NP-02 ingress, NP-03 egress).
 */
import { memoKey, type Cause, type CheckContext, type Finding, type FindingFactory, type Outcome, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { NetworkPolicyIndex, podFactsOf, type Direction, type PodFacts } from '../../src/k8s/netpol.js';
import { NETPOL_OPTIONAL_READS, decideNamespace, netpolView, type NetpolView } from '../../src/k8s/netpol-view.js';
import type { ResourceRef } from '../../src/k8s/object.js';

const POD_FACTS = memoKey<readonly PodFacts[]>('network/pod-facts', [KINDS.Pod]);
const POLICY_INDEX = memoKey<NetworkPolicyIndex>('network/policy-index', [KINDS.NetworkPolicy]);
const VIEW = memoKey<NetpolView>('network/view', [KINDS.Pod, KINDS.NetworkPolicy, ...NETPOL_OPTIONAL_READS]);

/** The facts of every pod of the inventory, read once per run. */
export function sharedPodFacts(ctx: CheckContext): readonly PodFacts[] {
  return ctx.memo(POD_FACTS, (run) => podFactsOf(run.items(KINDS.Pod)));
}

/** The inventory's NetworkPolicies, compiled and indexed once per run. */
export function sharedPolicyIndex(ctx: CheckContext): NetworkPolicyIndex {
  return ctx.memo(POLICY_INDEX, (run) => new NetworkPolicyIndex(run.items(KINDS.NetworkPolicy)));
}

/** Pods per namespace, policies and CNI policies, as NP-02..NP-04 see them, once per run. */
export function sharedNetpolView(ctx: CheckContext): NetpolView {
  return ctx.memo(VIEW, (run) =>
    netpolView({
      pods: sharedPodFacts(run),
      policies: sharedPolicyIndex(run),
      collection: (kind) => run.collection(kind),
      isSystemNamespace: (ns) => run.isSystemNamespace(ns),
    }),
  );
}

/**
 * NetworkPolicy checks judge objects that do nothing on a cluster whose CNI enforces none: when
 * NP-01 fails they are not applicable, and NP-01 carries the category (CheckMeta.requires).
 */
export const REQUIRES_ENFORCEMENT = {
  check: 'NP-01',
  because: 'NetworkPolicy has no effect on this cluster until the CNI enforces it',
} as const;

/** Message ids the two namespace default-deny checks (NP-02 ingress, NP-03 egress) share. */
export const NAMESPACE_DEFAULT_MESSAGES = {
  noDefaultDeny: 'Namespace {namespace} has no default-deny {direction} NetworkPolicy ({counted}): {evidence}',
  allowAll: 'Namespace {namespace}: {policy} allows all {direction} traffic to every pod at {path}',
} as const;

/**
 * The root cause "no NetworkPolicy of the namespace applies to this direction" (causes.ts): NP-02
 * reports it for both directions when the namespace has none at all, NP-03 for egress, NP-04 for
 * the pods it leaves open.
 */
export function noPolicyCause(namespace: string, direction: Direction): Cause {
  return { resource: namespaceRef(namespace), key: `networkpolicy:none:${direction}` };
}

/** Whether no NetworkPolicy (namespaced or cluster-wide) of the namespace applies to the direction at all. */
export function hasNoPolicy(view: NetpolView, namespace: string, direction: Direction): boolean {
  const decision = decideNamespace(view, namespace, direction);
  return decision.verdict === 'fail' && decision.why === 'none' && decision.partial.length === 0;
}

/**
 * What the pod counts of a namespace count: the pods NetworkPolicy governs, and the hostNetwork
 * pods it leaves out (they share the node's network), so that they agree with checks counting all pods.
 */
export function podsCounted(view: NetpolView, namespace: string): string {
  const pods = view.podsByNamespace.get(namespace)?.length ?? 0;
  const hostNetwork = view.hostNetworkPods.get(namespace) ?? 0;
  const counted = `${pods} pod${pods === 1 ? '' : 's'} on the pod network`;
  return hostNetwork === 0 ? counted : `${counted}; ${hostNetwork} hostNetwork pod${hostNetwork === 1 ? '' : 's'} outside NetworkPolicy, not counted`;
}

function namespaceRef(namespace: string): ResourceRef {
  return { apiVersion: 'v1', kind: 'Namespace', name: namespace };
}

/**
 * The outcome of a namespace default-deny check: one subject and at most one finding per
 * non-system namespace that has pods NetworkPolicy governs. With `alsoReports` (NP-02), a
 * namespace that has no NetworkPolicy for either direction gets one finding for both, the root
 * cause the other direction's check (NP-03) then folds into.
 */
export function namespaceDefaultOutcome(
  ctx: CheckContext,
  direction: Direction,
  report: FindingFactory<typeof NAMESPACE_DEFAULT_MESSAGES>,
  alsoReports?: Direction,
): Outcome {
  const view = sharedNetpolView(ctx);
  const subjects: Subject[] = [];
  const findings: Finding[] = [];
  const unknown: string[] = [];
  for (const namespace of [...view.podsByNamespace.keys()].sort()) {
    const pods = view.podsByNamespace.get(namespace)!.length;
    const resource = namespaceRef(namespace);
    const hostNetwork = view.hostNetworkPods.get(namespace) ?? 0;
    const decision = decideNamespace(view, namespace, direction);
    if (decision.verdict === 'unknown') {
      subjects.push({ resource, verdict: 'unknown', details: { pods, hostNetworkPods: hostNetwork, reason: decision.reason } });
      unknown.push(`${namespace}: ${decision.reason}`);
      continue;
    }
    if (decision.verdict === 'pass') {
      subjects.push({
        resource,
        verdict: 'pass',
        details: { pods, hostNetworkPods: hostNetwork, via: decision.via, policies: decision.policies, evidence: decision.evidence },
      });
      continue;
    }
    subjects.push({
      resource,
      verdict: 'fail',
      details: { pods, hostNetworkPods: hostNetwork, why: decision.why, evidence: decision.evidence, partialPolicies: decision.partial },
    });
    const none = decision.why === 'none' && decision.partial.length === 0;
    const both = none && alsoReports !== undefined && hasNoPolicy(view, namespace, alsoReports);
    const directions = both ? [direction, alsoReports] : [direction];
    const data = {
      namespace,
      direction: directions.join(' or '),
      pods,
      counted: podsCounted(view, namespace),
      evidence: both ? `no NetworkPolicy in ${namespace} applies to ${directions.join(' or ')}` : decision.evidence,
      policy: `${decision.resource.kind} ${decision.resource.name}`,
      path: decision.field,
    };
    findings.push(
      report(decision.why === 'none' ? 'noDefaultDeny' : 'allowAll', {
        resource: decision.resource.kind === 'Namespace' ? resource : { ...decision.resource },
        data,
        field: decision.field,
        evidence: data.evidence,
        verify: decision.verify,
        ...(none
          ? { causes: directions.map((d) => noPolicyCause(namespace, d)) }
          : decision.why === 'none'
            ? { causes: [{ resource, key: `networkpolicy:no-default-deny:${direction}` }] }
            : // The allow-all rule itself: NP-05 reports the same rule of the same policy.
              { causes: [{ resource: { ...decision.resource }, key: decision.field }] }),
      }),
    );
  }
  if (subjects.length === 0) return { status: 'not-applicable', reason: 'no non-system namespace has pods on the pod network' };
  if (findings.length > 0) return { status: 'fail', subjects, findings };
  if (unknown.length > 0) return { status: 'unknown', reason: `${unknown.length} namespace(s) could not be decided: ${unknown.join(' | ')}`, subjects };
  return { status: 'pass', subjects, findings };
}
