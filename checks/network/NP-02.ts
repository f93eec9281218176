import { defineCheck } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { NETPOL_OPTIONAL_READS } from '../../src/k8s/netpol-view.js';
import { NAMESPACE_DEFAULT_MESSAGES, namespaceDefaultOutcome, REQUIRES_ENFORCEMENT } from './view.js';

export default defineCheck({
  meta: {
    id: 'NP-02',
    title: 'Namespaces deny ingress by default (default-deny NetworkPolicy)',
    category: 'network',
    severity: 'high',
    rationale:
      'Without a NetworkPolicy that selects every pod of a namespace for Ingress, a pod is reachable from every other pod ' +
      'in the cluster (and from outside, through any path that reaches the pod network) until someone writes a policy for ' +
      'it. A default deny turns that around: new workloads start isolated and each allowed flow is written down, which is ' +
      'the declarative inventory of who may talk to whom that microsegmentation and zero trust need. Cluster-wide CNI ' +
      'policies (CiliumClusterwideNetworkPolicy, Calico GlobalNetworkPolicy, AdminNetworkPolicy/BaselineAdminNetworkPolicy) ' +
      'that put every pod of a namespace in default deny count too.',
    remediation:
      'Add to each application namespace a policy that selects every pod and allows nothing: `kind: NetworkPolicy`, ' +
      '`spec: {podSelector: {}, policyTypes: [Ingress]}`, then allow each needed flow with a policy per workload. ' +
      'Or enforce it cluster-wide with a CiliumClusterwideNetworkPolicy or Calico GlobalNetworkPolicy that selects all ' +
      'non-system pods, or a BaselineAdminNetworkPolicy that denies ingress from every namespace. A policy engine ' +
      '(Kyverno generate rule) can create the default deny in every new namespace. Remove namespace-wide rules that ' +
      'allow every source (`ingress: [{}]`), which cancel the deny.',
    references: [
      'https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic',
      'https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/',
      'https://docs.cilium.io/en/stable/security/policy/intro/',
      'https://docs.tigera.io/calico/latest/network-policy/get-started/kubernetes-default-deny',
      'https://network-policy-api.sigs.k8s.io/api-overview/',
    ],
    reads: [KINDS.Pod, KINDS.NetworkPolicy],
    optionalReads: [...NETPOL_OPTIONAL_READS],
    scope: 'tenant',
    requires: REQUIRES_ENFORCEMENT,
    messages: NAMESPACE_DEFAULT_MESSAGES,
  },
  evaluate: (ctx, report) => namespaceDefaultOutcome(ctx, 'Ingress', report, 'Egress'),
});
