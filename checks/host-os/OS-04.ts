import { defineCheck, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { compareRefs, nameOf, refOf } from '../../src/k8s/object.js';
import { nodeInfoOf } from '../../src/k8s/nodes.js';

const VERIFY = 'kubectl get nodes -o custom-columns=NAME:.metadata.name,RUNTIME:.status.nodeInfo.containerRuntimeVersion';

/** CRI runtimes built for Kubernetes, by the scheme the kubelet reports (`containerd://1.7.13`). */
const CRI_RUNTIMES: Record<string, string> = { containerd: 'containerd', 'cri-o': 'CRI-O' };

export default defineCheck({
  meta: {
    id: 'OS-04',
    title: 'Nodes use a CRI runtime built for Kubernetes (containerd or CRI-O), not Docker',
    category: 'host-os',
    severity: 'medium',
    rationale:
      'containerd and CRI-O implement the Container Runtime Interface directly, with nothing else on the node. A node ' +
      'that reports `docker://` runs Docker Engine behind a shim (dockershim, removed in Kubernetes 1.24, or ' +
      'cri-dockerd): a second daemon with its own API socket, build features and network stack, more attack surface and ' +
      'one more component to patch, and a root-equivalent socket that tools love to mount.',
    remediation:
      'Replace Docker nodes with nodes that use containerd or CRI-O: current images of EKS, GKE, AKS, Talos, Flatcar and ' +
      'Bottlerocket already do. On self-managed nodes install containerd, point the kubelet at its socket ' +
      '(`--container-runtime-endpoint=unix:///run/containerd/containerd.sock`), drain and re-join the node, then remove ' +
      'Docker Engine and cri-dockerd.',
    references: [
      'https://kubernetes.io/docs/setup/production-environment/container-runtimes/',
      'https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/change-runtime-containerd/',
      'https://kubernetes.io/blog/2022/02/17/dockershim-faq/',
    ],
    reads: [KINDS.Node],
    messages: {
      docker: '{count} node(s) run Docker Engine as container runtime ({versions}): {nodes}',
    },
  },
  evaluate(ctx, report) {
    const nodes = ctx.items(KINDS.Node);
    if (nodes.length === 0) return { status: 'not-applicable', reason: 'the cluster has no nodes' };

    const subjects: Subject[] = [];
    const docker: { ref: ReturnType<typeof refOf>; name: string; runtime: string }[] = [];
    for (const node of nodes) {
      const ref = refOf(node, 'Node');
      const runtime = nodeInfoOf(node).containerRuntimeVersion;
      const scheme = runtime?.includes('://') ? runtime.slice(0, runtime.indexOf('://')).toLowerCase() : undefined;
      const details = { containerRuntimeVersion: runtime ?? null, runtime: scheme ?? null };
      if (scheme !== undefined && scheme in CRI_RUNTIMES) {
        subjects.push({ resource: ref, verdict: 'pass', details: { ...details, runtime: CRI_RUNTIMES[scheme] } });
      } else if (scheme === 'docker') {
        subjects.push({ resource: ref, verdict: 'fail', details: { ...details, runtime: 'Docker Engine' } });
        docker.push({ ref, name: nameOf(node), runtime: runtime! });
      } else {
        const reason = runtime ? `runtime "${runtime}" is not one kposture knows` : 'status.nodeInfo.containerRuntimeVersion is missing';
        subjects.push({ resource: ref, verdict: 'unknown', details: { ...details, reason } });
      }
    }

    if (!subjects.some((s) => s.verdict !== 'unknown')) {
      return { status: 'unknown', reason: 'no node reports a container runtime kposture recognises', subjects };
    }
    if (docker.length === 0) return { status: 'pass', subjects, findings: [] };

    docker.sort((a, b) => compareRefs(a.ref, b.ref));
    const versions = [...new Set(docker.map((d) => d.runtime))].sort().join(', ');
    const names = docker.map((d) => d.name);
    const finding = report('docker', {
      resource: docker[0]!.ref,
      affected: docker.map((d) => d.ref),
      data: { count: docker.length, versions, nodes: names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ') },
      field: 'status.nodeInfo.containerRuntimeVersion',
      evidence: versions,
      verify: VERIFY,
    });
    return { status: 'fail', subjects, findings: [finding] };
  },
});
