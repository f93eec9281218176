import { describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { BodyBuffers, BodyCollector, MIN_BUFFER_BYTES, freeChunksAfterUse, freeNow } from '../../src/kube/body-buffers.js';

/** A list page's bytes as they come off a socket: in chunks of TLS record size. */
function chunked(text: string, size = 16 * 1024): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

const page = JSON.stringify({
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '4711', continue: 'eyJ2IjoxfQ' },
  items: Array.from({ length: 400 }, (_, i) => ({
    metadata: { name: `web-${i}`, namespace: 'shop', labels: { app: 'web', 'pod-template-hash': '7d4b9c8f5d' } },
    spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1.4.2' }] },
  })),
});

describe('BodyBuffers', () => {
  it('makes buffers in powers of two, so that pages of about the same size reuse each other', () => {
    const pool = new BodyBuffers();
    const a = pool.take(2_763_124);
    expect(a.byteLength).toBe(4 * 1024 * 1024);
    expect(pool.take(10).byteLength).toBe(MIN_BUFFER_BYTES);
    pool.give(a);
    expect(pool.take(2_763_200)).toBe(a);
  });

  it('hands out the smallest spare that fits, and a new buffer when none does', () => {
    const pool = new BodyBuffers();
    const small = pool.take(100_000);
    const big = pool.take(3_000_000);
    pool.give(big);
    pool.give(small);
    expect(pool.take(50_000)).toBe(small);
    expect(pool.take(5_000_000)).not.toBe(big);
    expect(pool.size).toBe(1);
  });

  it('ignores memory transferred elsewhere, and a buffer given twice', () => {
    const pool = new BodyBuffers();
    const lent = pool.take(1000);
    structuredClone(lent, { transfer: [lent] });
    expect(lent.byteLength).toBe(0);
    pool.give(lent);
    expect(pool.size).toBe(0);
    const kept = pool.take(1000);
    pool.give(kept);
    pool.give(kept);
    expect(pool.size).toBe(1);
  });

  it('keeps at most `keep` spares, letting the smallest go, and none after clear', () => {
    const pool = new BodyBuffers(2);
    const sizes = [MIN_BUFFER_BYTES, 4 * MIN_BUFFER_BYTES, 2 * MIN_BUFFER_BYTES];
    const buffers = sizes.map((s) => new ArrayBuffer(s));
    for (const b of buffers) pool.give(b);
    expect(pool.size).toBe(2);
    expect(pool.take(3 * MIN_BUFFER_BYTES)).toBe(buffers[1]);
    expect(pool.take(MIN_BUFFER_BYTES)).toBe(buffers[2]);
    pool.give(buffers[0]!);
    pool.clear();
    expect(pool.size).toBe(0);
  });
});

describe('BodyCollector', () => {
  it('gathers chunks into the same bytes as concatenating them, growing as the body comes', () => {
    const pool = new BodyBuffers();
    const body = new BodyCollector(pool);
    const chunks = chunked(page);
    for (const c of chunks) body.add(c);
    expect(Buffer.byteLength(page)).toBeGreaterThan(MIN_BUFFER_BYTES);
    expect(body.size).toBe(Buffer.byteLength(page));
    expect(body.body().equals(Buffer.concat(chunks))).toBe(true);
    expect(JSON.parse(body.body().toString('utf8'))).toEqual(JSON.parse(page));
    // The buffers it outgrew went back to the pool on the way.
    expect(pool.size).toBeGreaterThan(0);
  });

  it('reads the next body into the memory the last one gave back', () => {
    const pool = new BodyBuffers();
    const first = new BodyCollector(pool, Buffer.byteLength(page));
    for (const c of chunked(page)) first.add(c);
    const memory = first.body().buffer;
    first.release();
    const second = new BodyCollector(pool, Buffer.byteLength(page));
    const other = page.replace(/web-/g, 'api-');
    for (const c of chunked(other, 1000)) second.add(c);
    expect(second.body().buffer).toBe(memory);
    expect(second.body().toString('utf8')).toBe(other);
  });

  it('gives an empty body for no chunks, and releases once', () => {
    const pool = new BodyBuffers();
    const body = new BodyCollector(pool);
    expect(body.body().length).toBe(0);
    body.add(Buffer.from('{}'));
    body.release();
    body.release();
    expect(pool.size).toBe(1);
  });
});

/** Chunks with memory of their own, as a TLS socket and the HTTP parser emit them. */
function ownChunks(text: string, size = 16 * 1024): Buffer[] {
  return chunked(text, size).map((c) => Buffer.from(c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength)));
}

