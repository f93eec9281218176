import type { OsFamily } from '../../src/catalog/catalogs.js';
import { describeSignal, identifyOs, type OsSignal } from '../../src/k8s/os.js';
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
  it('reads status.nodeInfo.osImage first, and keeps a label that names another family as a conflict', () => {
    const n = node({ osImage: 'Ubuntu 22.04.4 LTS' }, { 'cloud.google.com/gke-os-distribution': 'cos' });
    expect(identifyOs(n, families)).toEqual({
      osImage: 'Ubuntu 22.04.4 LTS',
      family: families[2],
      signal: 'osImage',
      evidence: 'osImage "Ubuntu 22.04.4 LTS"',
      field: 'status.nodeInfo.osImage',
      conflicts: [
        {
          signal: 'label:cloud.google.com/gke-os-distribution',
          value: 'cloud.google.com/gke-os-distribution=cos',
          field: 'metadata.labels["cloud.google.com/gke-os-distribution"]',
          families: [families[1]],
        },
      ],
    });
  });

  it('falls back to labels when the osImage is missing or unrecognised', () => {
    expect(identifyOs(node(undefined, { 'cloud.google.com/gke-os-distribution': 'cos_containerd' }), families)).toEqual({
      family: families[1],
      signal: 'label:cloud.google.com/gke-os-distribution',
      evidence: 'label cloud.google.com/gke-os-distribution=cos_containerd',
      field: 'metadata.labels["cloud.google.com/gke-os-distribution"]',
    });
    expect(identifyOs(node({ osImage: 'Linux' }, { 'cloud.google.com/gke-os-distribution': 'ubuntu' }), families).family?.id).toBe('ubuntu');
  });

  it('lets a labelsOverrideOsImage family win over the base distribution it reports, and says the osImage disagrees', () => {
    const n = node({ osImage: 'Ubuntu 24.04.1 LTS' }, { 'kairos.io/managed': 'true' });
    expect(identifyOs(n, families)).toMatchObject({
      family: { id: 'kairos' },
      signal: 'label:kairos.io/managed',
      evidence: 'label kairos.io/managed=true',
      conflicts: [{ signal: 'osImage', value: 'Ubuntu 24.04.1 LTS', families: [families[2]] }],
    });
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
    expect(identifyOs({ kind: 'Node', metadata: { labels: 5 }, status: { nodeInfo: { osImage: 7, kernelVersion: [] } } }, families)).toEqual({});
  });
});

