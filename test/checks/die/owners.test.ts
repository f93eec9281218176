import { groupByWorkload, kubectlGet, kubectlResource, ownerIndex, workloadOf } from '../../../src/k8s/owners.js';
import type { K8sObject } from '../../../src/k8s/object.js';
import { cronJob, deployment, job, podOf, replicaSet } from './objects.js';

describe('workload owners', () => {
  it('follows Pod → ReplicaSet → Deployment and Pod → Job → CronJob through the index', () => {
    const web = deployment('shop', 'web');
    const rs = replicaSet(web, '7d4b9c8f5d');
    const report = cronJob('shop', 'report');
    const reportJob = job('shop', 'report-28941120', report);
    const index = ownerIndex([rs], [reportJob]);
    expect(workloadOf(podOf(rs, 'x2x9k'), index)).toEqual({
      ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' },
      bare: false,
      mirror: false,
      inferred: false,
    });
    expect(workloadOf(podOf(reportJob, 'qz7lp'), index).ref).toMatchObject({ kind: 'CronJob', name: 'report' });
  });

  it('does not infer a Deployment for a ReplicaSet whose pods lack pod-template-hash (a ReplicaSet made by hand)', () => {
    const rs: K8sObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'frontend', namespace: 'shop', uid: 'a1', labels: { tier: 'frontend' } },
    };
    const pod = podOf(rs, 'b2k9s');
    expect(workloadOf(pod, ownerIndex()).ref).toMatchObject({ kind: 'ReplicaSet', name: 'frontend' });
  });

  it('stops on an ownership cycle in malformed data', () => {
    const a: K8sObject = {
      apiVersion: 'example.com/v1',
      kind: 'Loop',
      metadata: { name: 'a', namespace: 'x', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Loop', name: 'b', controller: true }] },
    };
    const b: K8sObject = {
      apiVersion: 'example.com/v1',
      kind: 'Loop',
      metadata: { name: 'b', namespace: 'x', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Loop', name: 'a', controller: true }] },
    };
    const pod: K8sObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'x', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Loop', name: 'a', controller: true }] },
    };
    expect(workloadOf(pod, ownerIndex([a, b])).ref.kind).toBe('Loop');
  });

  it('shares one frozen Workload between the pods of a ReplicaSet, and groups them in one pass', () => {
    const web = deployment('shop', 'web');
    const rs = replicaSet(web, '7d4b9c8f5d');
    const index = ownerIndex([rs]);
    const pods = ['a1', 'b2', 'c3'].map((s) => podOf(rs, s));
    const bare: K8sObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: 'shop' } };
    expect(workloadOf(pods[0]!, index)).toBe(workloadOf(pods[2]!, index));
    expect(Object.isFrozen(workloadOf(pods[0]!, index))).toBe(true);
    expect(Object.isFrozen(workloadOf(pods[0]!, index).ref)).toBe(true);
    const groups = groupByWorkload([pods[0]!, bare, pods[1]!, pods[2]!], index);
    expect(groups.map((g) => [g.workload.ref.kind, g.workload.ref.name, g.pods.length])).toEqual([
      ['Deployment', 'web', 3],
      ['Pod', 'debug', 1],
    ]);
    expect(groups[1]!.workload.bare).toBe(true);
  });

  it('keeps a pod whose ReplicaSet was inferred apart from one traced through the index, in one group', () => {
    const web = deployment('shop', 'web');
    const known = replicaSet(web, '7d4b9c8f5d');
    const gone = replicaSet(web, '5f6d8c9b4a');
    const index = ownerIndex([known]);
    const traced = workloadOf(podOf(known, 'a1'), index);
    const inferred = workloadOf(podOf(gone, 'b2'), index);
    expect(traced.inferred).toBe(false);
    expect(inferred.inferred).toBe(true);
    expect(inferred.ref).toEqual(traced.ref);
    expect(groupByWorkload([podOf(known, 'a1'), podOf(gone, 'b2')], index)).toHaveLength(1);
  });

  it('names resources the way kubectl accepts them', () => {
    expect(kubectlResource({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' })).toBe('deployment');
    expect(kubectlResource({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web' })).toBe('rollout.argoproj.io');
    expect(kubectlGet({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'report', namespace: 'shop' })).toBe('kubectl -n shop get cronjob report');
  });
});
