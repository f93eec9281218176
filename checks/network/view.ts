/**
 * What the NetworkPolicy checks share within a run: the pods' facts, the compiled policies and
 * the namespace view (src/k8s/netpol-view.ts), each computed once through ctx.memo; and the
 * outcome of the two namespace default-deny checks (NP-02 ingress, NP-03 egress).
 */
import { memoKey, type CheckContext, type Finding, type FindingFactory, type Outcome, type Subject } from '../../src/engine/check.js';
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

/** Message ids the two namespace default-deny checks (NP-02 ingress, NP-03 egress) share. */
export const NAMESPACE_DEFAULT_MESSAGES = {
  noDefaultDeny: 'Namespace {namespace} has no default-deny {direction} NetworkPolicy ({pods} pods): {evidence}',
  allowAll: 'Namespace {namespace}: {policy} allows all {direction} traffic to every pod at {path}',
} as const;

/**
 * The outcome of a namespace default-deny check: one subject and at most one finding per
 * non-system namespace that has pods NetworkPolicy governs.
 */
export function namespaceDefaultOutcome(ctx: CheckContext, direction: Direction, report: FindingFactory<typeof NAMESPACE_DEFAULT_MESSAGES>): Outcome {
  const view = sharedNetpolView(ctx);
  const subjects: Subject[] = [];
  const findings: Finding[] = [];
  const unknown: string[] = [];
  for (const namespace of [...view.podsByNamespace.keys()].sort()) {
    const pods = view.podsByNamespace.get(namespace)!.length;
    const resource: ResourceRef = { apiVersion: 'v1', kind: 'Namespace', name: namespace };
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
    const data = {
      namespace,
      direction,
      pods,
      evidence: decision.evidence,
      policy: `${decision.resource.kind} ${decision.resource.name}`,
      path: decision.field,
    };
    findings.push(
      report(decision.why === 'none' ? 'noDefaultDeny' : 'allowAll', {
        resource: decision.resource.kind === 'Namespace' ? resource : { ...decision.resource },
        data,
        field: decision.field,
        evidence: decision.evidence,
        verify: decision.verify,
      }),
    );
  }
  if (subjects.length === 0) return { status: 'not-applicable', reason: 'no non-system namespace has pods on the pod network' };
  if (findings.length > 0) return { status: 'fail', subjects, findings };
  if (unknown.length > 0) return { status: 'unknown', reason: `${unknown.length} namespace(s) could not be decided: ${unknown.join(' | ')}`, subjects };
  return { status: 'pass', subjects, findings };
}
