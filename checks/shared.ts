/**
 * What checks of several categories share within a run, each computed once through ctx.memo:
 * the index that traces pods to their workloads, and the images of all pods grouped.
 */
import { memoKey, type CheckContext } from '../src/engine/check.js';
import { imageGroups, type ImageGroup } from '../src/k8s/image-uses.js';
import { KINDS } from '../src/k8s/kinds.js';
import { POD_OWNER_KINDS, podOwnerIndex, type OwnerIndex } from '../src/k8s/owners.js';

const POD_OWNER_INDEX = memoKey<OwnerIndex>('owners/pod-owner-index', POD_OWNER_KINDS);
const IMAGE_GROUPS = memoKey<readonly ImageGroup[]>('images/groups', [KINDS.Pod, ...POD_OWNER_KINDS]);

/** The run's index of pod owners; it also remembers each pod's workload once traced. */
export function sharedOwnerIndex(ctx: CheckContext): OwnerIndex {
  return ctx.memo(POD_OWNER_INDEX, (run) => podOwnerIndex((kind) => run.collection(kind)));
}

/** The images of every pod of the inventory, grouped, with the workloads that run them. */
export function sharedImageGroups(ctx: CheckContext): readonly ImageGroup[] {
  return ctx.memo(IMAGE_GROUPS, (run) => imageGroups(run.items(KINDS.Pod), sharedOwnerIndex(run)));
}
