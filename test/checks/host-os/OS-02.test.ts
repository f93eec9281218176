import { describe, expect, it } from '@jest/globals';
import check from '../../../checks/host-os/OS-02.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { runChecks } from '../../../src/engine/run.js';
import { loadBuiltinCatalogs } from '../../../src/catalog/load.js';
import type { Outcome } from '../../../src/engine/check.js';
import type { Inventory } from '../../../src/k8s/inventory.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { aksUbuntu, aksWindows, eksAl2, eksBottlerocket, gkeCos, kubeadmUbuntu, node } from './nodes.js';

function withOptions(inventory: Inventory, options: Record<string, unknown>): Outcome {
  const [result] = runChecks({ inventory, checks: [check], catalogs: loadBuiltinCatalogs(), systemNamespaces: new Set(), checkOptions: { 'OS-02': options } });
  return result!.outcome;
}

const AL2023 = (name: string, arch: 'amd64' | 'arm64') =>
  node(
    name,
    {
      osImage: 'Amazon Linux 2023.5.20240805',
      kernelVersion: `6.1.102-108.177.amzn2023.${arch === 'amd64' ? 'x86_64' : 'aarch64'}`,
      kubeletVersion: 'v1.30.2-eks-1552ad0',
      containerRuntimeVersion: 'containerd://1.7.20',
      architecture: arch,
    },
    { 'karpenter.sh/nodepool': 'general-purpose', 'karpenter.sh/capacity-type': 'spot' },
  );

