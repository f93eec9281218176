import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { isPolicySubject, selectsEveryPod, type Policy } from '../../src/k8s/netpol.js';
import { kubectl } from '../../src/util/shell.js';
import { REQUIRES_ENFORCEMENT, sharedPodFacts, sharedPolicyIndex } from './view.js';

export default defineCheck({
  meta: {
    id: 'NP-06',
    title: 'Every NetworkPolicy selects at least one pod',
    category: 'network',
    severity: 'info',
    rationale:
      'A policy whose podSelector matches no running pod protects nothing: usually a typo in a label, a workload that was ' +
      'renamed or removed, or a selector on a label the pods never had. It makes the policy inventory harder to read and ' +
      'can hide the fact that the intended pods are not isolated. Namespace-wide policies (`podSelector: {}`) are never ' +
      'reported: they cover the pods a namespace will have. Pods with hostNetwork are outside NetworkPolicy and do not count.',
    remediation:
      'Compare the podSelector with the labels of the pods it was written for (`kubectl get pods -n <ns> --show-labels`), ' +
      'then fix the selector or delete the policy.',
    references: ['https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource'],
    reads: [KINDS.Pod, KINDS.NetworkPolicy],
    scope: 'tenant',
    requires: REQUIRES_ENFORCEMENT,
    messages: {
      selectsNothing: 'NetworkPolicy {namespace}/{policy} selects no pod (podSelector {selector})',
    },
  },
  evaluate(ctx, report) {
    const index = sharedPolicyIndex(ctx);
    const used = new Set<Policy>();
    const podCount = new Map<string, number>();
    const pods = sharedPodFacts(ctx);
    for (let i = 0; i < pods.length; i++) {
      const pod = pods[i]!;
      if (!isPolicySubject(pod)) continue;
      podCount.set(pod.namespace, (podCount.get(pod.namespace) ?? 0) + 1);
      const selecting = index.selecting(pod).policies;
      for (let j = 0; j < selecting.length; j++) used.add(selecting[j]!);
    }
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    const undecided: string[] = [];
    for (const policy of index.all()) {
      if (ctx.isSystemNamespace(policy.namespace)) continue;
      // `podSelector: {}` is written on purpose (a namespace-wide default deny, often laid down
      // before the first pod arrives): it cannot be a mistyped selector, so it always complies.
      if (selectsEveryPod(policy)) {
        subjects.push({ resource: policy.ref, verdict: 'pass', details: { podSelector: '{}' } });
        continue;
      }
      if (!policy.podSelector) {
        subjects.push({ resource: policy.ref, verdict: 'unknown', details: { problems: policy.problems } });
        undecided.push(`${policy.namespace}/${policy.name}: ${policy.problems.join('; ')}`);
        continue;
      }
      const selects = used.has(policy);
      subjects.push({ resource: policy.ref, verdict: selects ? 'pass' : 'fail', details: { podSelector: policy.podSelector.text } });
      if (selects) continue;
      findings.push(
        report('selectsNothing', {
          resource: policy.ref,
          data: { namespace: policy.namespace, policy: policy.name, selector: policy.podSelector.text },
          field: 'spec.podSelector',
          evidence: `podSelector ${policy.podSelector.text} matches none of the ${podCount.get(policy.namespace) ?? 0} pods in ${policy.namespace}`,
          verify: kubectl('get', 'pods', '-n', policy.namespace, '-l', policy.podSelector.text),
        }),
      );
    }
    if (subjects.length === 0) return { status: 'not-applicable', reason: 'no NetworkPolicy outside system namespaces' };
    if (findings.length > 0) return { status: 'fail', subjects, findings };
    if (undecided.length > 0) return { status: 'unknown', reason: `selectors could not be read: ${undecided.join('; ')}`, subjects };
    return { status: 'pass', subjects, findings };
  },
});
