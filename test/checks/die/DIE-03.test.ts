import check from '../../../checks/die/DIE-03.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { barePod, daemonSet, deployment, hostPathVolume, podOf, replicaSet } from './objects.js';

const safeVolumes = [
  { name: 'tmp', emptyDir: {} },
  { name: 'config', configMap: { name: 'web-config' } },
  { name: 'kube-api-access-7xk2p', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } },
];

// kube-proxy as kubeadm deploys it: hostPath is expected in kube-system and ignored there.
const kubeProxyVolumes = [hostPathVolume('xtables-lock', '/run/xtables.lock', 'FileOrCreate'), hostPathVolume('lib-modules', '/lib/modules')];

describe('DIE-03 no hostPath volumes', () => {
  it('passes when workloads outside system namespaces use only emptyDir, configMap and projected volumes', () => {
    const web = deployment('shop', 'web', 2, { volumes: safeVolumes });
    const rs = replicaSet(web, '7d4b9c8f5d');
    const proxy = daemonSet('kube-system', 'kube-proxy', { volumes: kubeProxyVolumes });
    const outcome = evaluate(
      check,
      inventoryOf([
        web,
        rs,
        podOf(rs, 'x2x9k', { volumes: safeVolumes }),
        podOf(rs, 'p7mqd', { volumes: safeVolumes }),
        proxy,
        podOf(proxy, 'k8w2d', { volumes: kubeProxyVolumes }),
      ]),
    );
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => `${s.resource.kind}/${s.resource.name}`)).toEqual(['Deployment/web']);
  });

  it('fails once per workload, listing each host path with its type, deduplicated across replicas', () => {
    const exporterVolumes = [hostPathVolume('proc', '/proc'), hostPathVolume('sys', '/sys'), hostPathVolume('root', '/')];
    const exporter = daemonSet('monitoring', 'node-exporter', { volumes: exporterVolumes });
    const builderVolumes = [hostPathVolume('docker-sock', '/var/run/docker.sock', 'Socket'), { name: 'workspace', emptyDir: {} }];
    const builder = deployment('ci', 'image-builder', 2, { volumes: builderVolumes });
    const builderRs = replicaSet(builder, '5f9c7b6d48');
    const outcome = evaluate(
      check,
      inventoryOf([
        exporter,
        podOf(exporter, 'b7w9x', { volumes: exporterVolumes }),
        podOf(exporter, 'm2kq4', { volumes: exporterVolumes }),
        builder,
        builderRs,
        podOf(builderRs, 'h4t8n', { volumes: builderVolumes }),
        barePod('ci', 'debug-node', { volumes: [hostPathVolume('host', '/')] }),
        barePod('ci', 'curl'),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.resource.kind, f.resource.name, f.evidence])).toEqual([
      ['DaemonSet', 'node-exporter', 'volume proc: /proc; volume root: /; volume sys: /sys'],
      ['Deployment', 'image-builder', 'volume docker-sock: /var/run/docker.sock (Socket)'],
      ['Pod', 'debug-node', 'volume host: /'],
    ]);
    const [ds, dep, pod] = outcome.findings;
    expect(ds!.field).toBe('spec.template.spec.volumes[].hostPath');
    expect(ds!.affected).toHaveLength(2);
    expect(ds!.data).toMatchObject({ workload: 'DaemonSet node-exporter', namespace: 'monitoring', paths: '/proc, /, /sys' });
    expect(ds!.verify).toBe(
      `kubectl -n monitoring get daemonset node-exporter -o 'jsonpath={range .spec.template.spec.volumes[?(@.hostPath)]}{.name}{"\\t"}{.hostPath.path}{"\\n"}{end}'`,
    );
    expect(dep!.verify).toContain('kubectl -n ci get deployment image-builder');
    expect(pod!.field).toBe('spec.volumes[].hostPath');
    expect(pod!.verify).toContain("kubectl -n ci get pod debug-node -o 'jsonpath={range .spec.volumes[?(@.hostPath)]}");
    expect(outcome.subjects.find((s) => s.resource.name === 'curl')?.verdict).toBe('pass');
  });

  it('is not applicable when every pod runs in a system namespace', () => {
    const proxy = daemonSet('kube-system', 'kube-proxy', { volumes: kubeProxyVolumes });
    expect(evaluate(check, inventoryOf([podOf(proxy, 'k8w2d', { volumes: kubeProxyVolumes })])).status).toBe('not-applicable');
  });

  it('is unknown when pods could not be listed, and when the snapshot has none', () => {
    expect(evaluate(check, inventoryOf([], { [KINDS.Pod]: 'forbidden' })).status).toBe('unknown');
    expect(evaluate(check, inventoryOf([deployment('shop', 'web')])).status).toBe('unknown');
  });
});
