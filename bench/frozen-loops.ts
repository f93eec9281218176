/**
 * Why the loops that run per pod are indexed (bench/HISTORY.md, "Fixed on the way"):
 * the time and the bytes allocated of five passes over 150,000 objects, each holding a 3-element
 * array, plain or frozen (the slim projection and the container view freeze what they share),
 * walked with `for…of`, with an index, and with `Array.prototype.some`.
 *
 *   npm run build && node dist/bench/frozen-loops.js
 *
 * Allocation is V8's sampling heap profiler's count (every 1 KiB), collected objects included.
 */
import { Session } from 'node:inspector/promises';

interface Item {
  readonly values: readonly number[];
}

const OBJECTS = 150_000;
const PASSES = 5;

function items(frozen: boolean): Item[] {
  return Array.from({ length: OBJECTS }, (_, i) => {
    const values = [i % 7, 1, 2];
    return { values: frozen ? Object.freeze(values) : values };
  });
}

const walks: Record<string, (list: readonly Item[]) => number> = {
  'for…of': (list) => {
    let sum = 0;
    for (const item of list) for (const v of item.values) sum += v;
    return sum;
  },
  index: (list) => {
    let sum = 0;
    for (let i = 0; i < list.length; i++) {
      const values = list[i]!.values;
      for (let j = 0; j < values.length; j++) sum += values[j]!;
    }
    return sum;
  },
  'some()': (list) => {
    let hits = 0;
    for (let i = 0; i < list.length; i++) if (list[i]!.values.some((v) => v < 0)) hits++;
    return hits;
  },
};

interface SamplingNode {
  selfSize: number;
  children: SamplingNode[];
}

function allocated(node: SamplingNode): number {
  return node.children.reduce((sum, child) => sum + allocated(child), node.selfSize);
}

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
console.log(`${PASSES} passes over ${OBJECTS.toLocaleString('en')} objects with 3-element arrays (Node ${process.version})`);
for (const [name, walk] of Object.entries(walks)) {
  for (const frozen of [false, true]) {
    const list = items(frozen);
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    const started = performance.now();
    let result = 0;
    for (let pass = 0; pass < PASSES; pass++) result += walk(list);
    const ms = performance.now() - started;
    const { profile } = await session.post('HeapProfiler.stopSampling');
    const mb = allocated(profile.head) / 1e6;
    console.log(`${name.padEnd(7)} ${frozen ? 'frozen' : 'plain '} ${ms.toFixed(1).padStart(7)} ms ${mb.toFixed(1).padStart(7)} MB allocated (${result})`);
  }
}
session.disconnect();
