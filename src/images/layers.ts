/**
 * One layer blob read as a tar stream: gzip (zlib), zstd (fzstd: Node 20's zlib has none) or
 * plain, told apart by their magic bytes rather than by the media type a registry claims.
 * Entries that cannot be evidence are skipped unread; the stream is consumed to its end so that
 * the blob's digest is checked before anything read from it counts.
 */
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { extract } from 'tar-stream';
import { isInteresting, normalise, wantsContent, type Entry } from './filesystem.js';

export interface LayerChanges {
  whiteouts: string[];
  opaque: string[];
  entries: [string, Entry][];
}

export async function readLayer(blob: Readable): Promise<LayerChanges> {
  const changes: LayerChanges = { whiteouts: [], opaque: [], entries: [] };
  const tar = extract();
  tar.on('entry', (header, stream, next) => {
    const path = normalise(header.name);
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    const base = path.slice(slash + 1);
    const done = (): void => next();
    if (base === '.wh..wh..opq') changes.opaque.push(dir);
    else if (base.startsWith('.wh.')) changes.whiteouts.push(dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}`);
    else if (header.type === 'symlink') changes.entries.push([path, { type: 'symlink', target: header.linkname }]);
    else if ((header.type === 'file' || header.type === 'link' || header.type === 'contiguous-file') && isInteresting(path)) {
      if (wantsContent(path, header.size)) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          changes.entries.push([path, { type: 'file', content: Buffer.concat(chunks) }]);
          next();
        });
        return;
      }
      changes.entries.push([path, { type: 'file' }]);
    }
    stream.on('end', done);
    stream.resume();
  });
  await pipeline(blob, decompressing(), tar);
  return changes;
}

/** Gunzip, zstd-decode or pass through, by the first bytes of the stream. */
function decompressing(): Transform {
  let inner: { write(chunk: Buffer): void; end(): Promise<void> } | undefined;
  let head = Buffer.alloc(0);
  let total = 0;
  const emit = (data: Buffer): void => {
    total += data.length;
    out.push(data);
  };
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!inner) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 4) {
          done();
          return;
        }
        inner = pick(head, emit);
        chunk = head;
      }
      try {
        inner.write(chunk);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      if (!inner) inner = pick(head, emit);
      if (head.length > 0 && head.length < 4) inner.write(head);
      inner.end().then(
        () => {
          // Padding and two zero blocks close the archive whether or not its writer did: umoci
          // ends a layer right after the last entry's data, and runtimes accept that. The blob's
          // digest is checked on its own, so this cannot hide a truncated download.
          out.push(Buffer.alloc(((512 - (total % 512)) % 512) + 1024));
          done();
        },
        (err: unknown) => {
          done(err as Error);
        },
      );
    },
  });
  return out;
}

function pick(head: Buffer, push: (data: Buffer) => void): { write(chunk: Buffer): void; end(): Promise<void> } {
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    gunzip.on('data', (d: Buffer) => push(d));
    const ended = new Promise<void>((resolve, reject) => {
      gunzip.on('end', resolve);
      gunzip.on('error', reject);
    });
    let failed: Error | undefined;
    gunzip.on('error', (err) => (failed = err));
    return {
      write: (chunk) => {
        if (failed) throw failed;
        gunzip.write(chunk);
      },
      end: () => {
        gunzip.end();
        return ended;
      },
    };
  }
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) {
    const zstd = new Decompress((data) => push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
    return {
      write: (chunk) => {
        zstd.push(chunk);
      },
      end: () => {
        zstd.push(new Uint8Array(0), true);
        return Promise.resolve();
      },
    };
  }
  return { write: (chunk) => push(chunk), end: () => Promise.resolve() };
}
