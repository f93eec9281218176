import type { KindId } from '../k8s/kinds.js';
import type { KindCollection } from '../inventory/inventory.js';
import type { Catalogs } from '../catalog/catalogs.js';
import type { CheckContext, CheckMeta } from './check.js';

export interface ContextInput {
  meta: CheckMeta;
  collection: (kind: KindId) => KindCollection;
  catalogs: Catalogs;
  systemNamespaces: ReadonlySet<string>;
  options: Record<string, unknown>;
  serverVersion?: string;
}

/** The view a check gets: only the kinds it declared, and pure data. */
export function makeContext(input: ContextInput): CheckContext {
  const declared = new Set<KindId>([...input.meta.reads, ...(input.meta.optionalReads ?? [])]);
  const collection = (kind: KindId): KindCollection => {
    if (!declared.has(kind)) throw new Error(`check ${input.meta.id} reads ${kind} without declaring it`);
    return input.collection(kind);
  };
  return {
    collection,
    items: (kind) => collection(kind).items,
    settings: { systemNamespaces: input.systemNamespaces, options: input.options },
    catalogs: input.catalogs,
    isSystemNamespace: (name) => name !== undefined && input.systemNamespaces.has(name),
    ...(input.serverVersion ? { serverVersion: input.serverVersion } : {}),
  };
}
