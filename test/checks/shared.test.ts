import IMG01 from '../../checks/base-images/IMG-01.js';
import IMG02 from '../../checks/base-images/IMG-02.js';
import DIE02 from '../../checks/die/DIE-02.js';
import MT01 from '../../checks/multitenancy/MT-01.js';
import { sharedImageGroups, sharedOwnerIndex } from '../../checks/shared.js';
import type { Check, CheckContext } from '../../src/engine/check.js';
import { RunMemo } from '../../src/engine/context.js';
import { workloadOf } from '../../src/k8s/owners.js';
import { contextFor, inventoryOf } from '../support/inventory.js';
import { deploymentPods } from './base-images/pods.js';

const objects = deploymentPods('shop', 'web', { containers: [{ name: 'web', image: 'nginx:1.27.0' }] }, { replicas: 3 });
const inventory = inventoryOf(objects);

function contextOf(check: Check, memo: RunMemo): CheckContext {
  return contextFor(check, inventory, memo);
}

describe('what checks of several categories share', () => {
  it('builds the owner index once per memo, and with it traces each pod once', () => {
    const memo = new RunMemo();
    const index = sharedOwnerIndex(contextOf(IMG01, memo));
    expect(sharedOwnerIndex(contextOf(DIE02, memo))).toBe(index);
    const pod = objects.find((o) => o.kind === 'Pod')!;
    expect(workloadOf(pod, index)).toBe(workloadOf(pod, sharedOwnerIndex(contextOf(IMG02, memo))));
    expect(workloadOf(pod, index).ref).toMatchObject({ kind: 'Deployment', name: 'web' });
    expect(sharedOwnerIndex(contextOf(IMG01, new RunMemo()))).not.toBe(index);
  });

  it('groups the images of every pod once per memo', () => {
    const memo = new RunMemo();
    const groups = sharedImageGroups(contextOf(IMG01, memo));
    expect(sharedImageGroups(contextOf(IMG02, memo))).toBe(groups);
    expect(groups.map((g) => [g.key, g.usedBy])).toEqual([['docker.io/library/nginx:1.27.0', ['Deployment shop/web']]]);
  });

  it('refuses the pod owner index to a check that does not declare ReplicaSets and Jobs', () => {
    expect(() => sharedOwnerIndex(contextOf(MT01, new RunMemo()))).toThrow(/without declaring/);
  });
});
