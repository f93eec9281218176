import check from '../../../checks/multitenancy/MT-04.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';

// Pass, fail (missing and weak labels), no namespace list and only system namespaces:
// test/checks/cases/MT-04/. Here what a snapshot cannot say.
describe('MT-04 Pod Security Admission enforce level', () => {
  it('is unknown when namespaces could not be listed', () => {
    const outcome = evaluate(check, inventoryOf([], { [KINDS.Namespace]: 'forbidden' }));
    expect(outcome).toMatchObject({ status: 'unknown' });
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/forbidden/);
  });
});
