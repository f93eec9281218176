import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { detectCnis } from '../../src/k8s/cni.js';
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
