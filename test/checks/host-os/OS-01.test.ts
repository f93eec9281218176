import { describe, expect, it } from '@jest/globals';
import check from '../../../checks/host-os/OS-01.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { loadBuiltinCatalogs } from '../../../src/catalog/load.js';
import { mergeCatalogs } from '../../../src/catalog/catalogs.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { aksUbuntu, aksWindows, eksAl2, eksAl2023, eksBottlerocket, gkeCos, k3sInDocker, kindNode, kubeadmUbuntu, minikube, node, talos } from './nodes.js';

describe('OS-01 container-specialized host OS', () => {
  it('passes when every node runs a container-specialized OS, and lists each node with its family', () => {
    const outcome = evaluate(check, inventoryOf([talos('cp-1'), talos('worker-1'), talos('worker-2')]));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.findings).toEqual([]);
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict, s.details?.family, s.details?.class, s.details?.osImage])).toEqual([
      ['cp-1', 'pass', 'Talos Linux', 'container-optimized', 'Talos (v1.7.6)'],
      ['worker-1', 'pass', 'Talos Linux', 'container-optimized', 'Talos (v1.7.6)'],
      ['worker-2', 'pass', 'Talos Linux', 'container-optimized', 'Talos (v1.7.6)'],
    ]);
    expect(checkScore(outcome)).toBe(100);
  });

  it('fails on general-purpose nodes with one finding per (family, osImage), listing the nodes, and scores the share', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        eksAl2('ip-10-0-1-11.ec2.internal'),
        eksAl2('ip-10-0-1-12.ec2.internal'),
        eksAl2('ip-10-0-1-13.ec2.internal'),
        eksBottlerocket('ip-10-0-2-21.ec2.internal'),
        eksBottlerocket('ip-10-0-2-22.ec2.internal'),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings).toHaveLength(1);
    const [finding] = outcome.findings;
    expect(finding).toMatchObject({
      messageId: 'generalPurpose',
      resource: { kind: 'Node', name: 'ip-10-0-1-11.ec2.internal' },
      field: 'status.nodeInfo.osImage',
      evidence: 'osImage "Amazon Linux 2" → Amazon Linux 2 (general-purpose)',
      verify: 'kubectl get nodes -o custom-columns=NAME:.metadata.name,OS:.status.nodeInfo.osImage',
      data: { count: 3, osImage: 'Amazon Linux 2', family: 'Amazon Linux 2' },
    });
    expect(finding!.affected?.map((r) => r.name)).toEqual(['ip-10-0-1-11.ec2.internal', 'ip-10-0-1-12.ec2.internal', 'ip-10-0-1-13.ec2.internal']);
    expect(checkScore(outcome)).toBe(40);
  });

  it('keeps different osImage strings of one family apart (different root causes)', () => {
    const outcome = evaluate(
      check,
      inventoryOf([kubeadmUbuntu('node-a'), kubeadmUbuntu('node-b', { osImage: 'Ubuntu 20.04.6 LTS' }), kubeadmUbuntu('node-c')]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.data.osImage, f.data.count, f.data.nodes])).toEqual([
      ['Ubuntu 22.04.4 LTS', 2, 'node-a, node-c'],
      ['Ubuntu 20.04.6 LTS', 1, 'node-b'],
    ]);
  });

  it('shows Windows nodes without scoring them', () => {
    const outcome = evaluate(check, inventoryOf([aksUbuntu('aks-nodepool1-27538887-vmss000000'), aksWindows('aksnpwin000000')]));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    const windows = outcome.subjects.find((s) => s.resource.name === 'aksnpwin000000');
    expect(windows).toMatchObject({ verdict: 'info', details: { class: 'windows', family: 'Windows Server' } });
    expect(outcome.findings.map((f) => f.resource.name)).toEqual(['aks-nodepool1-27538887-vmss000000']);
    expect(checkScore(outcome)).toBe(0);
  });

  it('is not applicable on a cluster of Windows nodes only', () => {
    expect(evaluate(check, inventoryOf([aksWindows('aksnpwin000000'), aksWindows('aksnpwin000001')])).status).toBe('not-applicable');
  });

  it('is unknown, not pass or fail, when no node OS is recognised', () => {
    const outcome = evaluate(check, inventoryOf([minikube()]));
    expect(outcome.status).toBe('unknown');
    if (outcome.status !== 'unknown') return;
    expect(outcome.reason).toMatch(/"Buildroot 2023\.02\.9"/);
    expect(outcome.reason).toMatch(/catalogs\.osFamilies/);
    expect(outcome.subjects).toEqual([
      expect.objectContaining({
        resource: expect.objectContaining({ name: 'minikube' }),
        verdict: 'unknown',
        details: expect.objectContaining({ class: null }),
      }),
    ]);
  });

  it('reports an unrecognised node as unknown and scores only the recognised ones', () => {
    const outcome = evaluate(check, inventoryOf([talos('cp-1'), node('edge-1', { osImage: 'NixOS 24.05 (Uakari)' })]));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => s.verdict)).toEqual(['pass', 'unknown']);
    expect(checkScore(outcome)).toBe(100);
  });

  it('recognises a node by its kernel, then by its platform label, when the osImage is missing', () => {
    const cos = gkeCos('gke-prod-default-pool-88088fb4-r05v');
    const nodeInfo = (cos.status as { nodeInfo: Record<string, unknown> }).nodeInfo;
    nodeInfo.osImage = '';
    const byKernel = evaluate(check, inventoryOf([cos]));
    expect(byKernel.status === 'pass' && byKernel.subjects[0]!.details).toMatchObject({
      family: 'Container-Optimized OS from Google',
      signal: 'kernelVersion',
      evidence: 'kernelVersion "6.1.85+"',
      osImage: null,
    });
    nodeInfo.kernelVersion = '';
    const byLabel = evaluate(check, inventoryOf([cos]));
    expect(byLabel.status).toBe('pass');
    expect(byLabel.status === 'pass' && byLabel.subjects[0]!.details).toMatchObject({
      family: 'Container-Optimized OS from Google',
      signal: 'label:cloud.google.com/gke-os-distribution',
      evidence: 'label cloud.google.com/gke-os-distribution=cos',
      osImage: null,
      kernelVersion: null,
    });
  });

  it('believes the Kairos label over the Ubuntu os-release a Kairos 3 node reports', () => {
    const kairos = kubeadmUbuntu('edge-1', { osImage: 'Ubuntu 24.04.1 LTS' }, { 'kairos.io/managed': 'true' });
    expect(evaluate(check, inventoryOf([kairos])).status).toBe('pass');
  });

  it('says a k3s-in-Docker (k3d) cluster runs in containers and does not guess the host from its kernel', () => {
    const outcome = evaluate(check, inventoryOf([k3sInDocker('k3d-dev-server-0'), k3sInDocker('k3d-dev-agent-0')]));
    expect(outcome.status).toBe('unknown');
    if (outcome.status !== 'unknown') return;
    expect(outcome.reason).toBe(
      'the OS of every node cannot be told: 2 node(s) run in containers (K3s node image (k3s/k3d in Docker): osImage "K3s v1.28.6-rc2+k3s1"), ' +
        "so their host's OS cannot be seen through the Kubernetes API",
    );
    expect(outcome.subjects?.[0]).toMatchObject({
      verdict: 'unknown',
      details: {
        class: 'node-in-container',
        familyId: 'k3s-in-docker',
        signal: 'osImage',
        kernelVersion: '5.14.21-150500.55.44-default',
        reason:
          'the node is a container (K3s node image (k3s/k3d in Docker)): osImage "K3s v1.28.6-rc2+k3s1" is its image\'s os-release, ' +
          "and the host's OS cannot be seen through the Kubernetes API",
      },
    });
  });

  it('says a kind cluster runs in containers from the providerID, instead of failing its nodes as Debian', () => {
    const outcome = evaluate(check, inventoryOf([kindNode('kind-control-plane'), kindNode('kind-worker')]));
    expect(outcome.status).toBe('unknown');
    if (outcome.status !== 'unknown') return;
    expect(outcome.reason).toContain('2 node(s) run in containers (kind node image (kind in Docker or Podman): providerID "kind://docker/kind/kind-');
    expect(outcome.subjects?.[1]).toMatchObject({
      verdict: 'unknown',
      details: {
        class: 'node-in-container',
        familyId: 'kind-node',
        signal: 'providerID',
        reason:
          'the node is a container (kind node image (kind in Docker or Podman)): providerID "kind://docker/kind/kind-worker" says so and ' +
          'osImage "Debian GNU/Linux 12 (bookworm)" is its image\'s os-release, and the host\'s OS cannot be seen through the Kubernetes API',
      },
    });
  });

  it('scores the other nodes when a k3s container node joins real ones', () => {
    const outcome = evaluate(check, inventoryOf([talos('cp-1'), k3sInDocker('k3d-edge-0')]));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['cp-1', 'pass'],
      ['k3d-edge-0', 'unknown'],
    ]);
    expect(checkScore(outcome)).toBe(100);
  });

  it('decides from the kernel when the osImage is not one the catalogue knows, and points the finding at the kernel', () => {
    const outcome = evaluate(
      check,
      inventoryOf([eksAl2023('ip-10-0-3-31.ec2.internal', { osImage: 'Linux' }, { 'feature.node.kubernetes.io/system-os_release.ID': 'x' })]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]).toMatchObject({
      field: 'status.nodeInfo.kernelVersion',
      evidence: 'kernelVersion "6.1.94-99.176.amzn2023.x86_64" → Amazon Linux 2023 (general-purpose)',
      verify: 'kubectl get nodes -o custom-columns=NAME:.metadata.name,OS:.status.nodeInfo.osImage,KERNEL:.status.nodeInfo.kernelVersion',
    });
    expect(outcome.subjects[0]!.details).toMatchObject({ signal: 'kernelVersion', familyId: 'amazon-linux-2023', osImage: 'Linux' });
  });

  it('decides from Node Feature Discovery labels when the node reports neither osImage nor kernel', () => {
    const outcome = evaluate(check, inventoryOf([eksAl2023('ip-10-0-3-32.ec2.internal', { osImage: '', kernelVersion: '' })]));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]).toMatchObject({
      field: 'metadata.labels["feature.node.kubernetes.io/system-os_release.ID"]',
      evidence:
        'labels feature.node.kubernetes.io/system-os_release.ID=amzn, feature.node.kubernetes.io/system-os_release.VERSION_ID=2023 → Amazon Linux 2023 (general-purpose)',
    });
    expect(outcome.findings[0]!.verify).toContain('-L');
    expect(outcome.findings[0]!.verify).toContain('feature.node.kubernetes.io/system-os_release.VERSION_ID');
  });

  it('says when signals disagree, and keeps the osImage verdict', () => {
    const cos = gkeCos('gke-prod-default-pool-88088fb4-r05v');
    (cos.metadata as { labels: Record<string, string> }).labels['cloud.google.com/gke-os-distribution'] = 'ubuntu';
    const outcome = evaluate(check, inventoryOf([cos]));
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && outcome.subjects[0]!.details).toMatchObject({
      familyId: 'cos',
      signal: 'osImage',
      conflicts: [{ signal: 'label:cloud.google.com/gke-os-distribution', value: 'cloud.google.com/gke-os-distribution=ubuntu', family: 'ubuntu' }],
    });
  });

  it('is unknown, naming both candidates, when only a kernel shared by Fedora and Fedora CoreOS is known', () => {
    const outcome = evaluate(check, inventoryOf([node('fc-1', { osImage: 'Linux', kernelVersion: '6.6.3-200.fc39.x86_64' })]));
    expect(outcome.status).toBe('unknown');
    if (outcome.status !== 'unknown') return;
    expect(outcome.subjects?.[0]?.details).toMatchObject({
      ambiguous: [{ signal: 'kernelVersion', value: '6.6.3-200.fc39.x86_64', families: ['fedora-coreos', 'fedora'] }],
      reason: 'kernelVersion "6.6.3-200.fc39.x86_64" could be Fedora CoreOS or Fedora Linux, and no other signal tells them apart',
    });
    expect(outcome.reason).toMatch(/1 node\(s\) show only signals shared by several families/);
  });

  it('uses OS families added in the config file', () => {
    const catalogs = mergeCatalogs(loadBuiltinCatalogs(), {
      osFamilies: [{ id: 'corp-os', name: 'CorpOS', class: 'container-optimized', osImage: ['^CorpOS\\b'], source: 'internal image build' }],
    });
    const outcome = evaluate(check, inventoryOf([node('n1', { osImage: 'CorpOS 3.1 (immutable)' })]), catalogs);
    expect(outcome.status).toBe('pass');
  });

  it('is unknown when nodes could not be listed', () => {
    const outcome = evaluate(check, inventoryOf([], { [KINDS.Node]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/forbidden/);
  });

  it('is not applicable when the node list is empty', () => {
    expect(evaluate(check, inventoryOf([], { [KINDS.Node]: 'ok' })).status).toBe('not-applicable');
  });
});
