/**
 * Memory for answer bodies, used again from one page to the next.
 *
 * Gathering a body as the socket's chunks and concatenating them at the end costs a Buffer per
 * chunk and a copy of the whole page. That memory is malloc'ed outside the V8 heap and freed only
 * when the main thread's garbage collector next finds the Buffer objects dead. In a live audit the
 * main thread mostly waits on the network and the page decoder workers, so it collects rarely: dead
 * chunks pile up, and glibc keeps the space they leave
 * (docs/performance.md#page-memory-and-network-chunks). Here each chunk is copied into pooled
 * memory as it arrives and then dropped, the pooled buffer goes to a page decoder worker and comes
 * back with the page's records (page-decoder.ts), and the next page is read into it.
 */

import type { EventEmitter } from 'node:events';
import { MessageChannel } from 'node:worker_threads';

/** Buffers kept for the next bodies: the pages one list has in flight, for a few lists at once. */
const DEFAULT_SPARE_BUFFERS = 8;

/** The smallest buffer made: discovery documents and short lists fit without growing. */
export const MIN_BUFFER_BYTES = 64 * 1024;

export class BodyBuffers {
  private readonly spare: ArrayBuffer[] = [];

  constructor(readonly keep: number = DEFAULT_SPARE_BUFFERS) {}

  /** The smallest spare buffer of at least `bytes`, or a new one. */
  take(bytes: number): ArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.spare.length; i++) {
      const size = this.spare[i]!.byteLength;
      if (size >= bytes && (best < 0 || size < this.spare[best]!.byteLength)) best = i;
    }
    if (best >= 0) return this.spare.splice(best, 1)[0]!;
    // Sizes are powers of two, so that pages of about the same size fit each other's buffers.
    let size = MIN_BUFFER_BYTES;
    while (size < bytes) size *= 2;
    return new ArrayBuffer(size);
  }

  /**
   * Keeps `buffer` for a later body. A buffer that was transferred to a worker (detached, 0 bytes)
   * is not ours any more and is ignored. With `keep` spares already, the smallest is let go.
   */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0 || this.spare.includes(buffer)) return;
    this.spare.push(buffer);
    if (this.spare.length > this.keep) {
      let smallest = 0;
      for (let i = 1; i < this.spare.length; i++) if (this.spare[i]!.byteLength < this.spare[smallest]!.byteLength) smallest = i;
      this.spare.splice(smallest, 1);
    }
  }

  /** Lets every spare buffer go (at the end of a live read). */
  clear(): void {
    this.spare.length = 0;
  }

  /** Spare buffers now kept. */
  get size(): number {
    return this.spare.length;
  }
}

/** One body as it arrives, copied chunk by chunk into pooled memory that doubles as needed. */
export class BodyCollector {
  private memory: ArrayBuffer | undefined;
  private length = 0;

  /** `expected`: the Content-Length, when the server sent one, to take a big enough buffer at once. */
  constructor(
    private readonly buffers: BodyBuffers,
    expected?: number,
  ) {
    if (expected !== undefined && expected > 0) this.memory = buffers.take(expected);
  }

  get size(): number {
    return this.length;
  }

  add(chunk: Uint8Array): void {
    const needed = this.length + chunk.byteLength;
    if (!this.memory || needed > this.memory.byteLength) this.grow(needed);
    new Uint8Array(this.memory!, this.length, chunk.byteLength).set(chunk);
    this.length = needed;
  }

  /**
   * The body so far, over the pooled memory: valid until release(). A caller that keeps the bytes
   * beyond that transfers the memory (postMessage) or copies them.
   */
  body(): Buffer {
    return this.memory ? Buffer.from(this.memory, 0, this.length) : Buffer.alloc(0);
  }

  /** Gives the memory back to the pool (a no-op for memory transferred meanwhile). */
  release(): void {
    if (this.memory) this.buffers.give(this.memory);
    this.memory = undefined;
    this.length = 0;
  }

  private grow(needed: number): void {
    const next = this.buffers.take(Math.max(needed, (this.memory?.byteLength ?? 0) * 2));
    if (this.memory) {
      new Uint8Array(next).set(new Uint8Array(this.memory, 0, this.length));
      this.buffers.give(this.memory);
    }
    this.memory = next;
  }
}

/**
 * Frees, as it goes by, the memory of each chunk `stream` emits, once every other 'data' listener
 * has had it. Attach it after the listeners that read the chunks; it returns what detaches it.
 *
 * Every chunk of an HTTPS answer is malloc'ed twice on the main thread: once for the decrypted TLS
 * record (`socket` 'data', ~16 KiB), once for the body bytes the HTTP parser copies out of it
 * (`res` 'data'). Both die as soon as they are read, but their memory is freed only when the
 * garbage collector next finds the Buffer objects dead, and the main thread of a live audit, which
 * mostly waits, collects rarely: heaptrack found them at the malloc peak of a large read, and glibc
 * kept the space (docs/performance.md#page-memory-and-network-chunks).
 *
 * A chunk is freed only when this listener is the stream's last: then every reader has returned
 * from it, and no listener added later sees this chunk. Otherwise (a listener added after this
 * one) the chunk is left to the garbage collector, as before.
 */
export function freeChunksAfterUse(stream: EventEmitter): () => void {
  const listener = (chunk: unknown): void => {
    const listeners = stream.rawListeners('data');
    if (listeners[listeners.length - 1] === listener && chunk instanceof Uint8Array) freeNow(chunk);
  };
  stream.on('data', listener);
  return () => {
    stream.removeListener('data', listener);
  };
}

/**
 * Frees a chunk's memory now, when the chunk is the only view of it: its ArrayBuffer is
 * transferred into a message to a closed port, which drops the message and the memory with it.
 * The chunk and every other view of that ArrayBuffer read as empty afterwards. A chunk that shares
 * its memory (a slice, Node's pool for small Buffers) is left as it is.
 */
export function freeNow(chunk: Uint8Array): boolean {
  const memory = chunk.buffer;
  if (!(memory instanceof ArrayBuffer) || chunk.byteOffset !== 0 || chunk.byteLength !== memory.byteLength || memory.byteLength === 0) return false;
  try {
    dropPort().postMessage(null, [memory]);
  } catch {
    // Memory marked untransferable (Node's own pools): the garbage collector frees it, as before.
    return false;
  }
  return memory.byteLength === 0;
}

let dropped: MessageChannel['port1'] | undefined;

/** A port whose other end is closed: what is posted to it is discarded. */
function dropPort(): MessageChannel['port1'] {
  if (!dropped) {
    const { port1, port2 } = new MessageChannel();
    port2.close();
    port1.unref();
    dropped = port1;
  }
  return dropped;
}
