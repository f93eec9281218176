import type { OsFamily } from '../../src/catalog/catalogs.js';
import { identifyOs } from '../../src/k8s/os.js';
import { NODE_POOL_LABELS, nodeInfoOf, nodePoolOf, parseKubeVersion } from '../../src/k8s/nodes.js';
import type { K8sObject } from '../../src/k8s/object.js';

function node(nodeInfo: Record<string, unknown> | undefined, labels: Record<string, string> = {}): K8sObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels }, ...(nodeInfo ? { status: { nodeInfo } } : {}) };
}

const families: OsFamily[] = [
  {
    id: 'kairos',
    name: 'Kairos',
    class: 'container-optimized',
    osImage: ['^kairos\\b'],
    labels: { 'kairos.io/managed': '^true$' },
    labelsOverrideOsImage: true,
    source: 's',
  },
  {
    id: 'cos',
    name: 'COS',
    class: 'container-optimized',
    osImage: ['^Container-Optimized OS'],
    labels: { 'cloud.google.com/gke-os-distribution': '^cos' },
    source: 's',
  },
  {
    id: 'ubuntu',
    name: 'Ubuntu',
    class: 'general-purpose',
    osImage: ['^Ubuntu\\b'],
    labels: { 'cloud.google.com/gke-os-distribution': '^ubuntu' },
    source: 's',
  },
  { id: 'broken', name: 'Broken', class: 'general-purpose', osImage: ['(('], source: 's' },
];

describe('identifyOs', () => {
  it('reads status.nodeInfo.osImage first', () => {
    const n = node({ osImage: 'Ubuntu 22.04.4 LTS' }, { 'cloud.google.com/gke-os-distribution': 'cos' });
    expect(identifyOs(n, families)).toEqual({
      osImage: 'Ubuntu 22.04.4 LTS',
      family: families[2],
      evidence: 'osImage "Ubuntu 22.04.4 LTS"',
      field: 'status.nodeInfo.osImage',
    });
  });

  it('falls back to labels when the osImage is missing or unrecognised', () => {
    expect(identifyOs(node(undefined, { 'cloud.google.com/gke-os-distribution': 'cos_containerd' }), families)).toEqual({
      family: families[1],
      evidence: 'label cloud.google.com/gke-os-distribution=cos_containerd',
      field: 'metadata.labels["cloud.google.com/gke-os-distribution"]',
    });
    expect(identifyOs(node({ osImage: 'Linux' }, { 'cloud.google.com/gke-os-distribution': 'ubuntu' }), families).family?.id).toBe('ubuntu');
  });

  it('lets a labelsOverrideOsImage family win over the base distribution it reports', () => {
    const n = node({ osImage: 'Ubuntu 24.04.1 LTS' }, { 'kairos.io/managed': 'true' });
    expect(identifyOs(n, families)).toMatchObject({ family: { id: 'kairos' }, evidence: 'label kairos.io/managed=true' });
    expect(identifyOs(node({ osImage: 'Ubuntu 24.04.1 LTS' }, { 'kairos.io/managed': 'false' }), families).family?.id).toBe('ubuntu');
  });

  it('matches case-insensitively and ignores catalogue patterns that do not compile', () => {
    expect(identifyOs(node({ osImage: 'UBUNTU 20.04.6 LTS' }), families).family?.id).toBe('ubuntu');
    expect(identifyOs(node({ osImage: '((' }), families).family).toBeUndefined();
  });

  it('returns no family, and keeps the osImage, when nothing matches', () => {
    expect(identifyOs(node({ osImage: 'Buildroot 2023.02.9' }), families)).toEqual({ osImage: 'Buildroot 2023.02.9' });
    expect(identifyOs(node(undefined), families)).toEqual({});
  });

  it('tolerates malformed nodes', () => {
    expect(identifyOs({ kind: 'Node', metadata: { labels: 5 }, status: { nodeInfo: { osImage: 7 } } }, families)).toEqual({});
  });
});

describe('nodeInfoOf', () => {
  it('reads the strings it finds and drops blanks and wrong types', () => {
    const info = nodeInfoOf(
      node({
        osImage: 'Bottlerocket OS 1.19.4 (aws-k8s-1.30)',
        kernelVersion: '6.1.90',
        kubeletVersion: 'v1.30.0-eks-036c24b',
        containerRuntimeVersion: 'containerd://1.6.31+bottlerocket',
        operatingSystem: 'linux',
        architecture: '',
        machineID: 'x',
        bootID: 5,
      }),
    );
    expect(info).toEqual({
      osImage: 'Bottlerocket OS 1.19.4 (aws-k8s-1.30)',
      kernelVersion: '6.1.90',
      kubeletVersion: 'v1.30.0-eks-036c24b',
      containerRuntimeVersion: 'containerd://1.6.31+bottlerocket',
      operatingSystem: 'linux',
    });
  });
});

describe('nodePoolOf', () => {
  it.each([
    [{ 'eks.amazonaws.com/nodegroup': 'ng-al2', 'node.kubernetes.io/instance-type': 'm5.large' }, 'eks.amazonaws.com/nodegroup', 'ng-al2'],
    [{ 'cloud.google.com/gke-nodepool': 'default-pool' }, 'cloud.google.com/gke-nodepool', 'default-pool'],
    [{ 'kubernetes.azure.com/agentpool': 'nodepool1', agentpool: 'nodepool1' }, 'kubernetes.azure.com/agentpool', 'nodepool1'],
    [{ 'karpenter.sh/nodepool': 'general-purpose' }, 'karpenter.sh/nodepool', 'general-purpose'],
  ])('%j → %s=%s', (labels, label, value) => {
    expect(nodePoolOf(node({}, labels))).toEqual({ label, value });
  });

  it('never takes the instance type for a pool', () => {
    expect(NODE_POOL_LABELS).not.toContain('node.kubernetes.io/instance-type');
    expect(nodePoolOf(node({}, { 'node.kubernetes.io/instance-type': 'm5.large' }))).toBeUndefined();
  });

  it('tries caller-supplied labels in order', () => {
    expect(nodePoolOf(node({}, { 'corp.io/pool': 'batch', 'karpenter.sh/nodepool': 'x' }), ['corp.io/pool', ...NODE_POOL_LABELS])).toEqual({
      label: 'corp.io/pool',
      value: 'batch',
    });
  });
});

describe('parseKubeVersion', () => {
  it.each([
    ['v1.29.3', 1, 29, 3],
    ['1.30.2', 1, 30, 2],
    ['v1.29.3-eks-ae9a62a', 1, 29, 3],
    ['v1.30.5-gke.1014001', 1, 30, 5],
    ['v1.27.4+4e87926', 1, 27, 4],
    ['v1.28.5+k3s1', 1, 28, 5],
    ['v1.31', 1, 31, 0],
  ])('%s', (raw, major, minor, patch) => {
    expect(parseKubeVersion(raw)).toEqual({ major, minor, patch, raw });
  });

  it.each(['', 'latest', 'vX.Y', 'v1'])('rejects %j', (raw) => {
    expect(parseKubeVersion(raw)).toBeUndefined();
  });
});
