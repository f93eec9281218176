/**
 * Nodes as `kubectl get nodes -o json` prints them, trimmed to what the host-OS checks read:
 * `status.nodeInfo` and labels. The strings are real ones from EKS, GKE, AKS, Talos, kubeadm
 * and minikube nodes (see catalog/os-families.json for their sources).
 */
import type { K8sObject } from '../../../src/k8s/object.js';
import type { NodeInfo } from '../../../src/k8s/nodes.js';

/** The fields a kubelet reports in status.nodeInfo (the same shape the checks read). */
export type NodeSoftware = NodeInfo;

export function node(name: string, software: NodeSoftware, labels: Record<string, string> = {}): K8sObject {
  const os = software.operatingSystem ?? 'linux';
  const arch = software.architecture ?? 'amd64';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': os, 'kubernetes.io/arch': arch, ...labels },
    },
    status: {
      nodeInfo: {
        machineID: 'ec2a8bd1e7c5d1f0b0c4a7e7a4c3b2a1',
        bootID: '2f0e5c1a-7b5e-4b6f-9a7e-3c1d2e4f5a6b',
        ...software,
        operatingSystem: os,
        architecture: arch,
      },
    },
  };
}

const EKS_AL2: NodeSoftware = {
  osImage: 'Amazon Linux 2',
  kernelVersion: '5.10.219-208.866.amzn2.x86_64',
  kubeletVersion: 'v1.29.3-eks-ae9a62a',
  containerRuntimeVersion: 'containerd://1.7.11',
};

const EKS_BOTTLEROCKET: NodeSoftware = {
  osImage: 'Bottlerocket OS 1.19.4 (aws-k8s-1.29)',
  kernelVersion: '6.1.90',
  kubeletVersion: 'v1.29.1-eks-61c0bbb',
  containerRuntimeVersion: 'containerd://1.6.31+bottlerocket',
};

export function eksAl2(name: string, nodegroup = 'ng-al2', overrides: NodeSoftware = {}): K8sObject {
  return node(
    name,
    { ...EKS_AL2, ...overrides },
    {
      'eks.amazonaws.com/nodegroup': nodegroup,
      'eks.amazonaws.com/capacityType': 'ON_DEMAND',
      'node.kubernetes.io/instance-type': 'm5.large',
    },
  );
}

export function eksBottlerocket(name: string, nodegroup = 'ng-bottlerocket', overrides: NodeSoftware = {}): K8sObject {
  return node(
    name,
    { ...EKS_BOTTLEROCKET, ...overrides },
    {
      'eks.amazonaws.com/nodegroup': nodegroup,
      'eks.amazonaws.com/capacityType': 'ON_DEMAND',
      'node.kubernetes.io/instance-type': 'm5.large',
    },
  );
}

export function gkeCos(name: string, pool = 'default-pool', overrides: NodeSoftware = {}): K8sObject {
  return node(
    name,
    {
      osImage: 'Container-Optimized OS from Google',
      kernelVersion: '6.1.85+',
      kubeletVersion: 'v1.30.3-gke.1639000',
      containerRuntimeVersion: 'containerd://1.7.15',
      ...overrides,
    },
    { 'cloud.google.com/gke-nodepool': pool, 'cloud.google.com/gke-os-distribution': 'cos', 'cloud.google.com/machine-family': 'e2' },
  );
}

export function aksUbuntu(name: string, pool = 'nodepool1', overrides: NodeSoftware = {}): K8sObject {
  return node(
    name,
    {
      osImage: 'Ubuntu 22.04.4 LTS',
      kernelVersion: '5.15.0-1064-azure',
      kubeletVersion: 'v1.29.4',
      containerRuntimeVersion: 'containerd://1.7.15-1',
      ...overrides,
    },
    { agentpool: pool, 'kubernetes.azure.com/agentpool': pool, 'kubernetes.azure.com/os-sku': 'Ubuntu', 'kubernetes.azure.com/mode': 'system' },
  );
}

