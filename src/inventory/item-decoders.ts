/**
 * Parses the items of a large JSON snapshot in worker threads, which read the bytes from the
 * file themselves.
 *
 * `JSON.parse` of the items is most of a snapshot audit's time. The main thread still reads the
 * whole file to find where each item ends (json-items.ts), but for the items of typed lists, and
 * those of a `List` that say their own kind (kubectl's output), it sends only their byte ranges,
 * in batches, to the workers. Each worker reads those bytes from the file, parses every item on
 * its own (so its objects die young), checks its metadata and reduces it to its slim record, as
 * the main thread would, and sends back the records. Answers
 * are awaited in order, synchronously (the loader is synchronous): the main thread blocks on a
 * shared counter each worker bumps after it posts, then takes the answer off the port.
 *
 * Anything a worker cannot take as it is (a range that does not parse, because the file is
 * invalid or its indentation misled the reader; metadata that breaks the loader's rules; a
 * worker that does not answer) fails the whole parallel read with ParallelReadFailed, and the
 * loader reads every file again on the main thread, which then reports the problem exactly as it
 * always has. So the workers make the common case fast and never change an outcome.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { compactCopy } from '../util/compact.js';
import { StringTable } from '../util/strings.js';
import { DECODER_WORKER_HEAP } from '../kube/page-decoder.js';

export interface ItemBatch {
  seq: number;
  /** The kind of a typed list's items; undefined for items that say their own (a `List`'s). */
  kind: string | undefined;
  group: string;
  /** File offsets of each item's first byte and of the byte after its last (files may pass 4 GiB). */
  starts: Float64Array;
  ends: Float64Array;
}

/**
 * Records in item order (Secrets left out); for items that say their own kind, also each item's
 * kind and group, Secrets included, as the loader's checks of a `List` need them.
 */
export interface DecodedItems {
  records: unknown[];
  kinds?: { kind: string; group: string }[];
}

export type ItemAnswer = ({ seq: number } & DecodedItems) | { seq: number; failed: string };

export interface ItemWorkerData {
  file: string;
  port: MessagePort;
  /** Bumped (and notified) by the worker after each answer it posts. */
  signal: Int32Array;
}

/** The parallel read could not be completed as it is; the caller reads the files on the main thread. */
export class ParallelReadFailed extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'ParallelReadFailed';
  }
}

export interface ItemDecodersOptions {
  workers: number;
  /** Bytes of items per batch (default 1 MiB). */
  batchBytes?: number;
  /** Longest wait for one answer before giving up on the workers (default 60 s). */
  answerTimeoutMs?: number;
}

/**
 * Workers: one per core plus one, at most four. The main thread spends much of a read waiting for
 * the oldest batch, and a worker more than cores keeps the cores busy meanwhile: on two cores,
 * three workers read the XL file 0.1–0.3 s faster than two (alternating runs); four were no faster.
 */
export function defaultItemWorkers(): number {
  return Math.min(4, availableParallelism() + 1);
}

const DEFAULT_BATCH_BYTES = 1024 * 1024;
/** Batches each worker may have queued or in hand, so that one waiting for its answer leaves the others busy. */
const BATCHES_PER_WORKER = 4;

interface Slot {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}

/** Takes a batch's records, in file order, with the indexes of its items in their list. */
export type Deliver = (decoded: DecodedItems, indexes: readonly number[]) => void;

interface OpenBatch {
  kind: string | undefined;
  group: string;
  deliver: Deliver;
  starts: number[];
  ends: number[];
  indexes: number[];
  bytes: number;
}

export class ItemDecoders {
  private readonly slots: Slot[] = [];
  private readonly pending: { seq: number; slot: Slot; deliver: Deliver; indexes: number[] }[] = [];
  private readonly strings = new StringTable();
  private readonly batchBytes: number;
  private readonly timeoutMs: number;
  private open: OpenBatch | undefined;
  private seq = 0;
  private next = 0;

  constructor(file: string, options: ItemDecodersOptions) {
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.timeoutMs = options.answerTimeoutMs ?? 60_000;
    for (let i = 0; i < Math.max(1, options.workers); i++) {
      const { port1, port2 } = new MessageChannel();
      const signal = new Int32Array(new SharedArrayBuffer(4));
      const workerData: ItemWorkerData = { file, port: port2, signal };
      const worker = new Worker(new URL('./item-decoder-worker.js', import.meta.url), { workerData, transferList: [port2], resourceLimits: DECODER_WORKER_HEAP });
      worker.unref();
      // A worker that fails is noticed as an answer that never comes (the main thread is blocked
      // meanwhile, so events would come too late anyway); this only keeps the error unthrown.
      worker.on('error', () => undefined);
      this.slots.push({ worker, port: port1, signal });
    }
  }

  /**
   * Item `index` of a list, at bytes [start, end) of the file: of `kind` and `group` (a typed
   * list's), or of the kind it says itself (`kind` undefined). `deliver` gets its record, with
   * those of the items around it, in file order.
   */
  add(start: number, end: number, index: number, kind: string | undefined, group: string, deliver: Deliver): void {
    const open = this.open;
    if (open && (open.kind !== kind || open.group !== group || open.deliver !== deliver)) this.flush();
    const batch = (this.open ??= { kind, group, deliver, starts: [], ends: [], indexes: [], bytes: 0 });
    batch.starts.push(start);
    batch.ends.push(end);
    batch.indexes.push(index);
    batch.bytes += end - start;
    if (batch.bytes >= this.batchBytes) this.flush();
  }

  /** Whether items are still with the workers (or waiting to go to them). */
  get busy(): boolean {
    return this.open !== undefined || this.pending.length > 0;
  }

  /** Delivers every item added so far. */
  drain(): void {
    this.flush();
    while (this.pending.length > 0) this.settleOldest();
  }

  close(): void {
    this.open = undefined;
    this.pending.length = 0;
    for (const slot of this.slots) {
      slot.port.close();
      void slot.worker.terminate();
    }
    this.slots.length = 0;
  }

  private flush(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    const slot = this.slots[this.next++ % this.slots.length]!;
    const batch: ItemBatch = { seq: ++this.seq, kind: open.kind, group: open.group, starts: Float64Array.from(open.starts), ends: Float64Array.from(open.ends) };
    slot.port.postMessage(batch);
    this.pending.push({ seq: batch.seq, slot, deliver: open.deliver, indexes: open.indexes });
    while (this.pending.length > this.slots.length * BATCHES_PER_WORKER) this.settleOldest();
  }

  private settleOldest(): void {
    const { seq, slot, deliver, indexes } = this.pending.shift()!;
    const answer = this.receive(slot);
    if (answer.seq !== seq) throw new ParallelReadFailed(`a worker answered batch ${answer.seq} when ${seq} was due`);
    if ('failed' in answer) throw new ParallelReadFailed(answer.failed);
    deliver({ records: compactCopy(answer.records, this.strings), ...(answer.kinds ? { kinds: answer.kinds } : {}) }, indexes);
  }

  /** The next answer on `slot`'s port, waiting for it (synchronously) as long as the timeout allows. */
  private receive(slot: Slot): ItemAnswer {
    const giveUp = Date.now() + this.timeoutMs;
    for (;;) {
      const seen = Atomics.load(slot.signal, 0);
      const received = receiveMessageOnPort(slot.port);
      if (received) return received.message as ItemAnswer;
      const left = giveUp - Date.now();
      if (left <= 0) throw new ParallelReadFailed(`a snapshot item decoder did not answer within ${this.timeoutMs / 1000} s`);
      Atomics.wait(slot.signal, 0, seen, Math.min(left, 1000));
    }
  }
}
