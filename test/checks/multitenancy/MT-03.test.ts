import check from '../../../checks/multitenancy/MT-03.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import type { K8sObject } from '../../../src/k8s/object.js';
import { checkScore } from '../../../src/engine/score.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { barePod, deployment, podOf, replicaSet } from '../die/objects.js';

function resourceQuota(
  namespace: string,
  name: string,
  hard: Record<string, string> = { 'requests.cpu': '4', 'requests.memory': '8Gi', 'limits.memory': '16Gi', pods: '50' },
): K8sObject {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace }, spec: { hard }, status: { hard, used: { pods: '3' } } };
}

function limitRange(
  namespace: string,
  name: string,
  limits: unknown[] = [
    { type: 'Container', default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' }, max: { memory: '2Gi' } },
  ],
): K8sObject {
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace }, spec: { limits } };
}

function podsIn(namespace: string, count: number): K8sObject[] {
  const d = deployment(namespace, 'api', count);
  const rs = replicaSet(d, '6b8f9c7d5e');
  return Array.from({ length: count }, (_, i) => podOf(rs, `p${i}x7k`));
}

describe('MT-03 namespaces with workloads have a ResourceQuota and a LimitRange', () => {
  it('passes when every namespace that runs pods has both, ignoring system namespaces and empty namespaces', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...podsIn('shop', 2),
        resourceQuota('shop', 'compute'),
        limitRange('shop', 'container-defaults'),
        ...podsIn('kube-system', 1),
        resourceQuota('idle', 'compute'),
      ]),
    );
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects).toEqual([
      {
        resource: { apiVersion: 'v1', kind: 'Namespace', name: 'shop' },
        verdict: 'pass',
        credit: 1,
        details: { pods: 2, resourceQuotas: ['compute'], limitRanges: ['container-defaults'] },
      },
    ]);
  });

  it('fails per namespace with partial credit when only one of the two exists', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...podsIn('shop', 2),
        resourceQuota('shop', 'compute'),
        limitRange('shop', 'container-defaults'),
        ...podsIn('blog', 1),
        resourceQuota('blog', 'compute'),
        ...podsIn('search', 3),
        limitRange('search', 'container-defaults'),
        barePod('legacy', 'cron-runner'),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.resource.name, f.messageId, f.field, f.evidence])).toEqual([
      ['blog', 'missingLimitRange', 'LimitRange.spec.limits', 'ResourceQuota: compute; LimitRange: none'],
      ['legacy', 'missingBoth', 'ResourceQuota.spec.hard, LimitRange.spec.limits', 'ResourceQuota: none; LimitRange: none'],
      ['search', 'missingQuota', 'ResourceQuota.spec.hard', 'ResourceQuota: none; LimitRange: container-defaults'],
    ]);
    expect(outcome.findings[0]!.verify).toBe('kubectl -n blog get resourcequota,limitrange -o wide');
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict, s.credit])).toEqual([
      ['blog', 'partial', 0.5],
      ['legacy', 'fail', 0],
      ['search', 'partial', 0.5],
      ['shop', 'pass', 1],
    ]);
    expect(checkScore(outcome)).toBe(50);
  });

  it('does not count a ResourceQuota without spec.hard or a LimitRange without limits', () => {
    const outcome = evaluate(check, inventoryOf([...podsIn('shop', 1), resourceQuota('shop', 'placeholder', {}), limitRange('shop', 'empty', [])]));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]!.messageId).toBe('missingBoth');
    expect(outcome.findings[0]!.evidence).toBe('ResourceQuota: placeholder (sets no spec.hard); LimitRange: empty (has no spec.limits)');
  });

  it('is not applicable when no pods run outside system namespaces', () => {
    const outcome = evaluate(check, inventoryOf(podsIn('kube-system', 2), { [KINDS.ResourceQuota]: 'ok', [KINDS.LimitRange]: 'ok' }));
    expect(outcome.status).toBe('not-applicable');
  });

  it('is unknown when LimitRanges could not be listed, or the snapshot has no ResourceQuota list', () => {
    const forbidden = evaluate(check, inventoryOf([...podsIn('shop', 1), resourceQuota('shop', 'compute')], { [KINDS.LimitRange]: 'forbidden' }));
    expect(forbidden.status).toBe('unknown');
    expect(forbidden.status === 'unknown' && forbidden.reason).toMatch(/LimitRange/);
    const missing = evaluate(check, inventoryOf([...podsIn('shop', 1), limitRange('shop', 'defaults')]));
    expect(missing.status).toBe('unknown');
  });
});
