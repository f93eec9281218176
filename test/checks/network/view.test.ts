import NP02 from '../../../checks/network/NP-02.js';
import NP04 from '../../../checks/network/NP-04.js';
import NP05 from '../../../checks/network/NP-05.js';
import NP06 from '../../../checks/network/NP-06.js';
import { sharedNetpolView, sharedPodFacts, sharedPolicyIndex } from '../../../checks/network/view.js';
import type { Check, CheckContext } from '../../../src/engine/check.js';
import { RunMemo } from '../../../src/engine/context.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { contextFor, inventoryOf } from '../../support/inventory.js';
import { defaultDeny, ns, pod } from './objects.js';

const inventory = inventoryOf([ns('shop'), pod('shop', 'web-1', { app: 'web' }), pod('shop', 'web-2', { app: 'web' }), defaultDeny('shop')], {
  [KINDS.Pod]: 'ok',
});

function contextOf(check: Check, memo?: RunMemo): CheckContext {
  return contextFor(check, inventory, memo);
}

describe('what the NetworkPolicy checks share', () => {
  it('computes the view, the policy index and the pod facts once per memo', () => {
    const memo = new RunMemo();
    const view = sharedNetpolView(contextOf(NP02, memo));
    expect(sharedNetpolView(contextOf(NP04, memo))).toBe(view);
    expect(sharedPolicyIndex(contextOf(NP05, memo))).toBe(view.index);
    expect(sharedPodFacts(contextOf(NP06, memo))).toBe(sharedPodFacts(contextOf(NP04, memo)));
    expect([...view.podsByNamespace].map(([name, pods]) => [name, pods.length])).toEqual([['shop', 2]]);
    // Another run (another memo) builds its own.
    expect(sharedNetpolView(contextOf(NP02, new RunMemo()))).not.toBe(view);
  });

  it('gives the view only to checks that declare the kinds it reads', () => {
    const memo = new RunMemo();
    sharedNetpolView(contextOf(NP02, memo));
    // NP-05 reads NetworkPolicies only: the view holds pods.
    expect(() => sharedNetpolView(contextOf(NP05, memo))).toThrow(/network\/view, which reads Pod, without declaring Pod/);
  });
});
