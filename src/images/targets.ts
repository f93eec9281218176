/**
 * Which images of an inventory to inspect, and for which platform. An image is named by the
 * canonical reference the base-image checks group it under, so that the checks find its result.
 * The digest is the one the kubelet recorded (`status.containerStatuses[].imageID`) when the
 * pod has it, so that a tag needs no resolution; the platform is that of the pod's node
 * (`kubernetes.io/os`, `kubernetes.io/arch`), else the one most of the cluster's nodes run, else
 * linux/amd64. The audit reads pods whole when it inspects images: the slim projection
 * (slim.ts) keeps neither container statuses nor node names.
 */
import { collectionOf, type Inventory } from '../k8s/inventory.js';
import { KINDS } from '../k8s/kinds.js';
import { parseImageRef } from '../k8s/images.js';
import { asArray, asString, field, labelOf, nameOf, type K8sObject } from '../k8s/object.js';
import { podContainers } from '../k8s/workloads.js';
import { DEFAULT_PLATFORM, type InspectTarget, type Platform } from './inspect.js';

export function inventoryTargets(inventory: Inventory): InspectTarget[] {
  const cluster = clusterPlatform(inventory);
  const nodes = new Map<string, Platform>();
  for (const node of collectionOf(inventory, KINDS.Node).items) {
    const p = platformOf(node);
    if (p) nodes.set(nameOf(node), p);
  }
  const seen = new Map<string, InspectTarget>();
  for (const pod of collectionOf(inventory, KINDS.Pod).items) {
    const node = asString(field(pod, 'spec', 'nodeName'));
    const onNode = node !== undefined ? nodes.get(node) : undefined;
    const recorded = recordedDigests(pod);
    for (const c of podContainers(pod)) {
      if (c.image === undefined) continue;
      const parsed = parseImageRef(c.image);
      if (!parsed.ok) continue;
      const digest = parsed.ref.digest ?? recorded.get(`${c.list}/${c.name}`);
      const known = seen.get(parsed.ref.canonical);
      // The first pod that knows the digest decides; one without it only fills a gap.
      if (known && (known.digest !== undefined || digest === undefined)) continue;
      seen.set(parsed.ref.canonical, {
        key: parsed.ref.canonical,
        source: { kind: 'registry', ref: parsed.ref },
        ...(digest !== undefined ? { digest } : {}),
        platform: onNode ?? cluster.platform,
        platformFrom: onNode ? `node ${node!}` : cluster.from,
      });
    }
  }
  return [...seen.values()].sort((a, b) => a.key.localeCompare(b.key, 'en'));
}

const STATUS_LISTS: [string, string][] = [
  ['containerStatuses', 'containers'],
  ['initContainerStatuses', 'initContainers'],
  ['ephemeralContainerStatuses', 'ephemeralContainers'],
];

/**
 * `list/name` → manifest digest from the kubelet's `imageID` (`docker.io/library/nginx@sha256:…`,
 * `docker-pullable://…@sha256:…`). A bare `sha256:…` is the runtime's local image ID (the config
 * digest), which no registry serves as a manifest: it is not used.
 */
function recordedDigests(pod: K8sObject): Map<string, string> {
  const found = new Map<string, string>();
  for (const [statusList, list] of STATUS_LISTS) {
    for (const s of asArray(field(pod, 'status', statusList))) {
      const name = asString(field(s, 'name'));
      const m = /@(sha256:[0-9a-f]{64})$/.exec(asString(field(s, 'imageID')) ?? '');
      if (name && m) found.set(`${list}/${name}`, m[1]!);
    }
  }
  return found;
}

function platformOf(node: K8sObject): Platform | undefined {
  const os = labelOf(node, 'kubernetes.io/os');
  const architecture = labelOf(node, 'kubernetes.io/arch');
  return os && architecture ? { os, architecture } : undefined;
}

function clusterPlatform(inventory: Inventory): { platform: Platform; from: string } {
  const counts = new Map<string, number>();
  for (const node of collectionOf(inventory, KINDS.Node).items) {
    const p = platformOf(node);
    if (p) counts.set(`${p.os}/${p.architecture}`, (counts.get(`${p.os}/${p.architecture}`) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (ranked.length === 0) return { platform: DEFAULT_PLATFORM, from: 'no node labels known: linux/amd64 assumed' };
  const [os, architecture] = ranked[0]![0].split('/') as [string, string];
  return { platform: { os, architecture }, from: ranked.length === 1 ? 'the platform of every node' : 'the platform most nodes run' };
}
