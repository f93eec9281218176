import { describe, expect, it } from '@jest/globals';
import check from '../../../checks/network/NP-01.js';
import type { Outcome } from '../../../src/engine/check.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import type { K8sObject } from '../../../src/k8s/object.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { daemonSet } from './objects.js';

const ECR = '602401143452.dkr.ecr.us-west-2.amazonaws.com';
const flannel = daemonSet('kube-flannel', 'kube-flannel-ds', [
  { name: 'kube-flannel', image: 'ghcr.io/flannel-io/flannel:v0.25.1', command: ['/opt/bin/flanneld'], args: ['--ip-masq', '--kube-subnet-mgr'] },
]);
const calicoNode = (ns: string) => daemonSet(ns, 'calico-node', [{ name: 'calico-node', image: 'docker.io/calico/node:v3.28.0' }]);
const kubeProxy = daemonSet('kube-system', 'kube-proxy', [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.30.2' }]);
const awsNode = (agentArgs?: string[]) =>
  daemonSet('kube-system', 'aws-node', [
    { name: 'aws-node', image: `${ECR}/amazon-k8s-cni:v1.18.2-eksbuild.1` },
    ...(agentArgs ? [{ name: 'aws-eks-nodeagent', image: `${ECR}/amazon/aws-network-policy-agent:v1.1.2-eksbuild.1`, args: agentArgs }] : []),
  ]);
const kindnet = (image: string, command?: string[]) => daemonSet('kube-system', 'kindnet', [{ name: 'kindnet-cni', image, ...(command ? { command } : {}) }]);

function run(objects: K8sObject[], statuses = {}): Outcome {
  return evaluate(check, inventoryOf(objects, { [KINDS.DaemonSet]: 'ok', ...statuses }));
}

function findings(o: Outcome) {
  return o.status === 'fail' ? o.findings : [];
}

describe('NP-01 the CNI enforces NetworkPolicy', () => {
  it('passes with Calico, manifest (kube-system) or operator (calico-system) install', () => {
    for (const ns of ['kube-system', 'calico-system']) {
      const outcome = run([kubeProxy, calicoNode(ns)]);
      expect(outcome.status).toBe('pass');
      if (outcome.status !== 'pass') continue;
      expect(outcome.subjects).toEqual([
        expect.objectContaining({ resource: expect.objectContaining({ kind: 'DaemonSet', namespace: ns, name: 'calico-node' }), verdict: 'pass' }),
      ]);
    }
  });

  it('fails on Flannel alone, with the DaemonSet, evidence and a kubectl command', () => {
    const outcome = run([kubeProxy, flannel]);
    expect(outcome.status).toBe('fail');
    expect(findings(outcome)).toEqual([
      expect.objectContaining({
        messageId: 'notEnforced',
        resource: expect.objectContaining({ kind: 'DaemonSet', namespace: 'kube-flannel', name: 'kube-flannel-ds' }),
        evidence: 'Flannel does not enforce NetworkPolicy',
        verify: 'kubectl get daemonset kube-flannel-ds -n kube-flannel -o yaml',
      }),
    ]);
  });

  it('passes on Canal (flannel + calico in one DaemonSet) and on Flannel with Calico beside it', () => {
    const canal = daemonSet('kube-system', 'canal', [
      { name: 'calico-node', image: 'docker.io/calico/node:v3.28.0' },
      { name: 'kube-flannel', image: 'quay.io/coreos/flannel:v0.15.1' },
    ]);
    expect(run([canal]).status).toBe('pass');
    const both = run([flannel, calicoNode('kube-system')]);
    expect(both.status).toBe('pass');
    expect(both.status === 'pass' && both.subjects.map((s) => `${s.resource.name}:${s.verdict}`)).toEqual(['kube-flannel-ds:info', 'calico-node:pass']);
  });

  it('AWS VPC CNI passes only with its network policy agent enabled', () => {
    expect(run([awsNode()]).status).toBe('fail');
    const disabled = run([awsNode(['--enable-ipv6=false', '--enable-network-policy=false'])]);
    expect(disabled.status).toBe('fail');
    expect(findings(disabled)[0]!.evidence).toMatch(/network policy agent/);
    const enabled = run([awsNode(['--enable-ipv6=false', '--enable-network-policy=true', '--enable-cloudwatch-logs=false'])]);
    expect(enabled.status).toBe('pass');
    expect(enabled.status === 'pass' && enabled.subjects[0]!.details).toMatchObject({
      path: 'spec.template.spec.containers[1].args',
      evidence: 'container aws-eks-nodeagent --enable-network-policy=true: the network policy agent runs with --enable-network-policy=true',
    });
    // VPC CNI plus Calico in policy-only mode enforces through Calico
    expect(run([awsNode(), calicoNode('calico-system')]).status).toBe('pass');
  });

  it('AKS: Azure CNI alone fails, with Azure NPM passes; GKE Dataplane V2 (anetd) passes', () => {
    const cns = daemonSet('kube-system', 'azure-cns', [{ name: 'cns-container', image: 'mcr.microsoft.com/containernetworking/azure-cns:v1.5.32' }]);
    const npm = daemonSet('kube-system', 'azure-npm', [{ name: 'azure-npm', image: 'mcr.microsoft.com/containernetworking/azure-npm:v1.5.5' }]);
    expect(run([cns]).status).toBe('fail');
    expect(run([cns, npm]).status).toBe('pass');
    expect(run([daemonSet('kube-system', 'anetd', [{ name: 'cilium-agent', image: 'gke.gcr.io/cilium/cilium:v1.14.4-gke.1' }])]).status).toBe('pass');
  });

  it('kindnet: decided by flag or image when known, unknown otherwise', () => {
    expect(run([kindnet('docker.io/kindest/kindnetd:v20230809-80a64d96')]).status).toBe('fail');
    expect(run([kindnet('docker.io/kindest/kindnetd:v20250512-df8de77b')]).status).toBe('pass');
    expect(run([kindnet('ghcr.io/aojea/kindnetd:stable', ['/bin/kindnetd', '--network-policy=true'])]).status).toBe('pass');
    expect(run([kindnet('ghcr.io/aojea/kindnetd:stable', ['/bin/kindnetd', '--network-policy=false'])]).status).toBe('fail');
    const undecided = run([kindnet('docker.io/kindest/kindnetd:v20241023-a345ebe4')]);
    expect(undecided.status).toBe('unknown');
    expect(undecided.status === 'unknown' && undecided.reason).toMatch(/kindnet \(DaemonSet kube-system\/kindnet\)/);
    // kind v0.24 runs NetworkPolicy in a separate DaemonSet
    const netpols = daemonSet('kube-system', 'kube-network-policies', [
      { name: 'kube-network-policies', image: 'registry.k8s.io/networking/kube-network-policies:v0.2.0' },
    ]);
    expect(run([kindnet('docker.io/kindest/kindnetd:v20240813-c6f155d6'), netpols]).status).toBe('pass');
  });

  it('weave without weave-npc and kube-router with --run-firewall=false fail', () => {
    expect(run([daemonSet('kube-system', 'weave-net', [{ name: 'weave', image: 'weaveworks/weave-kube:2.8.1' }])]).status).toBe('fail');
    expect(
      run([
        daemonSet('kube-system', 'weave-net', [
          { name: 'weave', image: 'weaveworks/weave-kube:2.8.1' },
          { name: 'weave-npc', image: 'weaveworks/weave-npc:2.8.1' },
        ]),
      ]).status,
    ).toBe('pass');
    const router = (args: string[]) =>
      daemonSet('kube-system', 'kube-router', [{ name: 'kube-router', image: 'docker.io/cloudnativelabs/kube-router:v2.1.0', args }]);
    expect(run([router(['--run-router=true', '--run-firewall=true'])]).status).toBe('pass');
    expect(run([router(['--run-router=true', '--run-firewall=false'])]).status).toBe('fail');
  });

  it('ignores a DaemonSet that schedules no pod', () => {
    const idle = daemonSet('kube-system', 'calico-node', [{ name: 'calico-node', image: 'calico/node:v3.28.0' }], 0);
    expect(run([flannel, idle]).status).toBe('fail');
  });

  it('is unknown when no DaemonSet is recognised, naming CNI CRDs that are present', () => {
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'felixconfigurations.crd.projectcalico.org' } };
    const outcome = run([kubeProxy, crd]);
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/CRDs of Calico exist/);
  });

  it('is unknown when DaemonSets cannot be listed', () => {
    const outcome = run([], { [KINDS.DaemonSet]: 'forbidden' });
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/forbidden/);
  });

  it('uses a CNI the user adds to the catalogue', () => {
    const catalogs = {
      osFamilies: [],
      imageRules: [],
      policyEngines: [],
      tenancyFrameworks: [],
      cnis: [{ id: 'corp-cni', name: 'Corp CNI', enforcesNetworkPolicy: 'yes' as const, daemonSets: ['corp-net-agent'], source: 'internal' }],
    };
    const outcome = evaluate(
      check,
      inventoryOf([daemonSet('corp-system', 'corp-net-agent', [{ name: 'agent', image: 'registry.corp/net:1' }])], { [KINDS.DaemonSet]: 'ok' }),
      catalogs,
    );
    expect(outcome.status).toBe('pass');
  });
});
