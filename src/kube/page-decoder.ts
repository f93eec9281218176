import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { compactCopy } from '../util/compact.js';
import { StringTable } from '../util/strings.js';
import { DECODER_WORKER_HEAP } from '../util/worker-heap.js';
import type { BodyBuffers } from './body-buffers.js';
import { MalformedAnswerError, type PageKind } from './list-page.js';

/**
 * Parses list pages off the main thread. At 150,000 pods `JSON.parse` of the pages is most of a
 * live audit's CPU; worker threads parse each page and reduce its items to slim records
 * (slim.ts) while the main thread receives the next pages over TLS. Only the kept records come
 * back, a small fraction of the page's JSON (docs/performance.md#page-decoder-workers).
 *
 * Pages are decoded in any order; callers await them in the order they need. A page that the
 * worker cannot decode (invalid JSON, a worker that died) is reported as such, and the caller
 * reads it again on the main thread (pager.ts), so a broken worker never costs data.
 */

export interface DecodeRequest {
  seq: number;
  body: ArrayBuffer;
  length: number;
  kind: PageKind;
}

/** The answer, with the request's memory transferred back so that the next page can be read into it. */
/** `error`: the worker could not read the page (read it again here); `problem`: the page is not the list asked for. */
export type DecodeAnswer = ({ seq: number; items: unknown[] } | { seq: number; error: string } | { seq: number; problem: string }) & { body: ArrayBuffer };

export class PageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PageDecodeError';
  }
}

/** Pages smaller than this are parsed on the main thread: a round trip costs more than it saves. */
const DEFAULT_MIN_WORKER_BYTES = 256 * 1024;

export interface PageDecoderOptions {
  /** Worker threads (default: one per core, at least 2, at most 4). */
  workers?: number;
  minBytes?: number;
}

export class PageDecoder {
  readonly minBytes: number;
  /**
   * Pages one list may have waiting for, or in, the workers before it reads no further; the page
   * being read meanwhile goes to a worker as soon as it has arrived, so one more at most.
   */
  readonly window: number;
  private readonly size: number;
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (items: unknown[]) => void; reject: (err: Error) => void; worker: Worker; lender?: BodyBuffers }>();
  private seq = 0;
  private next = 0;
  private closed = false;
  private readonly strings = new StringTable();

  constructor(options: PageDecoderOptions = {}) {
    this.size = Math.max(1, options.workers ?? Math.min(4, Math.max(2, availableParallelism())));
    this.minBytes = options.minBytes ?? DEFAULT_MIN_WORKER_BYTES;
    this.window = this.size + 1;
  }

  /**
   * Parses `body` (a JSON list) in a worker; resolves to its items, slimmed for `kind`. The bytes
   * are handed over before this returns. With `lender`, the pool `body`'s memory came from
   * (body-buffers.ts), that memory is transferred as it is and given back to the pool with the
   * answer; otherwise the bytes are copied unless the Buffer has its memory to itself.
   */
  decode(body: Buffer, kind: PageKind, lender?: BodyBuffers): Promise<unknown[]> {
    if (this.closed) return Promise.reject(new PageDecodeError('the page decoder is closed'));
    const worker = this.worker();
    const seq = ++this.seq;
    const lent = lender !== undefined && body.byteOffset === 0 && body.buffer instanceof ArrayBuffer;
    const request: DecodeRequest = { seq, body: lent ? body.buffer : ownMemory(body), length: body.byteLength, kind };
    return new Promise<unknown[]>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, worker, ...(lent ? { lender } : {}) });
      worker.postMessage(request, [request.body]);
    });
  }

  /** Stops the workers; pages still being decoded are rejected. */
  close(): void {
    this.closed = true;
    for (const w of this.workers) void w.terminate();
    this.failAll(() => true, 'the page decoder was closed');
  }

  private worker(): Worker {
    if (this.workers.length < this.size) {
      const w = new Worker(new URL('./page-decoder-worker.js', import.meta.url), { resourceLimits: DECODER_WORKER_HEAP });
      w.unref();
      w.on('message', (answer: DecodeAnswer) => this.answer(answer));
      w.on('error', (err) => this.failAll((p) => p.worker === w, `a page decoder worker failed: ${err.message}`, w));
      w.on('exit', () => this.failAll((p) => p.worker === w, 'a page decoder worker stopped', w));
      this.workers.push(w);
      return w;
    }
    return this.workers[this.next++ % this.workers.length]!;
  }

  private answer(answer: DecodeAnswer): void {
    const p = this.pending.get(answer.seq);
    if (!p) return;
    this.pending.delete(answer.seq);
    p.lender?.give(answer.body);
    if ('items' in answer) p.resolve(compactCopy(answer.items, this.strings));
    else if ('problem' in answer) p.reject(new MalformedAnswerError(answer.problem));
    else p.reject(new PageDecodeError(answer.error));
  }

  private failAll(which: (p: { worker: Worker }) => boolean, why: string, dead?: Worker): void {
    if (dead) {
      const i = this.workers.indexOf(dead);
      if (i >= 0) this.workers.splice(i, 1);
    }
    for (const [seq, p] of this.pending) {
      if (!which(p)) continue;
      this.pending.delete(seq);
      p.reject(new PageDecodeError(why));
    }
  }
}

/**
 * The bytes as an ArrayBuffer of their own, to transfer rather than copy. A Buffer that shares
 * its memory (small Buffers live in a shared pool) is copied: transferring the pool would take
 * it from every other Buffer in it.
 */
function ownMemory(body: Buffer): ArrayBuffer {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer) return body.buffer;
  const copy = new ArrayBuffer(body.byteLength);
  new Uint8Array(copy).set(body);
  return copy;
}