describe('OS-02 uniform node fleet', () => {
  it('passes when every node of a pool runs the same software', () => {
    const outcome = evaluate(check, inventoryOf([gkeCos('gke-prod-default-pool-1a'), gkeCos('gke-prod-default-pool-1b'), gkeCos('gke-prod-default-pool-1c')]));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects).toEqual([
      {
        resource: { kind: 'NodePool', name: 'cloud.google.com/gke-nodepool=default-pool' },
        verdict: 'pass',
        credit: 1,
        details: {
          platform: 'linux/amd64',
          pool: 'cloud.google.com/gke-nodepool=default-pool',
          nodes: 3,
          osImage: [{ value: 'Container-Optimized OS from Google', nodes: 3 }],
          kernelVersion: [{ value: '6.1.85+', nodes: 3 }],
          kubeletVersion: [{ value: 'v1.30.3-gke.1639000', nodes: 3 }],
          containerRuntimeVersion: [{ value: 'containerd://1.7.15', nodes: 3 }],
        },
      },
    ]);
    expect(checkScore(outcome)).toBe(100);
  });

  it('finds drift inside a pool, names the nodes off the common version, and scores the share of uniform attributes', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        eksAl2('ip-10-0-1-11.ec2.internal'),
        eksAl2('ip-10-0-1-12.ec2.internal'),
        eksAl2('ip-10-0-1-13.ec2.internal', 'ng-al2', { kernelVersion: '5.10.217-205.860.amzn2.x86_64', kubeletVersion: 'v1.28.8-eks-ae9a62a' }),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings).toHaveLength(1);
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'poolDrift',
      resource: { kind: 'Node', name: 'ip-10-0-1-13.ec2.internal' },
      affected: [{ kind: 'Node', name: 'ip-10-0-1-13.ec2.internal' }],
      field: 'status.nodeInfo.kernelVersion',
      data: {
        who: '3 nodes in node pool eks.amazonaws.com/nodegroup=ng-al2',
        group: 'eks.amazonaws.com/nodegroup=ng-al2',
        attributes: '2 kernel versions, 2 kubelet versions',
        nodes: 3,
      },
    });
    expect(outcome.findings[0]!.evidence).toBe(
      'kernelVersion: 5.10.219-208.866.amzn2.x86_64 ×2 (ip-10-0-1-11.ec2.internal, ip-10-0-1-12.ec2.internal), ' +
        '5.10.217-205.860.amzn2.x86_64 ×1 (ip-10-0-1-13.ec2.internal); ' +
        'kubeletVersion: v1.29.3-eks-ae9a62a ×2 (ip-10-0-1-11.ec2.internal, ip-10-0-1-12.ec2.internal), v1.28.8-eks-ae9a62a ×1 (ip-10-0-1-13.ec2.internal)',
    );
    expect(outcome.findings[0]!.verify).toBe(
      'kubectl get nodes -l eks.amazonaws.com/nodegroup=ng-al2 -o custom-columns=NAME:.metadata.name,OS:.status.nodeInfo.osImage,' +
        'KERNEL:.status.nodeInfo.kernelVersion,KUBELET:.status.nodeInfo.kubeletVersion,RUNTIME:.status.nodeInfo.containerRuntimeVersion',
    );
    expect(outcome.subjects[0]).toMatchObject({ verdict: 'partial', credit: 0.5 });
    expect(checkScore(outcome)).toBe(50);
  });

  it('counts drift between pools of one platform: EKS with Amazon Linux 2 and Bottlerocket node groups', () => {
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
    expect(outcome.subjects.map((s) => [s.resource.kind, s.resource.name, s.verdict])).toEqual([
      ['NodeFleet', 'linux/amd64', 'fail'],
      ['NodePool', 'eks.amazonaws.com/nodegroup=ng-al2', 'pass'],
      ['NodePool', 'eks.amazonaws.com/nodegroup=ng-bottlerocket', 'pass'],
    ]);
    expect(outcome.findings).toHaveLength(1);
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'fleetDrift',
      data: {
        platform: 'linux/amd64',
        pools: 'eks.amazonaws.com/nodegroup=ng-al2, eks.amazonaws.com/nodegroup=ng-bottlerocket',
        attributes: '2 OS images, 2 kernel versions, 2 kubelet versions, 2 container runtime versions',
      },
      verify: expect.stringMatching(/^kubectl get nodes -l kubernetes\.io\/os=linux,kubernetes\.io\/arch=amd64 -o custom-columns=/),
    });
    expect(outcome.findings[0]!.affected?.map((r) => r.name)).toEqual(['ip-10-0-2-21.ec2.internal', 'ip-10-0-2-22.ec2.internal']);
    expect(checkScore(outcome)).toBe(66.7);
  });

  it('does not call different platforms drift: arm64 and amd64 kernels of one Karpenter pool, Linux and Windows pools', () => {
    const karpenter = evaluate(check, inventoryOf([AL2023('ip-10-0-3-1.ec2.internal', 'amd64'), AL2023('ip-10-0-3-2.ec2.internal', 'arm64')]));
    expect(karpenter.status).toBe('pass');
    expect(karpenter.status === 'pass' && karpenter.subjects.map((s) => s.resource.name)).toEqual([
      'karpenter.sh/nodepool=general-purpose (linux/amd64)',
      'karpenter.sh/nodepool=general-purpose (linux/arm64)',
    ]);
    const aks = evaluate(check, inventoryOf([aksUbuntu('aks-nodepool1-0'), aksUbuntu('aks-nodepool1-1'), aksWindows('aksnpwin000000')]));
    expect(aks.status).toBe('pass');
  });

  it('treats nodes without a pool label as one group', () => {
    const outcome = evaluate(check, inventoryOf([kubeadmUbuntu('cp-1'), kubeadmUbuntu('worker-1'), kubeadmUbuntu('worker-2', { kubeletVersion: 'v1.29.7' })]));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'poolDrift',
      data: { who: '3 nodes without a pool label (linux/amd64)', group: 'nodes without a pool label', attributes: '2 kubelet versions' },
      affected: [{ kind: 'Node', name: 'worker-2' }],
      verify: expect.stringMatching(/^kubectl get nodes -o custom-columns=/),
    });
    expect(checkScore(outcome)).toBe(75);
  });

  it('groups by a custom pool label given in the check options', () => {
    const a = kubeadmUbuntu('batch-1', {}, { 'corp.io/pool': 'batch' });
    const b = kubeadmUbuntu('batch-2', {}, { 'corp.io/pool': 'batch' });
    const c = kubeadmUbuntu('web-1', { osImage: 'Ubuntu 24.04.1 LTS', kernelVersion: '6.8.0-45-generic' }, { 'corp.io/pool': 'web' });
    const outcome = withOptions(inventoryOf([a, b, c]), { poolLabels: ['corp.io/pool'] });
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['linux/amd64', 'partial'],
      ['corp.io/pool=batch', 'pass'],
      ['corp.io/pool=web', 'pass'],
    ]);
    expect(outcome.findings.map((f) => f.messageId)).toEqual(['fleetDrift']);
  });

  it('is unknown on a malformed poolLabels option', () => {
    const outcome = withOptions(inventoryOf([kubeadmUbuntu('cp-1')]), { poolLabels: 'corp.io/pool' });
    expect(outcome).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/poolLabels/) });
  });

  it('is unknown when no node reports its software', () => {
    const bare = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } };
    const outcome = evaluate(check, inventoryOf([bare]));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.subjects?.[0]?.verdict).toBe('unknown');
  });

  it('is unknown when nodes could not be listed', () => {
    expect(evaluate(check, inventoryOf([], { [KINDS.Node]: 'forbidden' })).status).toBe('unknown');
  });
});
