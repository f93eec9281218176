/**
 * The inventory layer's one door for commands: read a snapshot or a live cluster into an
 * inventory. How it is read (worker threads, their statistics and fallbacks, the heap settling
 * after reading) stays behind it; a command says what to read, for which checks, and where
 * --debug details go.
 */
import { KpostureError } from '../errors.js';
import type { Inventory } from '../k8s/inventory.js';
import type { KindId } from '../k8s/kinds.js';
import { slimProjection, wholeObjects } from '../k8s/slim.js';
import { collectReadingGarbage } from '../util/heap.js';
import { collectLive, type LiveOptions, type ReadCounts } from './live.js';
import { loadSnapshot, type SnapshotProgress } from './snapshot.js';
import { loadManifests, type ManifestsOptions } from './manifests.js';

export type { ReadCounts } from './live.js';

export interface ReadRequest {
  /** Snapshot files and folders (relative to `cwd`); none: the live cluster of `live`. */
  snapshots: string[];
  cwd: string;
  /** Rendered manifests to audit instead of a cluster or a snapshot (manifests.ts), when it has paths. */
  manifests?: Omit<ManifestsOptions, 'cwd' | 'project'>;
  /** How to reach the cluster, when no snapshot is given. */
  live: Pick<LiveOptions, 'kubeconfig' | 'context' | 'requestTimeoutMs' | 'timeoutMs' | 'maxPageBytes' | 'maxPages' | 'env' | 'resolve'>;
  kinds: KindId[];
  /**
   * Keep only the fields the built-in checks read (k8s/slim.ts), in worker threads where that
   * pays; false when a plugin check may read any field.
   */
  slim: boolean;
  /**
   * The caller is the whole process (the CLI): after reading, the garbage of reading is collected
   * and V8's heap growth is capped (util/heap.ts), which a library's guest must not do.
   */
  ownsProcess: boolean;
  /** Progress lines (a terminal) and --debug details; each gets one line at a time. */
  progress?: (line: string) => void;
  /** The running counts of a live read (kinds, pages, objects), for a progress line. */
  counts?: (counts: ReadCounts) => void;
  /** How far a snapshot read has got (files, objects), for the same line. */
  snapshotCounts?: (progress: SnapshotProgress) => void;
  debug?: (line: string) => void;
}

export async function readInventory(request: ReadRequest): Promise<Inventory> {
  const inventory = await read(request);
  if (request.ownsProcess) {
    const { before, after, growth } = collectReadingGarbage();
    const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
    request.debug?.(
      `collected the garbage of reading (${mib(before)} -> ${mib(after)} MiB; ${typeof growth === 'number' ? `heap growth capped at ${growth}x from here` : `heap growth ${growth}`})`,
    );
  }
  return inventory;
}

function read({ snapshots, manifests, cwd, live, kinds, slim, progress, counts, snapshotCounts, debug }: ReadRequest): Promise<Inventory> | Inventory {
  const project = slim ? slimProjection() : wholeObjects;
  if (manifests && manifests.paths.length > 0) {
    if (snapshots.length > 0 || live.kubeconfig || live.context) {
      throw new KpostureError(
        'usage',
        '--manifests cannot be combined with --snapshot, --kubeconfig or --context',
        'audit either manifests, a snapshot or a live cluster',
      );
    }
    return loadManifests({ ...manifests, cwd, project });
  }
  if (snapshots.length > 0) {
    if (live.kubeconfig || live.context) {
      throw new KpostureError('usage', '--snapshot cannot be combined with --kubeconfig or --context', 'audit either a snapshot or a live cluster');
    }
    const slimInWorkers = {
      onFallback: (why: string): void => debug?.(`reading the snapshot again on the main thread: ${why}`),
      onStats: ({ batches, decodedHere }: { batches: number; decodedHere: number }): void =>
        debug?.(`read ${batches} batches of items in parallel, ${decodedHere} of them on the main thread`),
    };
    return loadSnapshot(snapshots, cwd, { project, ...(slim ? { slimInWorkers } : {}), ...(snapshotCounts ? { onProgress: snapshotCounts } : {}) });
  }
  return collectLive({
    ...live,
    kinds,
    project,
    ...(slim ? { slimInWorkers: {} } : {}),
    logRequests: debug !== undefined,
    log: (line) => (debug ?? progress)?.(line),
    ...(counts ? { onProgress: counts } : {}),
  });
}