describe('identifyOs with kernels, shared patterns and label sets', () => {
  const kernelFamilies: OsFamily[] = [
    { id: 'talos', name: 'Talos Linux', class: 'container-optimized', osImage: ['^Talos\\b'], kernelVersion: ['-talos\\b'], source: 's' },
    { id: 'fcos', name: 'Fedora CoreOS', class: 'container-optimized', osImage: ['^Fedora CoreOS\\b'], kernelVersion: ['\\.fc\\d+\\b'], source: 's' },
    { id: 'fedora', name: 'Fedora Linux', class: 'general-purpose', osImage: ['^Fedora Linux \\d+'], kernelVersion: ['\\.fc\\d+\\b'], source: 's' },
    {
      id: 'al2023',
      name: 'Amazon Linux 2023',
      class: 'general-purpose',
      labelSets: [{ 'feature.node.kubernetes.io/system-os_release.ID': '^amzn$', 'feature.node.kubernetes.io/system-os_release.VERSION_ID': '^2023' }],
      source: 's',
    },
    {
      id: 'al2',
      name: 'Amazon Linux 2',
      class: 'general-purpose',
      labelSets: [{ 'feature.node.kubernetes.io/system-os_release.ID': '^amzn$', 'feature.node.kubernetes.io/system-os_release.VERSION_ID': '^2$' }],
      source: 's',
    },
    { id: 'k3s-in-docker', name: 'K3s node container', class: 'node-in-container', osImage: ['^K3s\\b'], source: 's' },
    { id: 'kind-node', name: 'kind node container', class: 'node-in-container', providerID: ['^kind://'], source: 's' },
    { id: 'debian', name: 'Debian', class: 'general-purpose', osImage: ['^Debian GNU/Linux'], source: 's' },
  ];

  it('decides from the kernel when the osImage says nothing, and says which field showed it', () => {
    expect(identifyOs(node({ osImage: 'Linux', kernelVersion: '6.6.32-talos' }), kernelFamilies)).toEqual({
      osImage: 'Linux',
      kernelVersion: '6.6.32-talos',
      family: kernelFamilies[0],
      signal: 'kernelVersion',
      evidence: 'kernelVersion "6.6.32-talos"',
      field: 'status.nodeInfo.kernelVersion',
    });
  });

  it('lets a pattern listed by two families narrow, not decide: a Fedora kernel alone leaves the node unknown', () => {
    const identity = identifyOs(node({ kernelVersion: '6.6.3-200.fc39.x86_64' }), kernelFamilies);
    expect(identity.family).toBeUndefined();
    expect(identity.ambiguous).toEqual([
      { signal: 'kernelVersion', value: '6.6.3-200.fc39.x86_64', field: 'status.nodeInfo.kernelVersion', families: [kernelFamilies[1], kernelFamilies[2]] },
    ]);
    // the osImage tells them apart, and the shared kernel is then no conflict
    const fcos = identifyOs(node({ osImage: 'Fedora CoreOS 39.20231204.3.3', kernelVersion: '6.6.3-200.fc39.x86_64' }), kernelFamilies);
    expect(fcos).toMatchObject({ family: { id: 'fcos' }, signal: 'osImage' });
    expect(fcos.conflicts).toBeUndefined();
  });

  it('needs every label of a set: NFD ID amzn with VERSION_ID 2023 is AL2023, ID alone is nothing', () => {
    const both = { 'feature.node.kubernetes.io/system-os_release.ID': 'amzn', 'feature.node.kubernetes.io/system-os_release.VERSION_ID': '2023' };
    expect(identifyOs(node(undefined, both), kernelFamilies)).toMatchObject({
      family: { id: 'al2023' },
      signal: 'label:feature.node.kubernetes.io/system-os_release.ID,feature.node.kubernetes.io/system-os_release.VERSION_ID',
      evidence: 'labels feature.node.kubernetes.io/system-os_release.ID=amzn, feature.node.kubernetes.io/system-os_release.VERSION_ID=2023',
      field: 'metadata.labels["feature.node.kubernetes.io/system-os_release.ID"]',
    });
    expect(identifyOs(node(undefined, { 'feature.node.kubernetes.io/system-os_release.ID': 'amzn' }), kernelFamilies)).toEqual({});
  });

  it('keeps a k3s node container apart and lists the host kernel that disagrees, without taking it', () => {
    const identity = identifyOs(node({ osImage: 'K3s v1.30.4+k3s1', kernelVersion: '6.6.32-talos' }), kernelFamilies);
    expect(identity).toMatchObject({ family: { id: 'k3s-in-docker', class: 'node-in-container' }, signal: 'osImage' });
    expect(identity.conflicts?.map((c) => c.signal)).toEqual(['kernelVersion']);
  });

  it('takes a kind node for a container from its providerID, before the Debian its node image reports', () => {
    const kind = {
      ...node({ osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.8.0-45-generic' }),
      spec: { providerID: 'kind://docker/kind/kind-worker' },
    };
    const identity = identifyOs(kind, kernelFamilies);
    expect(identity).toMatchObject({
      family: { id: 'kind-node', class: 'node-in-container' },
      signal: 'providerID',
      evidence: 'providerID "kind://docker/kind/kind-worker"',
      field: 'spec.providerID',
    });
    expect(identity.conflicts?.map((c) => [c.signal, c.families.map((f) => f.id)])).toEqual([['osImage', ['debian']]]);
    // a cloud provider's id names no family: the osImage decides as before
    const eks = { ...node({ osImage: 'Debian GNU/Linux 12 (bookworm)' }), spec: { providerID: 'aws:///eu-west-1a/i-0abc' } };
    expect(identifyOs(eks, kernelFamilies)).toMatchObject({ family: { id: 'debian' }, signal: 'osImage' });
  });

  it('lets an entry that comes first (a config entry) win over a later one whose pattern differs but also matches', () => {
    const corp: OsFamily = { id: 'corp', name: 'Corp Linux', class: 'container-optimized', kernelVersion: ['-talos-corp$'], source: 'internal' };
    expect(identifyOs(node({ kernelVersion: '6.6.32-talos-corp' }), [corp, ...kernelFamilies]).family?.id).toBe('corp');
  });
});

describe('describeSignal', () => {
  it('names one family, or the families a shared pattern leaves', () => {
    const one: OsSignal = { signal: 'osImage', value: 'Talos (v1.7.6)', field: 'status.nodeInfo.osImage', families: [families[0]!] };
    expect(describeSignal(one)).toEqual({ signal: 'osImage', value: 'Talos (v1.7.6)', family: 'kairos' });
    expect(describeSignal({ ...one, families: [families[0]!, families[2]!] })).toEqual({
      signal: 'osImage',
      value: 'Talos (v1.7.6)',
      families: ['kairos', 'ubuntu'],
    });
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
