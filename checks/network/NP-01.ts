import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { cnisWithCrds, detectCnis, type CniDetection } from '../../src/k8s/cni.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { nameOf, type ResourceRef } from '../../src/k8s/object.js';
import { kubectl } from '../../src/util/shell.js';

function label(d: CniDetection): string {
  return `${d.entry.name} (DaemonSet ${d.daemonSet.namespace ?? ''}/${d.daemonSet.name})`;
}

function verify(ds: ResourceRef): string {
  return kubectl('get', 'daemonset', ds.name, '-n', ds.namespace ?? 'default', '-o', 'yaml');
}

function verifyConfigMap(cm: ResourceRef): string {
  return kubectl('get', 'configmap', cm.name, '-n', cm.namespace ?? 'default', '-o', 'yaml');
}

export default defineCheck({
  meta: {
    id: 'NP-01',
    title: 'The CNI enforces NetworkPolicy',
    category: 'network',
    severity: 'critical',
    rationale:
      'NetworkPolicy objects are only data: the CNI plugin (or a policy agent beside it) enforces them. Flannel, the ' +
      'Azure CNI alone, and the AWS VPC CNI without its network policy agent accept every NetworkPolicy and enforce none, ' +
      'and Cilium in policy enforcement mode `never` ignores them, so a cluster can look segmented in YAML while every ' +
      'pod reaches every other. Every other NetworkPolicy check ' +
      'is meaningful only when this one passes.',
    remediation:
      'Run a CNI that enforces NetworkPolicy: Cilium, Calico, Antrea, or the cloud option (GKE Dataplane V2, AKS with ' +
      'Azure NPM, Calico or Cilium via --network-policy, EKS with the VPC CNI network policy agent: ' +
      '`enableNetworkPolicy: "true"` in the add-on configuration). On Cilium, set policyEnforcementMode to `default` ' +
      "(cilium-config `enable-policy`). On Flannel, enable the chart's kube-network-policies container (`netpol.enabled`) " +
      'or add Calico in policy-only mode (Canal). ' +
      'If kposture does not recognise your CNI, add it to the `cnis` catalogue in the config file.',
    references: [
      'https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites',
      'https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html',
      'https://learn.microsoft.com/en-us/azure/aks/use-network-policies',
      'https://cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2',
      'https://docs.tigera.io/calico/latest/getting-started/kubernetes/flannel/install-for-flannel',
    ],
    reads: [KINDS.DaemonSet],
    // ConfigMaps decide some CNIs' enforcement (Cilium's cilium-config); only the keys the catalogue names are kept.
    optionalReads: [KINDS.CustomResourceDefinition, KINDS.ConfigMap],
    messages: {
      notEnforced: '{cni} does not enforce NetworkPolicy: {evidence}',
    },
  },
  evaluate(ctx, report) {
    const detections = detectCnis(ctx.items(KINDS.DaemonSet), ctx.catalogs.cnis, ctx.collection(KINDS.ConfigMap)).filter((d) => d.running);
    if (detections.length === 0) {
      const crds = ctx.collection(KINDS.CustomResourceDefinition);
      const hinted = crds.status === 'ok' ? cnisWithCrds(new Set(crds.items.map(nameOf)), ctx.catalogs.cnis) : [];
      const hint = hinted.length > 0 ? `; CRDs of ${hinted.map((e) => e.name).join(', ')} exist but none of their DaemonSets runs` : '';
      return {
        status: 'unknown',
        reason: `no running DaemonSet matches a CNI of the catalogue (managed clusters and k3s may run the CNI outside DaemonSets)${hint}; add your CNI to the cnis catalogue in the config file`,
      };
    }
    const subject = (d: CniDetection, verdict: Subject['verdict']): Subject => ({
      resource: d.daemonSet,
      verdict,
      details: {
        cni: d.entry.id,
        name: d.entry.name,
        enforcesNetworkPolicy: d.enforcement,
        evidence: d.evidence,
        path: d.path,
        ...(d.object ? { decidedBy: `ConfigMap ${d.object.namespace ?? ''}/${d.object.name}` } : {}),
      },
    });
    // The cluster enforces NetworkPolicy when one recognised component does; the others are shown.
    const enforcing = detections.find((d) => d.enforcement === 'yes');
    if (enforcing) {
      return { status: 'pass', subjects: detections.map((d) => subject(d, d === enforcing ? 'pass' : 'info')), findings: [] };
    }
    const undecided = detections.filter((d) => d.enforcement === 'unknown');
    if (undecided.length > 0) {
      return {
        status: 'unknown',
        reason: `enforcement could not be decided for ${undecided.map((d) => `${label(d)}: ${d.evidence}`).join('; ')}`,
        subjects: detections.map((d) => subject(d, d.enforcement === 'unknown' ? 'unknown' : 'info')),
      };
    }
    // Every recognised component is known not to enforce: one finding per component, all scored as one cluster verdict.
    // The finding names the object whose setting is the cause: the ConfigMap when one decided.
    const findings: Finding[] = detections.map((d) =>
      report('notEnforced', {
        resource: d.object ?? d.daemonSet,
        data: { cni: label(d), evidence: d.evidence },
        field: d.path,
        evidence: d.evidence,
        verify: d.object ? verifyConfigMap(d.object) : verify(d.daemonSet),
      }),
    );
    return { status: 'fail', subjects: detections.map((d, i) => subject(d, i === 0 ? 'fail' : 'info')), findings };
  },
});
