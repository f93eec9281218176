import { isForbiddenKind, type KindId } from './kinds.js';
import type { ImageContent } from './image-content.js';
import type { K8sObject, ResourceRef } from './object.js';

/**
 * What the inventory knows about one kind.
 * - ok: listed completely (items may be empty);
 * - not-served: the API does not exist on this cluster (a fact: e.g. no Kyverno);
 * - forbidden: RBAC refused the list, or kposture never reads the kind (Secrets, `neverRead`);
 * - error: the list failed for another reason;
 * - missing: a snapshot that does not contain this kind (nothing is known); from manifests, a
 *   kind only a running cluster shows, with the reason.
 */
export type KindStatus = 'ok' | 'not-served' | 'forbidden' | 'error' | 'missing';

export interface KindCollection {
  status: KindStatus;
  items: K8sObject[];
  reason?: string;
}

export interface SourceLocation {
  /** Relative path (snapshot file) or stable pseudo-path for live objects. */
  uri: string;
  startLine: number;
}

export type InventorySource =
  | { type: 'snapshot'; paths: string[] }
  | { type: 'live'; context: string; server: string }
  /** Rendered manifests (`kposture audit --manifests`): the desired state, before it is applied. */
  | { type: 'manifests'; paths: string[] };

export interface Inventory {
  source: InventorySource;
  kinds: ReadonlyMap<KindId, KindCollection>;
  /** Kubernetes version of the API server (`v1.31.2`), when known. */
  serverVersion?: string;
  /** Where an object came from, for SARIF locations. */
  locate(ref: ResourceRef): SourceLocation | undefined;
  /** What image inspection proved (`--inspect-images`), by canonical image reference. */
  imageContents?: ReadonlyMap<string, ImageContent>;
  /** Snapshot only: the files read, relative to the working directory, in the order read. */
  files?: readonly string[];
}

const MISSING: KindCollection = Object.freeze({ status: 'missing', items: [] });

/** Why a kind kposture never reads is unknown, live and offline alike. */
export const NEVER_READ_REASON = 'kposture never reads Secrets';
const NEVER_READ: KindCollection = Object.freeze({ status: 'forbidden', items: Object.freeze([]) as unknown as K8sObject[], reason: NEVER_READ_REASON });

/**
 * The collection of a kind kposture never reads, whatever the source: forbidden, with no items
 * (a snapshot's Secrets are dropped unseen; live, they are never requested). Undefined for other kinds.
 */
export function neverRead(id: KindId): KindCollection | undefined {
  const dot = id.indexOf('.');
  return isForbiddenKind(dot < 0 ? '' : id.slice(dot + 1), dot < 0 ? id : id.slice(0, dot)) ? NEVER_READ : undefined;
}

export function collectionOf(inventory: Inventory, id: KindId): KindCollection {
  return inventory.kinds.get(id) ?? neverRead(id) ?? MISSING;
}

/** A kind's items can be used as complete data: listed, or absent from the API altogether. */
export function isKnown(collection: KindCollection): boolean {
  return collection.status === 'ok' || collection.status === 'not-served';
}

export function describeStatus(id: KindId, collection: KindCollection, source: InventorySource): string {
  switch (collection.status) {
    case 'forbidden':
      if (neverRead(id)) return `${id} is never listed: ${collection.reason ?? NEVER_READ_REASON}`;
      return `listing ${id} was forbidden by RBAC${collection.reason ? `: ${collection.reason}` : ''}`;
    case 'error':
      return `listing ${id} failed${collection.reason ? `: ${collection.reason}` : ''}`;
    case 'missing':
      if (source.type === 'manifests') return collection.reason ?? `${id} is not in the manifests`;
      return source.type === 'snapshot' ? `the snapshot contains no ${id} list (add it, e.g. with \`kposture snapshot\`)` : `${id} was not collected`;
    case 'not-served':
      return `${id} is not served by this cluster`;
    case 'ok':
      return `${id} listed`;
  }
}
