import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { allowAllOf, DIRECTIONS, effectiveRules, verifyPolicy } from '../../src/k8s/netpol.js';
import { REQUIRES_ENFORCEMENT, sharedPolicyIndex } from './view.js';

export default defineCheck({
  meta: {
    id: 'NP-05',
    title: 'No NetworkPolicy allows all traffic',
    category: 'network',
    severity: 'medium',
    rationale:
      'A rule that allows every source (ingress without `from`, or from `namespaceSelector: {}`) or every destination ' +
      '(egress to 0.0.0.0/0 or ::/0 without except) on every port turns isolation back off for the pods it selects: ' +
      'policies only add allowances, so one allow-all rule outweighs every restriction around it. Such rules are ' +
      'sometimes deliberate (an ingress controller facing the internet) and should then be few, named and reviewed.',
    remediation:
      'Replace allow-all rules with the peers and ports the workload needs: a namespaceSelector/podSelector pair for ' +
      'in-cluster clients, an ipBlock with `except` for private ranges and the metadata endpoint (169.254.169.254/32), ' +
      'and `ports` for the ports actually served. Keep deliberate exceptions in their own small policy.',
    references: [
      'https://kubernetes.io/docs/concepts/services-networking/network-policies/#allow-all-ingress-traffic',
      'https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec',
    ],
    reads: [KINDS.NetworkPolicy],
    scope: 'tenant',
    requires: REQUIRES_ENFORCEMENT,
    // An allow-all rule of a policy that selects every pod is the namespace's missing default deny (NP-02, NP-03).
    explainedBy: ['NP-02', 'NP-03'],
    messages: {
      allowAll: 'NetworkPolicy {namespace}/{policy} allows all {direction} traffic at {path}',
    },
  },
  evaluate(ctx, report) {
    const index = sharedPolicyIndex(ctx);
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const policy of index.all()) {
      if (ctx.isSystemNamespace(policy.namespace)) continue;
      // Only rules of a direction in the effective policyTypes take effect.
      const hits = DIRECTIONS.flatMap((d) =>
        effectiveRules(policy, d).flatMap((rule) => {
          const at = allowAllOf(rule);
          return at ? [{ direction: d, ...at }] : [];
        }),
      );
      subjects.push({ resource: policy.ref, verdict: hits.length === 0 ? 'pass' : 'fail', details: { allowAll: hits.map((h) => h.path) } });
      if (hits.length === 0) continue;
      const first = hits[0]!;
      findings.push(
        report('allowAll', {
          resource: policy.ref,
          data: {
            namespace: policy.namespace,
            policy: policy.name,
            direction: [...new Set(hits.map((h) => h.direction))].join(' and '),
            path: hits.map((h) => h.path).join(', '),
          },
          field: first.path,
          evidence: [first.reason, ...hits.slice(1).map((h) => `${h.path}: ${h.reason}`)].join('; '),
          verify: verifyPolicy(policy),
          causes: hits.map((h) => ({ resource: policy.ref, key: h.path })),
        }),
      );
    }
    if (subjects.length === 0) return { status: 'not-applicable', reason: 'no NetworkPolicy outside system namespaces' };
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});
