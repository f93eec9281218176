import type { ImageContent } from '../k8s/image-content.js';
import type { KindId } from '../k8s/kinds.js';
import type { KindCollection } from '../k8s/inventory.js';
import type { Catalogs } from '../catalog/catalogs.js';
import type { CheckContext, CheckMeta, MemoKey } from './check.js';

export interface ContextInput {
  meta: CheckMeta;
  collection: (kind: KindId) => KindCollection;
  catalogs: Catalogs;
  systemNamespaces: ReadonlySet<string>;
  options: Record<string, unknown>;
  serverVersion?: string;
  /** What image inspection proved, by canonical reference; absent: no image was inspected. */
  imageContents?: ReadonlyMap<string, ImageContent>;
  /** The run's memo, shared by its checks; a context made without one (a plugin's worker) has its own. */
  memo?: RunMemo;
}

/** The view a check gets: only the kinds it declared, and pure data. */
export function makeContext(input: ContextInput): CheckContext {
  const declared = new Set<KindId>([...input.meta.reads, ...(input.meta.optionalReads ?? [])]);
  return scoped(input, input.memo ?? new RunMemo(), declared, input.options, `check ${input.meta.id}`);
}

/**
 * A context that reads only `declared`. A memo value is computed in one of its own: the kinds of
 * its key and no options, so that it is the same whichever check computes it.
 */
function scoped(input: ContextInput, memo: RunMemo, declared: ReadonlySet<KindId>, options: Record<string, unknown>, who: string): CheckContext {
  const collection = (kind: KindId): KindCollection => {
    if (!declared.has(kind)) throw new Error(`${who} reads ${kind} without declaring it`);
    return input.collection(kind);
  };
  return {
    collection,
    items: (kind) => collection(kind).items,
    settings: { systemNamespaces: input.systemNamespaces, options },
    catalogs: input.catalogs,
    isSystemNamespace: (name) => name !== undefined && input.systemNamespaces.has(name),
    imageContent: (key) => input.imageContents?.get(key),
    ...(input.serverVersion ? { serverVersion: input.serverVersion } : {}),
    memo: (key, compute) => {
      // Checked on every use, not only when computing: whether a check may see a value must
      // not depend on which check happened to ask first.
      for (const kind of key.reads) {
        if (!declared.has(kind)) throw new Error(`${who} uses ${key.name}, which reads ${kind}, without declaring ${kind}`);
      }
      return memo.get(key, () => compute(scoped(input, memo, new Set(key.reads), NO_OPTIONS, `${key.name} (memo of ${who})`)));
    },
  };
}

const NO_OPTIONS: Record<string, unknown> = Object.freeze({});

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
    this.entries.set(key.name, { key, computing: true });
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
