/**
 * What the snapshot loader does to each object before it keeps it: the checks of its metadata,
 * and the apiVersion and kind a typed list's items may leave out; which kinds are lists. Pure, so
 * that the item decoder workers (item-decoders.ts) apply exactly the rules the main thread does.
 * (Secrets are dropped unseen on both sides by `isForbiddenKind`, k8s/kinds.ts.)
 */
import { kindId, kindSpec, splitApiVersion, type KindId } from '../k8s/kinds.js';
import { isRecord } from '../k8s/object.js';

/** The first thing wrong with an object's metadata, as [field, problem]; undefined when none. */
export function metadataProblem(obj: Record<string, unknown>): [string, string] | undefined {
  const meta = obj.metadata;
  if (!isRecord(meta)) return ['metadata', 'must be an object'];
  if (typeof meta.name !== 'string' || meta.name === '') return ['metadata.name', 'must be a non-empty string'];
  if (meta.namespace !== undefined && typeof meta.namespace !== 'string') return ['metadata.namespace', 'must be a string'];
  for (const key of ['labels', 'annotations'] as const) {
    const map = meta[key];
    if (map === undefined || map === null) continue;
    if (!isRecord(map)) return [`metadata.${key}`, 'must be a map of strings'];
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string') return [`metadata.${key}.${k}`, 'must be a string'];
    }
  }
  return undefined;
}

/**
 * The kind and group one item of a list is read as, or what makes it unusable, as [field, problem].
 * `list` is a typed list's kind and group (its items may leave theirs out, but may not name
 * another: a PodList of Deployments is refused, not relabelled), or undefined for a `List`, whose
 * items say their own. The one rule for the main thread, the item decoder workers and the
 * streamed lists.
 */
export function itemKind(item: Record<string, unknown>, list: { kind: string; group: string } | undefined): { kind: string; group: string } | [string, string] {
  const { kind, apiVersion } = item;
  if (apiVersion !== undefined && typeof apiVersion !== 'string') return ['apiVersion', 'must be a string'];
  if (list) {
    if (kind !== undefined && kind !== list.kind)
      return ['kind', `is ${typeof kind === 'string' ? kind : JSON.stringify(kind)}, but the list holds ${list.kind} objects`];
    return list;
  }
  if (typeof kind !== 'string' || kind === '') return ['kind', 'must be a non-empty string'];
  return { kind, group: apiVersion !== undefined ? splitApiVersion(apiVersion).group : '' };
}

/** `List`, or a typed list such as `PodList`: an object whose `items` are read as objects. */
export function isListKind(kind: unknown): boolean {
  return typeof kind === 'string' && kind.endsWith('List');
}

/** The object with the apiVersion and kind of its list, where it leaves them out. */
export function typedObject(obj: Record<string, unknown>, kind: string, group: string): { id: KindId; typed: Record<string, unknown> } {
  const id = kindId(group, kind);
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : defaultApiVersion(group, id);
  const typed = obj.apiVersion === apiVersion && obj.kind === kind ? obj : { ...obj, apiVersion, kind };
  return { id, typed };
}

function defaultApiVersion(group: string, id: KindId): string {
  const version = kindSpec(id)?.versions[0] ?? 'v1';
  return group ? `${group}/${version}` : version;
}
