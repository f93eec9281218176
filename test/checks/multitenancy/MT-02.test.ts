import check from '../../../checks/multitenancy/MT-02.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { barePod, cronJob, deployment, job, mirrorPod, podOf, replicaSet } from '../die/objects.js';

describe('MT-02 no workloads in the default namespace', () => {
  it('passes when default holds no pods, counting workloads of tenant namespaces', () => {
    const web = deployment('shop', 'web', 2);
    const rs = replicaSet(web, '7d4b9c8f5d');
    const dns = deployment('kube-system', 'coredns', 2);
    const dnsRs = replicaSet(dns, '668d6bf9bc');
    const outcome = evaluate(check, inventoryOf([web, rs, podOf(rs, 'x2x9k'), podOf(rs, 'p7mqd'), dns, dnsRs, podOf(dnsRs, 'lq7xv')]));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => `${s.resource.namespace}/${s.resource.kind}/${s.resource.name}`)).toEqual(['shop/Deployment/web']);
  });

  it('fails with one finding per workload in default, grouping its pods', () => {
    const web = deployment('shop', 'web', 2);
    const webRs = replicaSet(web, '7d4b9c8f5d');
    const nginx = deployment('default', 'nginx', 3);
    const nginxRs = replicaSet(nginx, '77b4fdf86c');
    const cleanup = cronJob('default', 'cleanup');
    const cleanupJob = job('default', 'cleanup-28941120', cleanup);
    const outcome = evaluate(
      check,
      inventoryOf([
        web,
        webRs,
        podOf(webRs, 'x2x9k'),
        nginx,
        nginxRs,
        podOf(nginxRs, 'b8t2x'),
        podOf(nginxRs, 'k9w4z'),
        podOf(nginxRs, 'r2d7q', { phase: 'Pending' }),
        cleanup,
        cleanupJob,
        podOf(cleanupJob, 'qz7lp', { phase: 'Succeeded' }),
        barePod('default', 'busybox'),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.resource.kind, f.resource.name, f.data.pods])).toEqual([
      ['CronJob', 'cleanup', 1],
      ['Deployment', 'nginx', 3],
      ['Pod', 'busybox', 1],
    ]);
    const nginxFinding = outcome.findings[1]!;
    expect(nginxFinding.field).toBe('metadata.namespace');
    expect(nginxFinding.evidence).toBe(
      'namespace: default; pods nginx-77b4fdf86c-b8t2x (Running), nginx-77b4fdf86c-k9w4z (Running), nginx-77b4fdf86c-r2d7q (Pending)',
    );
    expect(nginxFinding.affected?.map((r) => r.name)).toHaveLength(3);
    expect(nginxFinding.verify).toBe('kubectl -n default get deployment nginx; kubectl -n default get pods');
    expect(outcome.findings[2]!.verify).toBe('kubectl -n default get pod busybox -o wide');
    expect(checkScore(outcome)).toBe(25); // 1 of 4 workloads lives outside default
  });

  it('attributes pods to their Deployment through pod-template-hash when ReplicaSets cannot be read', () => {
    const nginx = deployment('default', 'nginx', 2);
    const rs = replicaSet(nginx, '77b4fdf86c');
    const outcome = evaluate(check, inventoryOf([podOf(rs, 'b8t2x'), podOf(rs, 'k9w4z')], { [KINDS.ReplicaSet]: 'forbidden' }));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => `${f.resource.kind}/${f.resource.name}`)).toEqual(['Deployment/nginx']);
    expect(outcome.subjects[0]!.details).toMatchObject({ inferredOwner: true, pods: 2 });
  });

  it('reports static pods in default by themselves, not by their node', () => {
    const outcome = evaluate(check, inventoryOf([mirrorPod('default', 'haproxy', 'edge-1')]));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => `${f.resource.kind}/${f.resource.name}`)).toEqual(['Pod/haproxy-edge-1']);
  });

  it('is not applicable when only system namespaces run pods', () => {
    expect(evaluate(check, inventoryOf([mirrorPod('kube-system', 'etcd', 'cp-1')])).status).toBe('not-applicable');
  });

  it('is unknown when pods could not be listed or the snapshot has none', () => {
    const forbidden = evaluate(check, inventoryOf([], { [KINDS.Pod]: 'forbidden' }));
    expect(forbidden.status).toBe('unknown');
    expect(forbidden.status === 'unknown' && forbidden.reason).toMatch(/forbidden/);
    expect(evaluate(check, inventoryOf([deployment('default', 'nginx')])).status).toBe('unknown');
  });
});
