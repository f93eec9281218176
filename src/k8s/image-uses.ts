/**
 * Images as the base-image checks see them: every distinct image (all spellings of one image
 * merged by their canonical reference) with the workloads that run it. A finding about an image
 * names its first workload, lists every workload as affected, and gives a kubectl command that
 * shows the pods using it.
 */
import { parseImageRef, type ParsedImage } from './images.js';
import { compareRefs, refKey, type K8sObject, type ResourceRef } from './object.js';
import type { OwnerIndex, Workload } from './owners.js';
import { ALL_CONTAINER_LISTS, imageUses, namespacesOf, podsUsingImageCommand, workloadFieldPath, type ContainerList, type ImageUse } from './workloads.js';

export interface ImageGroup {
  /** Canonical reference, or the string as written when it does not parse. */
  readonly key: string;
  readonly parsed: ParsedImage;
  /** Every spelling pods use for this image, sorted. */
  readonly spellings: readonly string[];
  /** One use per workload container, in pod order. */
  readonly uses: readonly ImageUse[];
  /** Distinct workloads running the image, sorted. */
  readonly workloads: readonly Workload[];
  /** Each of `workloads` described (`Deployment shop/web`), in the same order. */
  readonly usedBy: readonly string[];
}

interface MutableImageGroup {
  key: string;
  parsed: ParsedImage;
  spellings: string[];
  uses: ImageUse[];
  workloads: Workload[];
}

/**
 * The images of `pods`, grouped, frozen so that the checks sharing them (through ctx.memo)
 * cannot change one another's view.
 */
export function imageGroups(pods: readonly K8sObject[], index: OwnerIndex, lists: readonly ContainerList[] = ALL_CONTAINER_LISTS): readonly ImageGroup[] {
  // A workload runs several images: it is described once for all of them.
  const descriptions = new Map<ResourceRef, string>();
  const describe = (w: Workload): string => {
    let text = descriptions.get(w.ref);
    if (text === undefined) descriptions.set(w.ref, (text = describeWorkload(w.ref)));
    return text;
  };
  return Object.freeze(
    buildImageGroups(pods, index, lists).map((g) =>
      Object.freeze({
        ...g,
        spellings: Object.freeze(g.spellings),
        uses: Object.freeze(g.uses),
        workloads: Object.freeze(g.workloads),
        usedBy: Object.freeze(g.workloads.map(describe)),
      }),
    ),
  );
}

function buildImageGroups(pods: readonly K8sObject[], index: OwnerIndex, lists: readonly ContainerList[]): MutableImageGroup[] {
  const groups = new Map<string, MutableImageGroup>();
  // Workloads already in each group, by refKey: a scan of group.workloads per use is quadratic.
  const workloadKeys = new Map<MutableImageGroup, Set<string>>();
  for (const use of imageUses(pods, index, lists)) {
    const parsed = parseImageRef(use.image);
    const key = parsed.ok ? parsed.ref.canonical : use.image;
    let group = groups.get(key);
    if (!group) {
      group = { key, parsed, spellings: [], uses: [], workloads: [] };
      groups.set(key, group);
    }
    if (!group.spellings.includes(use.image)) group.spellings.push(use.image);
    group.uses.push(use);
    let keys = workloadKeys.get(group);
    if (!keys) workloadKeys.set(group, (keys = new Set()));
    const workloadKey = refKey(use.workload.ref);
    if (!keys.has(workloadKey)) {
      keys.add(workloadKey);
      group.workloads.push(use.workload);
    }
  }
  for (const g of groups.values()) {
    g.spellings.sort();
    g.workloads.sort((a, b) => compareRefs(a.ref, b.ref));
  }
  return [...groups.values()].sort((a, b) => a.key.localeCompare(b.key, 'en'));
}

/** The image as a subject: not a Kubernetes object, named by its canonical reference. */
function imageSubjectRef(group: ImageGroup): ResourceRef {
  return { kind: 'Image', name: group.key };
}

/** `Deployment shop/web` */
export function describeWorkload(ref: ResourceRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** Where a finding about these uses points: first workload, all workloads affected, the image field, a kubectl command. */
export function imageFindingTarget(uses: readonly ImageUse[]): { resource: ResourceRef; affected: ResourceRef[]; field: string; verify: string } {
  const sorted = [...uses].sort((a, b) => compareRefs(a.workload.ref, b.workload.ref));
  const first = sorted[0]!;
  const affected: ResourceRef[] = [];
  const affectedKeys = new Set<string>();
  for (const u of sorted) {
    const key = refKey(u.workload.ref);
    if (!affectedKeys.has(key)) {
      affectedKeys.add(key);
      affected.push(u.workload.ref);
    }
  }
  const namespaces = namespacesOf(sorted.map((u) => u.pod));
  return {
    resource: first.workload.ref,
    affected,
    field: workloadFieldPath(first.workload, first.container, 'image'),
    verify: podsUsingImageCommand(
      namespaces,
      sorted.map((u) => u.image),
    ),
  };
}

/**
 * Images that only system namespaces run are the platform's choice, not a tenant's: the image
 * checks list them (verdict info, with their class) and do not score them. Removing a namespace
 * from the system list (config `systemNamespaces`) brings its images into the score.
 */
export function onlyInSystemNamespaces(group: ImageGroup, isSystemNamespace: (ns: string | undefined) => boolean): boolean {
  return group.workloads.length > 0 && group.workloads.every((w) => isSystemNamespace(w.ref.namespace));
}

/** What every image check records of an image: its subject, and the workloads that run it. */
export function imageUsage(group: ImageGroup): {
  resource: ResourceRef;
  usedBy: readonly string[];
  base: { usedBy: number; workloads: readonly string[]; spellings: readonly string[] };
} {
  const usedBy = group.usedBy;
  return { resource: imageSubjectRef(group), usedBy, base: { usedBy: usedBy.length, workloads: usedBy, spellings: group.spellings } };
}
