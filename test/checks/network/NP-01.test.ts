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
/** ConfigMaps as the charts write them: Cilium's cilium-config and the VPC CNI's amazon-vpc-cni (config/master/aws-k8s-cni.yaml). */
const configMap = (namespace: string, name: string, data: Record<string, string>): K8sObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});
const ciliumConfig = (mode?: string) =>
  configMap('kube-system', 'cilium-config', { 'identity-allocation-mode': 'crd', debug: 'false', ...(mode ? { 'enable-policy': mode } : {}) });
const vpcCniConfig = (controller: string) =>
  configMap('kube-system', 'amazon-vpc-cni', { 'enable-windows-ipam': 'false', 'enable-network-policy-controller': controller, 'warm-ip-target': '1' });
const cilium = daemonSet('kube-system', 'cilium', [
  { name: 'cilium-agent', image: 'quay.io/cilium/cilium:v1.16.3', command: ['cilium-agent'], args: ['--config-dir=/tmp/cilium/config-map'] },
]);
const kindnet = (image: string, command?: string[]) => daemonSet('kube-system', 'kindnet', [{ name: 'kindnet-cni', image, ...(command ? { command } : {}) }]);

function run(objects: K8sObject[], statuses = {}): Outcome {
  return evaluate(check, inventoryOf(objects, { [KINDS.DaemonSet]: 'ok', [KINDS.ConfigMap]: 'ok', ...statuses }));
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
        evidence: 'no kube-network-policies container: Flannel alone only routes pod traffic',
        field: 'spec.template.spec.containers',
        verify: 'kubectl get daemonset kube-flannel-ds -n kube-flannel -o yaml',
      }),
    ]);
  });

  it('passes on Flannel installed by its chart with netpol.enabled (the kube-network-policies container)', () => {
    // chart/kube-flannel/templates/daemonset.yaml with netpol.enabled=true
    const withNetpol = daemonSet('kube-flannel', 'kube-flannel-ds', [
      { name: 'kube-flannel', image: 'ghcr.io/flannel-io/flannel:v0.26.1', command: ['/opt/bin/flanneld', '--ip-masq', '--kube-subnet-mgr'] },
      {
        name: 'kube-network-policies',
        image: 'registry.k8s.io/networking/kube-network-policies:v1.0.0',
        command: ['/bin/netpol', '--hostname-override=$(MY_NODE_NAME)', '--v=2'],
      },
    ]);
    const outcome = run([withNetpol]);
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && outcome.subjects[0]!.details).toMatchObject({
      path: 'spec.template.spec.containers[1].name',
      evidence: expect.stringMatching(/^container kube-network-policies: /),
    });
  });

  it('Cilium: decided by enable-policy in cilium-config; unknown when that ConfigMap cannot be read', () => {
    for (const mode of ['default', 'always', 'Default']) expect([mode, run([cilium, ciliumConfig(mode)]).status]).toEqual([mode, 'pass']);
    // The chart writes the key only when policyEnforcementMode is set; the agent's default is `default`.
    const defaulted = run([cilium, ciliumConfig()]);
    expect(defaulted.status === 'pass' && defaulted.subjects[0]!.details).toMatchObject({
      evidence: expect.stringContaining('ConfigMap kube-system/cilium-config enable-policy=default (the default: the key is absent)'),
      decidedBy: 'ConfigMap kube-system/cilium-config',
    });
    const never = run([cilium, ciliumConfig('never')]);
    expect(never.status).toBe('fail');
    expect(findings(never)).toEqual([
      expect.objectContaining({
        resource: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'cilium-config' },
        field: 'data["enable-policy"]',
        evidence: expect.stringMatching(/^ConfigMap kube-system\/cilium-config enable-policy=never: /),
        verify: 'kubectl get configmap cilium-config -n kube-system -o yaml',
      }),
    ]);
    const forbidden = run([cilium], { [KINDS.ConfigMap]: 'forbidden' });
    expect(forbidden.status).toBe('unknown');
    expect(forbidden.status === 'unknown' && forbidden.reason).toMatch(
      /ConfigMap kube-system\/cilium-config decides, and it could not be read: ConfigMaps are forbidden/,
    );
    const notListed = run([cilium], { [KINDS.ConfigMap]: 'missing' });
    expect(notListed.status === 'unknown' && notListed.reason).toMatch(/could not be read: ConfigMaps are missing/);
    const absent = run([cilium, configMap('cilium', 'cilium-config', { 'enable-policy': 'default' })]);
    expect(absent.status === 'unknown' && absent.reason).toMatch(/ConfigMap kube-system\/cilium-config decides, and it does not exist/);
    // Another CNI that enforces decides without the ConfigMap.
    expect(run([cilium, calicoNode('calico-system')], { [KINDS.ConfigMap]: 'forbidden' }).status).toBe('pass');
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

  it('AWS VPC CNI passes only with its network policy agent and controller both enabled', () => {
    // VPC CNI before v1.14: no agent container, whatever the ConfigMap says (or whether it can be read)
    const noAgent = run([awsNode()], { [KINDS.ConfigMap]: 'forbidden' });
    expect(noAgent.status).toBe('fail');
    expect(findings(noAgent)[0]!.evidence).toBe(
      'no container named like ^aws-eks-nodeagent$: the aws-node DaemonSet runs no network policy agent (VPC CNI before v1.14, or the agent removed)',
    );
    const disabled = run([awsNode(['--enable-ipv6=false', '--enable-network-policy=false']), vpcCniConfig('false')]);
    expect(disabled.status).toBe('fail');
    expect(findings(disabled)[0]!.evidence).toMatch(/network policy agent runs with --enable-network-policy=false/);
    const agentOn = ['--enable-ipv6=false', '--enable-network-policy=true', '--enable-cloudwatch-logs=false'];
    const enabled = run([awsNode(agentOn), vpcCniConfig('true')]);
    expect(enabled.status).toBe('pass');
    expect(enabled.status === 'pass' && enabled.subjects[0]!.details).toMatchObject({
      path: 'data["enable-network-policy-controller"]',
      evidence:
        'container aws-eks-nodeagent --enable-network-policy=true; ConfigMap kube-system/amazon-vpc-cni enable-network-policy-controller=true: ' +
        'the network policy agent and controller are both enabled',
      decidedBy: 'ConfigMap kube-system/amazon-vpc-cni',
    });
    // The agent is on but the controller is off: nothing reaches the agent.
    const controllerOff = run([awsNode(agentOn), vpcCniConfig('false')]);
    expect(controllerOff.status).toBe('fail');
    expect(findings(controllerOff)[0]!.resource).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'amazon-vpc-cni' });
    // The agent is on and the ConfigMap cannot be read: unknown, never a guess.
    const unreadable = run([awsNode(agentOn)], { [KINDS.ConfigMap]: 'forbidden' });
    expect(unreadable.status === 'unknown' && unreadable.reason).toMatch(/ConfigMap kube-system\/amazon-vpc-cni decides, and it could not be read/);
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

  it('kindnet: decided by flag or image from the kind and kindnet release history, unknown otherwise', () => {
    // kind v0.23.0 pinned v20240513-cd2ac642: routes only
    expect(run([kindnet('docker.io/kindest/kindnetd:v20240513-cd2ac642')]).status).toBe('fail');
    expect(run([kindnet('docker.io/kindest/kindnetd:v20230809-80a64d96')]).status).toBe('fail');
    // v20240719-e7903573 is the build of kind commit e7903573 "implement network policies"; kind v0.24.0 pinned v20240813-c6f155d6
    for (const tag of ['v20240719-e7903573', 'v20240813-c6f155d6', 'v20241023-a345ebe4', 'v20250214-acbabc1a', 'v20260820-69b56db7']) {
      expect([tag, run([kindnet(`docker.io/kindest/kindnetd:${tag}`)]).status]).toEqual([tag, 'pass']);
    }
    // Images of the days between the commit and its merge, other than its own build, are not known to carry it.
    expect(run([kindnet('docker.io/kindest/kindnetd:v20240721-0123abcd')]).status).toBe('unknown');
    // Standalone kindnet: --network-policy exists since v1.3.0, on by default from v1.5.0.
    expect(run([kindnet('ghcr.io/aojea/kindnetd:v1.4.0', ['/bin/kindnetd'])]).status).toBe('fail');
    expect(run([kindnet('ghcr.io/aojea/kindnetd:v1.4.0', ['/bin/kindnetd', '--network-policy=true'])]).status).toBe('pass');
    expect(run([kindnet('ghcr.io/aojea/kindnetd:v1.6.0', ['/bin/kindnetd'])]).status).toBe('pass');
    expect(run([kindnet('ghcr.io/aojea/kindnetd:stable', ['/bin/kindnetd', '--network-policy=true'])]).status).toBe('pass');
    expect(run([kindnet('ghcr.io/aojea/kindnetd:stable', ['/bin/kindnetd', '--network-policy=false'])]).status).toBe('fail');
    const undecided = run([kindnet('ghcr.io/aojea/kindnetd:stable', ['/bin/kindnetd'])]);
    expect(undecided.status).toBe('unknown');
    expect(undecided.status === 'unknown' && undecided.reason).toMatch(/kindnet \(DaemonSet kube-system\/kindnet\)/);
    // The standalone kube-network-policies DaemonSet beside an old kindnetd enforces.
    const netpols = daemonSet('kube-system', 'kube-network-policies', [
      { name: 'kube-network-policies', image: 'registry.k8s.io/networking/kube-network-policies:v0.2.0' },
    ]);
    expect(run([kindnet('docker.io/kindest/kindnetd:v20240513-cd2ac642'), netpols]).status).toBe('pass');
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
