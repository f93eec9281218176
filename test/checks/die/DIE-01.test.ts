import check from '../../../checks/die/DIE-01.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { deployment, statefulSet } from './objects.js';

describe('DIE-01 controllers run at least 2 replicas', () => {
  it('passes when every Deployment and StatefulSet outside system namespaces has 2 or more replicas', () => {
    const outcome = evaluate(check, inventoryOf([deployment('shop', 'web', 3), statefulSet('shop', 'postgres', 2), deployment('kube-system', 'coredns', 1)]));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.resource.kind, s.resource.name, s.details?.replicas])).toEqual([
      ['Deployment', 'web', 3],
      ['StatefulSet', 'postgres', 2],
    ]);
  });

  it('fails with one finding per controller (its spec.replicas is the root cause), reads an omitted spec.replicas as 1 and skips scaled-down controllers', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        deployment('shop', 'web', 3),
        deployment('shop', 'cart', null),
        statefulSet('shop', 'redis', 1),
        deployment('shop', 'legacy-batch', 0),
        deployment('blog', 'wordpress', 1),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.resource.kind, `${f.resource.namespace}/${f.resource.name}`, f.field, f.evidence])).toEqual([
      ['Deployment', 'blog/wordpress', 'spec.replicas', '1'],
      ['Deployment', 'shop/cart', 'spec.replicas', 'unset (the API server defaults it to 1)'],
      ['StatefulSet', 'shop/redis', 'spec.replicas', '1'],
    ]);
    const redis = outcome.findings[2]!;
    expect(redis.data).toMatchObject({ kind: 'StatefulSet', namespace: 'shop', name: 'redis', replicas: 1 });
    expect(redis.verify).toBe('kubectl -n shop get statefulset redis');
    expect(outcome.subjects.map((s) => s.resource.name)).not.toContain('legacy-batch');
    expect(checkScore(outcome)).toBe(25);
  });

  it('is not applicable when every controller is scaled to 0 or in a system namespace', () => {
    const outcome = evaluate(check, inventoryOf([deployment('shop', 'web', 0), deployment('kube-system', 'coredns', 2)], { [KINDS.StatefulSet]: 'ok' }));
    expect(outcome.status).toBe('not-applicable');
  });

  it('is unknown when StatefulSets could not be listed', () => {
    const outcome = evaluate(check, inventoryOf([deployment('shop', 'web', 1)], { [KINDS.StatefulSet]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/StatefulSet\.apps.*forbidden/);
  });

  it('is unknown when a snapshot has no Deployments list', () => {
    const outcome = evaluate(check, inventoryOf([statefulSet('shop', 'redis', 1)]));
    expect(outcome.status).toBe('unknown');
  });
});
