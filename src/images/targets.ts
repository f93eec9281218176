/**
 * Which images of an inventory to inspect, and for which platform. An image is named by the
 * canonical reference the base-image checks group it under, so that the checks find its result.
 * The inventory keeps no per-pod node or container status (slim.ts), so the platform is the
 * one the cluster's nodes run (`kubernetes.io/os`, `kubernetes.io/arch` labels), the most
 * common one when they differ, linux/amd64 when no node is known.
 */
import { collectionOf, type Inventory } from '../k8s/inventory.js';
import { KINDS } from '../k8s/kinds.js';
import { parseImageRef } from '../k8s/images.js';
import { labelOf } from '../k8s/object.js';
import { podContainers } from '../k8s/workloads.js';
import { DEFAULT_PLATFORM, type InspectTarget, type Platform } from './inspect.js';

export function inventoryTargets(inventory: Inventory): InspectTarget[] {
  const { platform, from } = clusterPlatform(inventory);
  const seen = new Map<string, InspectTarget>();
  for (const pod of collectionOf(inventory, KINDS.Pod).items) {
    for (const c of podContainers(pod)) {
      if (c.image === undefined) continue;
      const parsed = parseImageRef(c.image);
      if (!parsed.ok || seen.has(parsed.ref.canonical)) continue;
      seen.set(parsed.ref.canonical, { key: parsed.ref.canonical, source: { kind: 'registry', ref: parsed.ref }, platform, platformFrom: from });
    }
  }
  return [...seen.values()].sort((a, b) => a.key.localeCompare(b.key, 'en'));
}

function clusterPlatform(inventory: Inventory): { platform: Platform; from: string } {
  const counts = new Map<string, number>();
  for (const node of collectionOf(inventory, KINDS.Node).items) {
    const os = labelOf(node, 'kubernetes.io/os');
    const arch = labelOf(node, 'kubernetes.io/arch');
    if (os && arch) counts.set(`${os}/${arch}`, (counts.get(`${os}/${arch}`) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (ranked.length === 0) return { platform: DEFAULT_PLATFORM, from: 'no node labels known: linux/amd64 assumed' };
  const [os, architecture] = ranked[0]![0].split('/') as [string, string];
  return { platform: { os, architecture }, from: ranked.length === 1 ? 'the platform of every node' : 'the platform most nodes run' };
}
