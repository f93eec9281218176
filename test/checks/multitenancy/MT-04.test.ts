import check from '../../../checks/multitenancy/MT-04.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { evaluate, inventoryOf, namespace } from '../../support/inventory.js';

const ENFORCE = 'pod-security.kubernetes.io/enforce';

describe('MT-04 Pod Security Admission enforce level', () => {
  it('passes when every tenant namespace enforces baseline or restricted', () => {
    const outcome = evaluate(check, inventoryOf([
      namespace('kube-system'),
      namespace('shop', { [ENFORCE]: 'restricted' }),
      namespace('blog', { [ENFORCE]: 'baseline' }),
    ]));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => s.resource.name)).toEqual(['blog', 'shop']);
  });

  it('fails per namespace, one finding each, ignoring system namespaces, and scores the share', () => {
    const outcome = evaluate(check, inventoryOf([
      namespace('kube-system'),
      namespace('shop', { [ENFORCE]: 'restricted' }),
      namespace('legacy', { [ENFORCE]: 'privileged', 'pod-security.kubernetes.io/warn': 'restricted' }),
      namespace('blog', { 'pod-security.kubernetes.io/audit': 'restricted' }),
    ]));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.resource.name, f.messageId, f.evidence])).toEqual([
      ['blog', 'missing', 'label absent'],
      ['legacy', 'weak', `${ENFORCE}=privileged`],
    ]);
    expect(outcome.findings[0]!.verify).toBe('kubectl get namespace blog --show-labels');
    expect(outcome.subjects.filter((s) => s.verdict === 'pass')).toHaveLength(1);
  });

  it('is unknown when namespaces could not be listed', () => {
    const outcome = evaluate(check, inventoryOf([], { [KINDS.Namespace]: 'forbidden' }));
    expect(outcome).toMatchObject({ status: 'unknown' });
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/forbidden/);
  });

  it('is unknown when a snapshot has no namespaces at all', () => {
    const outcome = evaluate(check, inventoryOf([]));
    expect(outcome.status).toBe('unknown');
  });

  it('is not applicable when only system namespaces exist', () => {
    expect(evaluate(check, inventoryOf([namespace('kube-system')])).status).toBe('not-applicable');
  });
});
