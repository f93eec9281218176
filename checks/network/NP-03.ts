import { defineCheck } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { NETPOL_OPTIONAL_READS } from '../../src/k8s/netpol-view.js';
import { NAMESPACE_DEFAULT_MESSAGES, namespaceDefaultOutcome, REQUIRES_ENFORCEMENT } from './view.js';

export default defineCheck({
  meta: {
    id: 'NP-03',
    title: 'Namespaces deny egress by default (default-deny NetworkPolicy)',
    category: 'network',
    severity: 'medium',
    rationale:
      'A compromised pod that may open any outbound connection can reach the cloud metadata endpoint, the API server, ' +
      'databases of other tenants and the internet to exfiltrate data or fetch tooling. An egress default deny (every pod ' +
      'selected for Egress, only listed destinations allowed, typically DNS plus the services the workload uses) limits ' +
      'lateral movement and exfiltration to the flows that were written down. Cluster-wide CNI policies that put every ' +
      'pod of a namespace in egress default deny count too.',
    remediation:
      'Add to each application namespace `spec: {podSelector: {}, policyTypes: [Egress]}` (or Ingress and Egress in one ' +
      'policy), then allow DNS to kube-dns and each needed destination, e.g. a namespace-wide policy with ' +
      '`egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: ' +
      '{matchLabels: {k8s-app: kube-dns}}}], ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]`. Avoid ' +
      'namespace-wide rules to 0.0.0.0/0 without except, which cancel the deny. Cilium (toFQDNs) and Calico can allow ' +
      'egress by DNS name instead of CIDR.',
    references: [
      'https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic',
      'https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/',
      'https://docs.cilium.io/en/stable/security/policy/language/#dns-based',
      'https://docs.tigera.io/calico/latest/network-policy/get-started/kubernetes-default-deny',
    ],
    reads: [KINDS.Pod, KINDS.NetworkPolicy],
    optionalReads: [...NETPOL_OPTIONAL_READS],
    scope: 'tenant',
    requires: REQUIRES_ENFORCEMENT,
    // A namespace without any NetworkPolicy is NP-02's finding, for both directions.
    explainedBy: ['NP-02'],
    messages: NAMESPACE_DEFAULT_MESSAGES,
  },
  evaluate: (ctx, report) => namespaceDefaultOutcome(ctx, 'Egress', report),
});