/** A reader as the client is one: each chunk copied into pooled memory, and kept here to look at afterwards. */
function readInto(stream: NodeJS.EventEmitter): { body: BodyCollector; chunks: Buffer[] } {
  const body = new BodyCollector(new BodyBuffers());
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => {
    body.add(c);
    chunks.push(c);
  });
  return { body, chunks };
}

describe('freeNow', () => {
  it('frees memory a chunk has to itself: the chunk reads as empty afterwards', () => {
    const chunk = Buffer.from(new ArrayBuffer(16 * 1024));
    chunk.fill(7);
    expect(freeNow(chunk)).toBe(true);
    expect(chunk.byteLength).toBe(0);
    expect(chunk.buffer.byteLength).toBe(0);
  });

  it("leaves chunks that share their memory: slices, and the small Buffers of Node's pool", () => {
    const whole = Buffer.alloc(32 * 1024, 1);
    const slice = whole.subarray(16 * 1024);
    expect(freeNow(slice)).toBe(false);
    expect(slice.byteLength).toBe(16 * 1024);
    expect(whole[0]).toBe(1);
    const pooled = Buffer.from('{"kind":"PodList"}');
    expect(freeNow(pooled)).toBe(false);
    expect(pooled.toString()).toBe('{"kind":"PodList"}');
    expect(freeNow(Buffer.alloc(0))).toBe(false);
  });
});

describe('freeChunksAfterUse', () => {
  it('frees each chunk once the readers attached before it have read it', () => {
    const stream = new PassThrough();
    const { body, chunks: seen } = readInto(stream);
    freeChunksAfterUse(stream);
    const chunks = ownChunks(page);
    for (const c of chunks) stream.write(c);
    expect(seen.length).toBe(chunks.length);
    expect(seen.every((c) => c.byteLength === 0)).toBe(true);
    expect(JSON.parse(body.body().toString('utf8'))).toEqual(JSON.parse(page));
  });

  it('frees nothing while a listener added after it still has to read the chunks', () => {
    const stream = new PassThrough();
    freeChunksAfterUse(stream);
    const late: string[] = [];
    stream.on('data', (c: Buffer) => late.push(c.toString('utf8')));
    const chunks = ownChunks(page);
    for (const c of chunks) stream.write(c);
    expect(late.join('')).toBe(page);
    expect(chunks.every((c) => c.byteLength > 0)).toBe(true);
  });

  it('stops freeing once detached', () => {
    const stream = new PassThrough();
    stream.on('data', () => undefined);
    const stop = freeChunksAfterUse(stream);
    stop();
    const [chunk] = ownChunks(page);
    stream.write(chunk);
    expect(chunk!.byteLength).toBe(16 * 1024);
    expect(stream.listenerCount('data')).toBe(1);
  });

  it("lets an HTTP client read whole bodies while the socket's and the answer's chunks are freed", async () => {
    const big = JSON.stringify({
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: {},
      items: Array.from({ length: 20 }, () => (JSON.parse(page) as { items: unknown[] }).items).flat(),
    });
    const server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(big);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const { port } = server.address() as AddressInfo;
      const freed = { socket: 0, answer: 0 };
      const get = () =>
        new Promise<string>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/pods', agent }, (res) => {
            const { body, chunks: answerChunks } = readInto(res);
            freeChunksAfterUse(res);
            res.on('end', () => {
              freed.answer += answerChunks.filter((c) => c.byteLength === 0).length;
              resolve(body.body().toString('utf8'));
            });
          });
          req.on('socket', (socket) => {
            const socketChunks: Buffer[] = [];
            // Attached before freeChunksAfterUse, so it sees each chunk before it is freed.
            const watch = (c: Buffer) => socketChunks.push(c);
            socket.on('data', watch);
            const stop = freeChunksAfterUse(socket);
            req.once('close', () => {
              stop();
              socket.removeListener('data', watch);
              freed.socket += socketChunks.filter((c) => c.byteLength === 0).length;
            });
          });
          req.on('error', reject);
        });
      // Twice over one kept-alive socket: the parser's listener is attached anew for the second answer.
      expect(await get()).toBe(big);
      expect(await get()).toBe(big);
      expect(freed.socket).toBeGreaterThan(0);
      expect(freed.answer).toBeGreaterThan(0);
      // Detached with each request: a kept-alive socket gathers no listeners over many requests.
      await new Promise((resolve) => setImmediate(resolve));
      const idle = Object.values(agent.freeSockets).flat();
      expect(idle).toHaveLength(1);
      expect(idle[0]!.listenerCount('data')).toBe(0);
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
