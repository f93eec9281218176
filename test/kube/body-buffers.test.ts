import { describe, expect, it } from '@jest/globals';
import { BodyBuffers, BodyCollector, MIN_BUFFER_BYTES } from '../../src/kube/body-buffers.js';

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
  items: Array.from({ length: 400 }, (_, i) => ({ metadata: { name: `web-${i}`, namespace: 'shop', labels: { app: 'web', 'pod-template-hash': '7d4b9c8f5d' } }, spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1.4.2' }] } })),
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
