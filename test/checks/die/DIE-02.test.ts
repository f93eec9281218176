import check from '../../../checks/die/DIE-02.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { barePod, cronJob, deployment, job, mirrorPod, podOf, replicaSet, statefulSet } from './objects.js';

function shopCluster() {
  const web = deployment('shop', 'web', 2);
  const webRs = replicaSet(web, '7d4b9c8f5d');
  const db = statefulSet('shop', 'postgres', 1);
  const report = cronJob('shop', 'nightly-report');
  const reportJob = job('shop', 'nightly-report-28941120', report);
  return {
    objects: [web, webRs, db, report, reportJob],
    pods: [
      podOf(webRs, 'x2x9k'),
      podOf(webRs, 'p7mqd'),
      podOf(db, '0'),
      podOf(reportJob, 'qz7lp', { phase: 'Succeeded' }),
      mirrorPod('kube-system', 'kube-apiserver', 'cp-1'),
    ],
  };
}

describe('DIE-02 no bare pods', () => {
  it('passes when every pod has a controller, scoring workloads rather than pods', () => {
    const { objects, pods } = shopCluster();
    const outcome = evaluate(check, inventoryOf([...objects, ...pods]));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    // two web replicas are one workload; the Job's pod is traced up to its CronJob
    expect(outcome.subjects.map((s) => `${s.resource.kind}/${s.resource.name}`)).toEqual(['CronJob/nightly-report', 'Deployment/web', 'StatefulSet/postgres']);
  });

  it('fails with one finding per namespace listing bare pods, including ones with only non-controller owners', () => {
    const { objects, pods } = shopCluster();
    const outcome = evaluate(
      check,
      inventoryOf([
        ...objects,
        ...pods,
        barePod('shop', 'debug-shell', { phase: 'Running' }),
        barePod('shop', 'migrate-once', {
          phase: 'Succeeded',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'migration-plan', uid: 'c0ffee00-0000-4000-8000-000000000001' }],
        }),
        barePod('blog', 'tmp-curl'),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.resource.name, f.data.count])).toEqual([
      ['blog', 1],
      ['shop', 2],
    ]);
    const shop = outcome.findings[1]!;
    expect(shop.field).toBe('metadata.ownerReferences');
    expect(shop.evidence).toBe(
      'debug-shell (Running; no ownerReferences), migrate-once (Succeeded; ownerReferences without controller: ConfigMap/migration-plan)',
    );
    expect(shop.affected?.map((r) => r.name)).toEqual(['debug-shell', 'migrate-once']);
    expect(shop.verify).toMatch(/^kubectl -n shop get pods -o 'custom-columns=/);
    expect(checkScore(outcome)).toBe(50); // 3 controlled workloads, 3 bare pods
  });

  it('excludes static pods (mirror annotation) even outside system namespaces, and ignores system namespaces', () => {
    const outcome = evaluate(
      check,
      inventoryOf([mirrorPod('edge', 'etcd-backup', 'worker-1'), barePod('kube-system', 'kubeadm-debug'), barePod('edge', 'probe')]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => s.resource.name)).toEqual(['probe']);
  });

  it('is not applicable when only system pods and static pods exist', () => {
    const outcome = evaluate(check, inventoryOf([mirrorPod('kube-system', 'etcd', 'cp-1'), barePod('kube-system', 'debug')]));
    expect(outcome.status).toBe('not-applicable');
  });

  it('is unknown when pods could not be listed', () => {
    const outcome = evaluate(check, inventoryOf([], { [KINDS.Pod]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/Pod was forbidden/);
  });

  it('still recognises controlled pods when ReplicaSets and Jobs cannot be read', () => {
    const { pods } = shopCluster();
    const outcome = evaluate(check, inventoryOf(pods, { [KINDS.ReplicaSet]: 'forbidden', [KINDS.Job]: 'forbidden' }));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => `${s.resource.kind}/${s.resource.name}`)).toEqual([
      'Deployment/web',
      'Job/nightly-report-28941120',
      'StatefulSet/postgres',
    ]);
  });
});
