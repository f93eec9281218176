import { readFileSync } from 'node:fs';
import type { CniEntry } from '../../src/catalog/catalogs.js';
import { describe, expect, it } from '@jest/globals';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { detectCnis } from '../../src/k8s/cni.js';
import type { KindCollection } from '../../src/k8s/inventory.js';
import { KINDS } from '../../src/k8s/kinds.js';
import type { K8sObject } from '../../src/k8s/object.js';
import { CONFIG_MAP_KEYS, slimProjection, wholeObjects } from '../../src/k8s/slim.js';
import { daemonSet } from '../checks/network/objects.js';

const catalog = loadBuiltinCatalogs().cnis;

describe('CNI catalogue', () => {
  it('covers the CNIs the checklist names, each with a source and valid patterns', () => {
    const ids = catalog.map((e) => e.id);
    for (const id of [
      'cilium',
      'calico',
      'canal',
      'flannel',
      'weave-net',
      'antrea',
      'kube-router',
      'kindnet',
      'aws-vpc-cni',
      'azure-cni',
      'azure-npm',
      'gke-dataplane-v2',
    ])
      expect(ids).toContain(id);
    for (const e of catalog) {
      expect([e.id, e.source.length > 0]).toEqual([e.id, true]);
      for (const p of [
        ...e.daemonSets,
        ...(e.images ?? []),
        ...(e.enforcement ?? []).flatMap((r) => [r.container, r.arg, r.image].filter((x): x is string => !!x)),
      ]) {
        expect(() => new RegExp(p)).not.toThrow();
      }
      if (e.enforcesNetworkPolicy === 'conditional') expect([e.id, typeof e.condition]).toEqual([e.id, 'string']);
    }
  });

  it('recognises the DaemonSets of real install manifests', () => {
    const seen = detectCnis(
      [
        daemonSet('kube-system', 'cilium', [{ name: 'cilium-agent', image: 'quay.io/cilium/cilium:v1.15.6' }]),
        daemonSet('calico-system', 'calico-node', [{ name: 'calico-node', image: 'docker.io/calico/node:v3.28.0' }]),
        daemonSet('kube-flannel', 'kube-flannel-ds', [{ name: 'kube-flannel', image: 'docker.io/flannel/flannel:v0.25.1' }]),
        daemonSet('kube-system', 'kube-flannel-ds-amd64', [{ name: 'kube-flannel', image: 'quay.io/coreos/flannel:v0.11.0-amd64' }]),
        daemonSet('kube-system', 'antrea-agent', [{ name: 'antrea-agent', image: 'antrea/antrea-agent-ubuntu:v2.0.0' }]),
        daemonSet('openshift-ovn-kubernetes', 'ovnkube-node', [
          { name: 'ovnkube-controller', image: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:abc' },
        ]),
        daemonSet('kube-system', 'kube-proxy', [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.30.2' }]),
        daemonSet('monitoring', 'node-exporter', [{ name: 'node-exporter', image: 'quay.io/prometheus/node-exporter:v1.8.1' }]),
        // a DaemonSet named like a CNI in the wrong namespace for an entry restricted to kube-system
        daemonSet('default', 'azure-npm', [{ name: 'x', image: 'x' }]),
      ],
      catalog,
      // the chart's cilium-config with the default policyEnforcementMode
      { status: 'ok', items: [configMap('kube-system', 'cilium-config', { 'enable-policy': 'default', 'identity-allocation-mode': 'crd' })] },
    );
    expect(seen.map((d) => `${d.entry.id}:${d.daemonSet.name}:${d.enforcement}`)).toEqual([
      'cilium:cilium:yes',
      'calico:calico-node:yes',
      'flannel:kube-flannel-ds:no',
      'flannel:kube-flannel-ds-amd64:no',
      'antrea:antrea-agent:yes',
      'ovn-kubernetes:ovnkube-node:yes',
    ]);
  });
});

function configMap(namespace: string, name: string, data: Record<string, string>): K8sObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

describe('CNI enforcement rules on ConfigMaps', () => {
  const entry: CniEntry = {
    id: 'agent',
    name: 'Agent',
    enforcesNetworkPolicy: 'conditional',
    daemonSets: ['agent'],
    condition: 'the agent enforces when its policy container runs and its ConfigMap says policy: on',
    enforcement: [
      { container: '^policy$', absent: true, enforces: false, because: 'no policy container' },
      { container: '^policy$', configMap: { name: 'agent-config', key: 'enable-policy', values: ['on'] }, enforces: true, because: 'policy on' },
      {
        configMap: { name: 'agent-config', namespace: 'agent-system', key: 'enable-policy', values: ['off'], default: 'off' },
        enforces: false,
        because: 'policy off',
      },
    ],
    otherwise: 'unknown',
    source: 'test',
  };
  const ds = (containers: string[]) =>
    daemonSet(
      'kube-system',
      'agent',
      containers.map((name) => ({ name, image: `example.com/${name}:1` })),
    );
  const ok = (...items: K8sObject[]): KindCollection => ({ status: 'ok', items });
  const decide = (d: K8sObject, configMaps?: KindCollection) => {
    const [found] = detectCnis([d], [entry], configMaps);
    return `${found!.enforcement}|${found!.path}|${found!.evidence}|${found!.object ? `${found!.object.namespace}/${found!.object.name}` : '-'}`;
  };

  it('a container condition that fails needs no ConfigMap; one that holds reads it', () => {
    expect(decide(ds(['agent']))).toBe('no|spec.template.spec.containers|no container named like ^policy$: no policy container|-');
    expect(decide(ds(['agent', 'policy']), ok(configMap('kube-system', 'agent-config', { 'enable-policy': 'ON' })))).toBe(
      'yes|data["enable-policy"]|container policy; ConfigMap kube-system/agent-config enable-policy=ON: policy on|kube-system/agent-config',
    );
  });

  it('reads the namespace a rule names, and its default when the key is absent', () => {
    const cms = ok(configMap('kube-system', 'agent-config', { 'enable-policy': 'maybe' }), configMap('agent-system', 'agent-config', {}));
    expect(decide(ds(['agent', 'policy']), cms)).toBe(
      'no|data["enable-policy"]|ConfigMap agent-system/agent-config enable-policy=off (the default: the key is absent): policy off|agent-system/agent-config',
    );
  });

  it('is unknown, naming the ConfigMap, when it is unreadable, absent or lacks a key without default', () => {
    expect(decide(ds(['agent', 'policy']))).toBe(
      'unknown|data["enable-policy"]|ConfigMap kube-system/agent-config decides, and it could not be read: ConfigMaps were not read|kube-system/agent-config',
    );
    expect(decide(ds(['agent', 'policy']), { status: 'forbidden', items: [], reason: 'configmaps is forbidden' })).toMatch(
      /^unknown\|.*could not be read: ConfigMaps are forbidden \(configmaps is forbidden\)/,
    );
    expect(decide(ds(['agent', 'policy']), ok())).toMatch(/^unknown\|.*ConfigMap kube-system\/agent-config decides, and it does not exist/);
    expect(decide(ds(['agent', 'policy']), ok(configMap('kube-system', 'agent-config', {})))).toMatch(
      /^unknown\|.*ConfigMap kube-system\/agent-config has no key enable-policy/,
    );
  });
});

describe('ConfigMaps in the inventory', () => {
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cilium-config', namespace: 'kube-system', resourceVersion: '1', annotations: { team: 'net' } },
    data: { 'enable-policy': 'never', 'etcd-config': 'endpoints: [https://10.0.0.1:2379]', debug: 'false' },
    binaryData: { blob: 'AAAA' },
  };

  it('keep only the keys the CNI catalogue decides by, in slim records and whole objects (snapshots, plugins) alike', () => {
    const kept = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cilium-config', namespace: 'kube-system', annotations: { team: 'net' } },
      data: { 'enable-policy': 'never' },
    };
    expect(slimProjection()(KINDS.ConfigMap, cm)).toEqual(kept);
    expect(wholeObjects(KINDS.ConfigMap, cm)).toEqual(kept);
    // other kinds stay whole
    const other = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'l', resourceVersion: '1' }, spec: {} };
    expect(wholeObjects(KINDS.LimitRange, other)).toBe(other);
  });

  it('the catalogue and its schema name only keys that are kept', () => {
    const schema = JSON.parse(readFileSync(new URL('../../../schemas/cnis.schema.json', import.meta.url), 'utf8')) as {
      $defs: { configMap: { properties: { key: { enum: string[] } } } };
    };
    expect([...schema.$defs.configMap.properties.key.enum].sort()).toEqual([...CONFIG_MAP_KEYS].sort());
    const keys = catalog.flatMap((e) => (e.enforcement ?? []).flatMap((r) => (r.configMap ? [r.configMap.key] : [])));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(CONFIG_MAP_KEYS).toContain(key);
  });
});
