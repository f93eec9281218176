import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { jsonChunks } from '../../src/cli/json-chunks.js';
import { writeChunksAtomic } from '../../src/cli/io.js';

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
      { apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'a', labels: { x: 'y\n"z"' } }, spec: { containers: [] } }, { metadata: { name: 'b' }, skip: undefined }] },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicyList', items: [] },
    ]);
    const chunks = [...jsonChunks(list)];
    expect(chunks.join('')).toBe(JSON.stringify(list, null, 2));
    expect(chunks.length).toBeGreaterThan(10);
  });

  it('writes a file whole from chunks, with no temp file left', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kposture-chunks-'));
    const file = path.join(dir, 'snap.json');
    const items = Array.from({ length: 3000 }, (_, i) => ({ metadata: { name: `pod-${i}`, namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'x'.repeat(500) }] } }));
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
