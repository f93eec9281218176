import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { compareRefs, nameOf, refOf, type K8sObject, type ResourceRef } from '../../src/k8s/object.js';
import { nodeInfoOf, parseKubeVersion, type KubeVersion } from '../../src/k8s/nodes.js';

const VERIFY = 'kubectl version && kubectl get nodes -o custom-columns=NAME:.metadata.name,KUBELET:.status.nodeInfo.kubeletVersion';

/**
 * The version skew policy: kubelet must not be newer than kube-apiserver, and may be up to three
 * minor versions older (kubelet < 1.25 only two), https://kubernetes.io/releases/version-skew-policy/.
 */
function allowedKubeletLag(kubelet: KubeVersion): number {
  return kubelet.minor >= 25 ? 3 : 2;
}

type Position = { state: 'supported' | 'too-old' | 'newer'; lag: number; allowed: number };

export function skewOf(kubelet: KubeVersion, server: KubeVersion): Position {
  const lag = server.minor - kubelet.minor;
  const allowed = allowedKubeletLag(kubelet);
  if (lag < 0) return { state: 'newer', lag, allowed };
  return { state: lag > allowed ? 'too-old' : 'supported', lag, allowed };
}

interface NodeVersion {
  node: K8sObject;
  ref: ResourceRef;
  raw?: string;
  version?: KubeVersion;
}

export default defineCheck({
  meta: {
    id: 'OS-03',
    title: 'Kubelet versions are within the supported skew of the API server',
    category: 'host-os',
    severity: 'medium',
    rationale:
      'Kubernetes supports a kubelet up to three minor versions older than the API server (two for kubelets older than ' +
      '1.25) and never newer. Outside that window nothing is tested: API calls the kubelet makes may fail, security ' +
      'fixes of newer minors are missing, and the next control-plane upgrade is blocked. Nodes left behind are pets that ' +
      'nobody replaced.',
    remediation:
      "Upgrade or, better, replace the old nodes with nodes of the control plane's minor version (EKS managed node group " +
      'update, GKE node auto-upgrade, AKS `az aks nodepool upgrade`, `kubeadm upgrade node` plus the kubelet package, ' +
      '`talosctl upgrade-k8s`). A kubelet newer than the API server means the control plane must be upgraded first.',
    references: ['https://kubernetes.io/releases/version-skew-policy/#kubelet', 'https://kubernetes.io/docs/tasks/administer-cluster/cluster-upgrade/'],
    reads: [KINDS.Node],
    messages: {
      tooOld: '{count} node(s) run kubelet {kubelet}, {lag} minor versions behind the API server {server} (at most {allowed} supported): {nodes}',
      newer: '{count} node(s) run kubelet {kubelet}, newer than the API server {server}: {nodes}',
    },
  },
  evaluate(ctx, report) {
    const nodes = ctx.items(KINDS.Node);
    if (nodes.length === 0) return { status: 'not-applicable', reason: 'the cluster has no nodes' };
    if (!ctx.serverVersion)
      return { status: 'unknown', reason: 'the API server version is not known (the /version endpoint was not readable, or the snapshot does not record it)' };
    const server = parseKubeVersion(ctx.serverVersion);
    if (!server) return { status: 'unknown', reason: `the API server version "${ctx.serverVersion}" is not a Kubernetes version` };

    const versions: NodeVersion[] = nodes.map((node) => {
      const raw = nodeInfoOf(node).kubeletVersion;
      const version = parseKubeVersion(raw);
      return { node, ref: refOf(node, 'Node'), ...(raw ? { raw } : {}), ...(version ? { version } : {}) };
    });

    const subjects: Subject[] = [];
    const offending = new Map<string, { position: Position; members: NodeVersion[] }>();
    for (const v of versions) {
      const details = { kubeletVersion: v.raw ?? null, serverVersion: server.raw };
      if (!v.version || v.version.major !== server.major) {
        const reason = !v.raw ? 'status.nodeInfo.kubeletVersion is missing' : `kubelet version "${v.raw}" cannot be compared with ${server.raw}`;
        subjects.push({ resource: v.ref, verdict: 'unknown', details: { ...details, reason } });
        continue;
      }
      const position = skewOf(v.version, server);
      subjects.push({
        resource: v.ref,
        verdict: position.state === 'supported' ? 'pass' : 'fail',
        details: { ...details, minorVersionsBehind: position.lag, supportedLag: position.allowed },
      });
      if (position.state === 'supported') continue;
      const key = `${v.version.major}.${v.version.minor}`;
      const group = offending.get(key) ?? { position, members: [] };
      group.members.push(v);
      offending.set(key, group);
    }

    const findings: Finding[] = [...offending.values()].map(({ position, members }) => {
      const sorted = [...members].sort((a, b) => compareRefs(a.ref, b.ref));
      const kubelets = [...new Set(sorted.map((m) => m.raw!))].sort();
      const names = sorted.map((m) => nameOf(m.node));
      return report(position.state === 'newer' ? 'newer' : 'tooOld', {
        resource: sorted[0]!.ref,
        affected: sorted.map((m) => m.ref),
        data: {
          count: sorted.length,
          kubelet: kubelets.join(', '),
          server: server.raw,
          lag: position.lag,
          allowed: position.allowed,
          nodes: names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', '),
        },
        field: 'status.nodeInfo.kubeletVersion',
        evidence: `kubelet ${kubelets.join(', ')} vs kube-apiserver ${server.raw}`,
        verify: VERIFY,
      });
    });

    if (!subjects.some((s) => s.verdict === 'pass' || s.verdict === 'fail')) {
      return { status: 'unknown', reason: 'no node reports a kubelet version that can be compared with the API server', subjects };
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});