export function aksWindows(name: string, pool = 'npwin'): K8sObject {
  return node(
    name,
    {
      osImage: 'Windows Server 2022 Datacenter',
      kernelVersion: '10.0.20348.2402',
      kubeletVersion: 'v1.29.4',
      containerRuntimeVersion: 'containerd://1.6.21+azure',
      operatingSystem: 'windows',
    },
    { agentpool: pool, 'kubernetes.azure.com/agentpool': pool, 'kubernetes.azure.com/os-sku': 'Windows2022', 'kubernetes.azure.com/mode': 'user' },
  );
}

export function talos(name: string, overrides: NodeSoftware = {}, labels: Record<string, string> = {}): K8sObject {
  return node(
    name,
    { osImage: 'Talos (v1.7.6)', kernelVersion: '6.6.43-talos', kubeletVersion: 'v1.30.3', containerRuntimeVersion: 'containerd://1.7.20', ...overrides },
    labels,
  );
}

export function kubeadmUbuntu(name: string, overrides: NodeSoftware = {}, labels: Record<string, string> = {}): K8sObject {
  return node(
    name,
    {
      osImage: 'Ubuntu 22.04.4 LTS',
      kernelVersion: '5.15.0-117-generic',
      kubeletVersion: 'v1.30.3',
      containerRuntimeVersion: 'containerd://1.7.12',
      ...overrides,
    },
    labels,
  );
}

export function minikube(name = 'minikube'): K8sObject {
  return node(
    name,
    { osImage: 'Buildroot 2023.02.9', kernelVersion: '5.10.207', kubeletVersion: 'v1.30.0', containerRuntimeVersion: 'docker://26.0.1' },
    { 'minikube.k8s.io/name': 'minikube' },
  );
}

/**
 * A k3s node running in Docker (`docker run rancher/k3s`, or a k3d cluster): the osImage is the
 * K3s image's os-release, the kernel is the host's (https://github.com/k3s-io/k3s/issues/9141).
 */
export function k3sInDocker(name: string): K8sObject {
  return node(
    name,
    {
      osImage: 'K3s v1.28.6-rc2+k3s1',
      kernelVersion: '5.14.21-150500.55.44-default',
      kubeletVersion: 'v1.28.6-rc2+k3s1',
      containerRuntimeVersion: 'containerd://1.7.11-k3s2',
    },
    { 'node-role.kubernetes.io/control-plane': 'true', 'node.kubernetes.io/instance-type': 'k3s' },
  );
}

/** A kind node (kindest/node v1.31 on Docker): a Debian node image, the host's kernel, and kind's providerID. */
export function kindNode(name: string): K8sObject {
  const n = node(
    name,
    {
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      kernelVersion: '6.8.0-45-generic',
      kubeletVersion: 'v1.31.0',
      containerRuntimeVersion: 'containerd://1.7.18',
    },
    name.endsWith('control-plane') ? { 'node-role.kubernetes.io/control-plane': '' } : {},
  );
  return { ...n, spec: { ...(n.spec ?? {}), providerID: `kind://docker/kind/${name}` } };
}

/**
 * An EKS AL2023 node as Node Feature Discovery labels it; kernel and os-release labels from real
 * nodes (https://github.com/awslabs/amazon-eks-ami/pull/1212, NFD system-os_release labels).
 */
export function eksAl2023(name: string, overrides: NodeSoftware = {}, labels: Record<string, string> = {}): K8sObject {
  return node(
    name,
    {
      osImage: 'Amazon Linux 2023.5.20240624',
      kernelVersion: '6.1.94-99.176.amzn2023.x86_64',
      kubeletVersion: 'v1.30.0-eks-036c24b',
      containerRuntimeVersion: 'containerd://1.7.11',
      ...overrides,
    },
    {
      'eks.amazonaws.com/nodegroup': 'ng-al2023',
      'feature.node.kubernetes.io/system-os_release.ID': 'amzn',
      'feature.node.kubernetes.io/system-os_release.VERSION_ID': '2023',
      'feature.node.kubernetes.io/system-os_release.VERSION_ID.major': '2023',
      ...labels,
    },
  );
}
