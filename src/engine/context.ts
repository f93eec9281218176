import type { KindId } from '../k8s/kinds.js';
import type { KindCollection } from '../inventory/inventory.js';
import type { Catalogs } from '../catalog/catalogs.js';
import type { CheckContext, CheckMeta, MemoKey } from './check.js';

export interface ContextInput {
  meta: CheckMeta;
  collection: (kind: KindId) => KindCollection;
  catalogs: Catalogs;
  systemNamespaces: ReadonlySet<string>;
  options: Record<string, unknown>;
  serverVersion?: string;
  /** The run's memo, shared by its checks; a context made without one (a plugin's worker) has its own. */
  memo?: RunMemo;
}

/** The view a check gets: only the kinds it declared, and pure data. */
export function makeContext(input: ContextInput): CheckContext {
  const declared = new Set<KindId>([...input.meta.reads, ...(input.meta.optionalReads ?? [])]);
  const collection = (kind: KindId): KindCollection => {
    if (!declared.has(kind)) throw new Error(`check ${input.meta.id} reads ${kind} without declaring it`);
    return input.collection(kind);
  };
  const memo = input.memo ?? new RunMemo();
  return {
    collection,
    items: (kind) => collection(kind).items,
    settings: { systemNamespaces: input.systemNamespaces, options: input.options },
    catalogs: input.catalogs,
    isSystemNamespace: (name) => name !== undefined && input.systemNamespaces.has(name),
    ...(input.serverVersion ? { serverVersion: input.serverVersion } : {}),
    memo: (key, compute) => {
      // Checked on every use, not only when computing: whether a check may see a value must
      // not depend on which check happened to ask first.
      for (const kind of key.reads) {
        if (!declared.has(kind)) throw new Error(`check ${input.meta.id} uses ${key.name}, which reads ${kind}, without declaring ${kind}`);
      }
      return memo.get(key, compute);
    },
  };
}

/**
 * Values the checks of one run share, by key name. The engine makes one per run and drops it
 * when the run ends, so nothing computed from one inventory reaches another run.
 */
export class RunMemo {
  private readonly entries = new Map<string, { key: MemoKey<unknown>; value?: unknown; computing: boolean }>();

  get<T>(key: MemoKey<T>, compute: () => T): T {
    const entry = this.entries.get(key.name);
    if (entry) {
      // Two keys of one name would hand a value of one type to code expecting the other.
      if (entry.key !== key) throw new Error(`two memo keys are named ${key.name}`);
      if (entry.computing) throw new Error(`${key.name} needs its own value to compute it`);
      return entry.value as T;
    }
    const pending = { key: key as MemoKey<unknown>, computing: true };
    this.entries.set(key.name, pending);
    try {
      const value = compute();
      this.entries.set(key.name, { key, value, computing: false });
      return value;
    } catch (err) {
      // A failed computation leaves nothing behind: the next check to ask tries again.
      this.entries.delete(key.name);
      throw err;
    }
  }
}
