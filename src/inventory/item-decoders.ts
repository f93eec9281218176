/**
 * Parses the items of a large JSON snapshot in worker threads, which read the bytes from the
 * file themselves.
 *
 * `JSON.parse` of the items is most of a snapshot audit's time. The main thread still reads the
 * whole file to find where each item ends (json-items.ts), but for the items of typed lists, and
 * those of a `List` that say their own kind (kubectl's output), it sends only their byte ranges,
 * in batches, to the workers. Each worker reads those bytes from the file, parses every item on
 * its own (so its objects die young), checks its metadata and reduces it to its slim record, as
 * the main thread would, and sends back the records. While every worker has its fill, the main
 * thread decodes the next batch itself with the same code (item-batch.ts) rather than wait.
 * Batches are delivered in order, synchronously (the loader is synchronous): for a worker's, the
 * main thread blocks on a shared counter each worker bumps after it posts, then takes the answer
 * off the port.
 *
 * Anything a worker cannot take as it is (a range that does not parse, because the file is
 * invalid or its indentation misled the reader; metadata that breaks the loader's rules; a
 * worker that does not answer) fails the whole parallel read with ParallelReadFailed, and the
 * loader reads every file again on the main thread, which then reports the problem exactly as it
 * always has. So the workers make the common case fast and never change an outcome.
 */
import { closeSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { compactCopy } from '../util/compact.js';
import { StringTable } from '../util/strings.js';
import { DECODER_WORKER_HEAP } from '../util/worker-heap.js';
import { BatchReader, decodeBatch, type DecodedItems, type ItemAnswer, type ItemBatch } from './item-batch.js';

export type { DecodedItems } from './item-batch.js';
import type { Projection } from '../k8s/slim.js';

export interface ItemWorkerData {
  file: string;
  port: MessagePort;
  /** Bumped (and notified) by the worker after each answer it posts. */
  signal: Int32Array;
}

export interface ItemDecoderStats {
  /** Batches of items read. */
  batches: number;
  /** Of them, decoded on the main thread because every worker had its fill. */
  decodedHere: number;
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
  /**
   * The main thread's own projection: with it, a batch that would wait because every worker has
   * its fill is decoded on the main thread instead, into records made where they are kept.
   */
  local?: Projection;
  /** Bytes of items per batch (default 1 MiB). */
  batchBytes?: number;
  /** Longest wait for one answer before giving up on the workers (default 60 s). */
  answerTimeoutMs?: number;
}

/**
 * Workers: one per core but the main thread's, at most four. The main thread decodes batches
 * itself whenever the workers have their fill (ItemDecodersOptions.local), so it is a decoder too,
 * and more workers would compete with it for the cores
 * (docs/performance.md#item-decoders-large-files-on-every-core).
 */
export function defaultItemWorkers(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
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

/** A batch not yet delivered: with a worker (`slot`), or decoded on the main thread already (`answer`). */
interface Pending {
  seq: number;
  deliver: Deliver;
  indexes: number[];
  slot?: Slot;
  answer?: ItemAnswer;
}

export class ItemDecoders {
  private readonly slots: Slot[] = [];
  private readonly pending: Pending[] = [];
  /** Batches sent to workers and not yet answered. */
  private withWorkers = 0;
  private local: { project: Projection; reader: BatchReader; fd: number } | undefined;
  /** Interns the strings of workers' records: the main thread's projection's table, when given. */
  private readonly strings: StringTable;
  private readonly batchBytes: number;
  private readonly timeoutMs: number;
  private open: OpenBatch | undefined;
  private seq = 0;
  private next = 0;
  private here = 0;

  constructor(file: string, options: ItemDecodersOptions) {
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.timeoutMs = options.answerTimeoutMs ?? 60_000;
    for (let i = 0; i < Math.max(1, options.workers); i++) {
      const { port1, port2 } = new MessageChannel();
      const signal = new Int32Array(new SharedArrayBuffer(4));
      const workerData: ItemWorkerData = { file, port: port2, signal };
      const worker = new Worker(new URL('./item-decoder-worker.js', import.meta.url), {
        workerData,
        transferList: [port2],
        resourceLimits: DECODER_WORKER_HEAP,
      });
      worker.unref();
      // A worker that fails is noticed as an answer that never comes (the main thread is blocked
      // meanwhile, so events would come too late anyway); this only keeps the error unthrown.
      worker.on('error', () => undefined);
      this.slots.push({ worker, port: port1, signal });
    }
    this.strings = options.local?.strings ?? new StringTable();
    if (options.local) {
      const fd = openSync(file, 'r');
      this.local = { project: options.local, reader: new BatchReader(fd), fd };
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

  get stats(): ItemDecoderStats {
    return { batches: this.seq, decodedHere: this.here };
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
    this.withWorkers = 0;
    if (this.local) closeSync(this.local.fd);
    this.local = undefined;
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
    const batch: ItemBatch = {
      seq: ++this.seq,
      kind: open.kind,
      group: open.group,
      starts: Float64Array.from(open.starts),
      ends: Float64Array.from(open.ends),
    };
    const capacity = this.slots.length * BATCHES_PER_WORKER;
    this.deliverReady();
    if (this.local && this.withWorkers >= capacity) {
      // Every worker has its fill: decoding here costs less than waiting, and sends nothing across.
      this.here++;
      this.pending.push({ seq: batch.seq, deliver: open.deliver, indexes: open.indexes, answer: decodeBatch(batch, this.local.reader, this.local.project) });
    } else {
      const slot = this.slots[this.next++ % this.slots.length]!;
      slot.port.postMessage(batch);
      this.withWorkers++;
      this.pending.push({ seq: batch.seq, slot, deliver: open.deliver, indexes: open.indexes });
    }
    // Decoded batches wait for older ones in workers: at most as many as the workers hold.
    while (this.pending.length > 2 * capacity) this.settleOldest();
  }

  /** Delivers the oldest batches as long as their answers are there without waiting. */
  private deliverReady(): void {
    while (this.pending.length > 0 && this.answerOf(this.pending[0]!, false)) this.settle(this.pending.shift()!);
  }

  private settleOldest(): void {
    const oldest = this.pending.shift()!;
    this.answerOf(oldest, true);
    this.settle(oldest);
  }

  /** The answer of a batch: decoded here already, or its worker's, waited for when `wait`. */
  private answerOf(batch: Pending, wait: boolean): ItemAnswer | undefined {
    if (!batch.answer) {
      const answer = wait ? this.receive(batch.slot!) : (receiveMessageOnPort(batch.slot!.port)?.message as ItemAnswer | undefined);
      if (!answer) return undefined;
      batch.answer = answer;
      this.withWorkers--;
    }
    return batch.answer;
  }

  private settle({ seq, deliver, indexes, slot, answer }: Pending): void {
    if (!answer || answer.seq !== seq) throw new ParallelReadFailed(`a worker answered batch ${answer?.seq} when ${seq} was due`);
    if ('failed' in answer) throw new ParallelReadFailed(answer.failed);
    // Records from a worker arrive as a structured clone and are copied compactly; the main thread's own are made as they are kept.
    const records = slot ? compactCopy(answer.records, this.strings) : answer.records;
    deliver({ records, ...(answer.kinds ? { kinds: answer.kinds } : {}) }, indexes);
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
