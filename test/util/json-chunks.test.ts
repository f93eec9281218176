import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { jsonChunks } from '../../src/util/json-chunks.js';
import { writeChunksAtomic, writeFilesAtomic, writeStdout } from '../../src/cli/io.js';

const snapshotLike = (lists: unknown[]): unknown => ({
  apiVersion: 'v1',
  kind: 'List',
  metadata: { annotations: { 'kposture.dev/server-version': 'v1.31.2' } },
  items: lists,
});

describe('jsonChunks', () => {
  it('gives exactly the bytes of JSON.stringify(value, null, 2) for arbitrary JSON at every depth', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 6 }), (value, levels) => {
        expect([...jsonChunks(value, levels)].join('')).toBe(JSON.stringify(value, null, 2));
      }),
      { numRuns: 300 },
    );
  });

  it('lays out a List of typed lists item by item, equal to JSON.stringify', () => {
    const list = snapshotLike([
      {
        apiVersion: 'v1',
        kind: 'PodList',
        items: [
          { metadata: { name: 'a', labels: { x: 'y\n"z"' } }, spec: { containers: [] } },
          { metadata: { name: 'b' }, skip: undefined },
        ],
      },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicyList', items: [] },
    ]);
    const chunks = [...jsonChunks(list)];
    expect(chunks.join('')).toBe(JSON.stringify(list, null, 2));
    expect(chunks.length).toBeGreaterThan(10);
  });

  it('writes a file whole from chunks, with no temp file left', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kposture-chunks-'));
    const file = path.join(dir, 'snap.json');
    const items = Array.from({ length: 3000 }, (_, i) => ({
      metadata: { name: `pod-${i}`, namespace: 'ns' },
      spec: { containers: [{ name: 'c', image: 'x'.repeat(500) }] },
    }));
    const list = snapshotLike([{ apiVersion: 'v1', kind: 'PodList', items }]);
    writeChunksAtomic(file, jsonChunks(list, 4, '', '\n'));
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(list, null, 2)}\n`);
    expect(readdirSync(dir)).toEqual(['snap.json']);
  });

  it('refuses to write into a folder that is a file, leaving nothing behind', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kposture-chunks-'));
    const blocker = path.join(dir, 'file');
    writeChunksAtomic(blocker, ['x']);
    expect(() => writeChunksAtomic(path.join(blocker, 'snap.json'), ['{}'])).toThrow(/cannot write/);
    expect(readdirSync(dir)).toEqual(['file']);
  });
});

describe('writeFilesAtomic with chunked content', () => {
  it('writes a string file and a chunked file together, both whole', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kposture-chunks-'));
    const pieces = Array.from({ length: 5000 }, (_, i) => `{"n":${i},"pad":"${'é'.repeat(300)}"}\n`);
    writeFilesAtomic([
      { file: path.join(dir, 'a.txt'), content: 'table\n' },
      { file: path.join(dir, 'b.json'), content: pieces },
    ]);
    expect(readFileSync(path.join(dir, 'a.txt'), 'utf8')).toBe('table\n');
    expect(readFileSync(path.join(dir, 'b.json'), 'utf8')).toBe(pieces.join(''));
    expect(readdirSync(dir).sort()).toEqual(['a.txt', 'b.json']);
  });

  it('passes on an error raised while rendering, leaving no file and no temp file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kposture-chunks-'));
    function* failing(): Generator<string> {
      yield 'x'.repeat(2 << 20); // past one write, so a temp file exists when it fails
      throw new RangeError('renderer broke');
    }
    expect(() =>
      writeFilesAtomic([
        { file: path.join(dir, 'first.txt'), content: 'ok' },
        { file: path.join(dir, 'report.json'), content: failing() },
      ]),
    ).toThrow(RangeError);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('writeStdout', () => {
  it('prints the pieces in order, in writes of ~32 Ki characters (small enough to die young in V8)', () => {
    const writes: string[] = [];
    const pieces = Array.from({ length: 30000 }, (_, i) => `line ${i}\n`);
    writeStdout({ stdout: (t) => writes.push(t), stderr: () => undefined, stdoutIsTTY: false, stderrIsTTY: false, env: {}, cwd: '/' }, pieces);
    expect(writes.join('')).toBe(pieces.join(''));
    expect(writes.length).toBe(Math.ceil(pieces.join('').length / (32 * 1024)));
    for (const w of writes.slice(0, -1)) {
      expect(w.length).toBeGreaterThanOrEqual(32 * 1024);
      expect(w.length).toBeLessThan(32 * 1024 + 12);
    }
  });
});
