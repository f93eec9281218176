import { asString, field, labelsOf, type K8sObject } from './object.js';

/** The software a kubelet reports about its node (`status.nodeInfo`), each field possibly absent. */
export interface NodeInfo {
  osImage?: string;
  kernelVersion?: string;
  kubeletVersion?: string;
  containerRuntimeVersion?: string;
  operatingSystem?: string;
  architecture?: string;
}

const NODE_INFO_FIELDS = ['osImage', 'kernelVersion', 'kubeletVersion', 'containerRuntimeVersion', 'operatingSystem', 'architecture'] as const;

export function nodeInfoOf(node: K8sObject): NodeInfo {
  const info: NodeInfo = {};
  for (const key of NODE_INFO_FIELDS) {
    const value = asString(field(node, 'status', 'nodeInfo', key));
    if (value !== undefined && value.trim() !== '') info[key] = value.trim();
  }
  return info;
}

/**
 * Labels that name the node pool a node belongs to, most specific first. Instance type is
 * deliberately absent: a pool may mix instance types and two pools may share one.
 */
export const NODE_POOL_LABELS: readonly string[] = [
  'eks.amazonaws.com/nodegroup', // EKS managed node groups
  'alpha.eksctl.io/nodegroup-name', // eksctl self-managed node groups
  'cloud.google.com/gke-nodepool', // GKE
  'kubernetes.azure.com/agentpool', // AKS
  'agentpool', // AKS, older clusters
  'karpenter.sh/nodepool', // Karpenter v1 (and EKS Auto Mode)
  'karpenter.sh/provisioner-name', // Karpenter before v0.32
  'doks.digitalocean.com/node-pool', // DigitalOcean Kubernetes
  'lke.linode.com/pool-id', // Linode Kubernetes Engine
];

export interface NodePool {
  label: string;
  value: string;
}

/** The first pool label the node carries, from `labels` (defaults to NODE_POOL_LABELS). */
export function nodePoolOf(node: K8sObject, labels: readonly string[] = NODE_POOL_LABELS): NodePool | undefined {
  const own = labelsOf(node);
  for (const label of labels) {
    const value = own[label];
    if (value !== undefined && value !== '') return { label, value };
  }
  return undefined;
}

export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
  /** The string as reported: `v1.29.3-eks-ae9a62a`, `v1.30.5-gke.1014001`, `v1.27.4+4e87926`. */
  raw: string;
}

/** Parses `v1.29.3`, `1.29.3`, `v1.29.3-eks-ae9a62a`, `v1.28.5+k3s1`; undefined when it is not a version. */
export function parseKubeVersion(raw: string | undefined): KubeVersion | undefined {
  if (raw === undefined) return undefined;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(raw.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), raw: raw.trim() };
}

/** `kubectl get nodes` with the columns that show what each node runs. */
export const NODE_SOFTWARE_COLUMNS =
  'NAME:.metadata.name,OS:.status.nodeInfo.osImage,KERNEL:.status.nodeInfo.kernelVersion,' +
  'KUBELET:.status.nodeInfo.kubeletVersion,RUNTIME:.status.nodeInfo.containerRuntimeVersion';
