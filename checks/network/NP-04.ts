import { defineCheck, type Cause, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import type { Direction } from '../../src/k8s/netpol.js';
import { NETPOL_OPTIONAL_READS, podIsolation } from '../../src/k8s/netpol-view.js';
import { kubectl } from '../../src/util/shell.js';
import { hasNoPolicy, noPolicyCause, podsCounted, REQUIRES_ENFORCEMENT, sharedNetpolView } from './view.js';

interface Counts {
  pods: number;
  Ingress: number;
  Egress: number;
  /** Pods whose isolation could not be decided, per direction. */
  uncertain: Record<Direction, number>;
}

const DIRECTIONS = ['Ingress', 'Egress'] as const;

export default defineCheck({
  meta: {
    id: 'NP-04',
    title: 'Pods are isolated by NetworkPolicy for ingress and for egress',
    category: 'network',
    severity: 'medium',
    rationale:
      'A pod that no NetworkPolicy selects for a direction accepts (or sends) any traffic in that direction. The share of ' +
      'isolated pods measures how much of the workload the declared policies actually cover, pod by pod, across ' +
      'namespaces; it rewards partial progress that the per-namespace default-deny checks (NP-02, NP-03) do not show. ' +
      'The score is the mean of the ingress and the egress share. hostNetwork and finished pods are outside NetworkPolicy ' +
      'and not counted.',
    remediation:
      'Select every pod with a policy for Ingress and for Egress: a namespace default deny (`podSelector: {}`) covers all ' +
      'pods at once; per-workload policies cover the pods their podSelector matches. Cluster-wide CNI policies ' +
      '(CiliumClusterwideNetworkPolicy, Calico GlobalNetworkPolicy) that select pods count as well.',
    references: [
      'https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation',
      'https://docs.cilium.io/en/stable/security/policy/intro/',
    ],
    reads: [KINDS.Pod, KINDS.NetworkPolicy],
    optionalReads: [...NETPOL_OPTIONAL_READS],
    scope: 'tenant',
    requires: REQUIRES_ENFORCEMENT,
    // Pods open because no policy of their namespace applies to a direction: NP-02's or NP-03's finding.
    explainedBy: ['NP-02', 'NP-03'],
    messages: {
      ingressOpen: 'Namespace {namespace} has pods no NetworkPolicy isolates for ingress ({counted})',
      egressOpen: 'Namespace {namespace} has pods no NetworkPolicy isolates for egress ({counted})',
    },
  },
  evaluate(ctx, report) {
    const view = sharedNetpolView(ctx);
    const perNamespace = new Map<string, Counts>();
    const reasons = new Set<string>();
    for (const [namespace, pods] of view.podsByNamespace) {
      const counts: Counts = { pods: pods.length, Ingress: 0, Egress: 0, uncertain: { Ingress: 0, Egress: 0 } };
      for (let i = 0; i < pods.length; i++) {
        const isolation = podIsolation(view, pods[i]!);
        for (let j = 0; j < DIRECTIONS.length; j++) {
          const d = DIRECTIONS[j]!;
          const result = isolation[d];
          if (result.isolated) counts[d]++;
          else if (result.uncertain.length > 0) {
            counts.uncertain[d]++;
            for (const r of result.uncertain) reasons.add(r);
          }
        }
      }
      perNamespace.set(namespace, counts);
    }
    if (perNamespace.size === 0) return { status: 'not-applicable', reason: 'no non-system namespace has pods on the pod network' };

    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    const totals = { pods: 0, Ingress: 0, Egress: 0, uncertain: 0 };
    for (const namespace of [...perNamespace.keys()].sort()) {
      const c = perNamespace.get(namespace)!;
      totals.pods += c.pods;
      totals.Ingress += c.Ingress;
      totals.Egress += c.Egress;
      totals.uncertain += c.uncertain.Ingress + c.uncertain.Egress;
      const resource = { apiVersion: 'v1', kind: 'Namespace', name: namespace };
      subjects.push({
        resource,
        verdict: 'info',
        details: {
          pods: c.pods,
          isolatedIngress: c.Ingress,
          isolatedEgress: c.Egress,
          undecidedIngress: c.uncertain.Ingress,
          undecidedEgress: c.uncertain.Egress,
          hostNetworkPods: view.hostNetworkPods.get(namespace) ?? 0,
        },
      });
      const ingressOpen = c.pods - c.Ingress - c.uncertain.Ingress;
      const egressOpen = c.pods - c.Egress - c.uncertain.Egress;
      // One finding per open direction: a direction whose every pod is open because no policy of
      // the namespace applies to it is the namespace's missing policy (NP-02, NP-03, which it then
      // folds into); pods a direction's policies leave out are this check's own cause.
      for (const [d, open] of [
        ['Ingress', ingressOpen],
        ['Egress', egressOpen],
      ] as const) {
        if (open === 0) continue;
        const cause: Cause =
          open === c.pods && hasNoPolicy(view, namespace, d) ? noPolicyCause(namespace, d) : { resource, key: `networkpolicy:pods-not-isolated:${d}` };
        findings.push(
          report(d === 'Ingress' ? 'ingressOpen' : 'egressOpen', {
            resource,
            data: { namespace, pods: c.pods, counted: podsCounted(view, namespace), open },
            field: 'networkpolicies[*].spec.podSelector',
            evidence: `${open} of ${c.pods} selected by no ${d} policy`,
            verify: kubectl('get', 'pods,networkpolicy', '-n', namespace, '--show-labels'),
            causes: [cause],
          }),
        );
      }
    }
    // The score is the mean of the two cluster-wide shares: two scored subjects, one per direction.
    for (const d of DIRECTIONS) {
      const share = totals[d] / totals.pods;
      subjects.push({
        resource: { kind: 'PodIsolation', name: d },
        verdict: share === 1 ? 'pass' : share === 0 ? 'fail' : 'partial',
        credit: share,
        details: { isolated: totals[d], pods: totals.pods, share: Math.round(share * 1000) / 1000 },
      });
    }
    if (totals.uncertain > 0) {
      return { status: 'unknown', reason: `isolation of ${totals.uncertain} pod-direction(s) could not be decided: ${[...reasons].join('; ')}`, subjects };
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});
