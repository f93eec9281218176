import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setsHeapGrowth } from '../../src/util/heap.js';

describe('setsHeapGrowth: the user gave Node its heap growth themselves', () => {
  it("in Node's arguments, spelt with dashes or underscores, with = or as the next argument", () => {
    expect(setsHeapGrowth(['--heap-growing-percent=300'])).toBe(true);
    expect(setsHeapGrowth(['--max-old-space-size=4096', '--heap_growing_percent=20'])).toBe(true);
    expect(setsHeapGrowth(['--heap-growing-percent', '50'])).toBe(true);
  });

  it('not when only other flags are given', () => {
    expect(setsHeapGrowth([])).toBe(false);
    expect(setsHeapGrowth(['--max-old-space-size=1024', '--expose-gc', '--enable-source-maps'])).toBe(false);
    expect(setsHeapGrowth(['--heap-growing-percentage=5'])).toBe(false);
  });
});

interface Run {
  /** What collectReadingGarbage returned. */
  settled: { before: number; after: number; growth: number | string };
  /** Heap in use right after it, measured by one more full collection. */
  liveAfterSettling: number;
  /** Highest heap in use while the "checks" ran, and what was live at their end. */
  peak: number;
  liveAtEnd: number;
  /** typeof gc in this context and in a new one, right after collectReadingGarbage. */
  gcVisibleAfter: string;
}

/**
 * A fresh Node process (no --expose-gc unless `nodeArgs` give it) that reads like an audit: pages
 * parsed, a quarter of each kept, the rest dropped after a few pages (so it reaches the old
 * generation); then collectReadingGarbage; then "checks" that keep a little and drop a lot.
 * Live sizes are measured with the module's own collectGarbageNow, after what is under test.
 */
function simulateAudit(nodeArgs: string[] = []): Run {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-heap-'));
  const heapModule = new URL('../../src/util/heap.js', import.meta.url).href;
  writeFileSync(
    path.join(dir, 'audit.mjs'),
    `import vm from 'node:vm';
const { collectGarbageNow, collectReadingGarbage } = await import(${JSON.stringify(heapModule)});
const used = () => process.memoryUsage().heapUsed;
const measureLive = () => { collectGarbageNow(); return used(); };
const page = (n, tag) => { const a = new Array(n); for (let i = 0; i < n; i++) a[i] = { tag, i, name: 'pod-' + tag + '-' + i, spec: { node: 'n' + (i % 50) } }; return a; };
const kept = [];
let recent = [];
for (let p = 0; p < 80; p++) { const items = page(10000, p); recent.push(items); if (recent.length > 6) recent.shift(); kept.push(items.filter((_, i) => i % 4 === 0)); }
recent = [];
const out = { settled: collectReadingGarbage(process.execArgv) };
out.gcVisibleAfter = typeof globalThis.gc + '/' + vm.runInNewContext('typeof gc');
out.liveAfterSettling = measureLive();
let peak = 0;
for (let s = 0; s < 240; s++) { const tmp = page(10000, 'c' + s); recent.push(tmp); if (recent.length > 8) recent.shift(); if (s % 12 === 0) kept.push(tmp.filter((_, i) => i % 5 === 0)); peak = Math.max(peak, used()); }
recent = [];
out.peak = peak;
out.liveAtEnd = measureLive();
console.log(JSON.stringify(out));
console.log(kept.length);
`,
  );
  try {
    const run = spawnSync(process.execPath, [...nodeArgs, path.join(dir, 'audit.mjs')], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    if (run.status !== 0) throw new Error(`simulated audit failed: ${run.stderr}`);
    return JSON.parse(run.stdout.split('\n')[0]!) as Run;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MiB = 2 ** 20;

describe('collectReadingGarbage (in a fresh process, as the CLI runs it)', () => {
  it('collects the garbage reading left, in one full collection, and hides gc again', () => {
    const run = simulateAudit();
    const settled = run.settled;
    expect(settled.growth).toBe(2);
    // The six pages still held just before were freed, and nothing collectable was left.
    expect(settled.before - settled.after).toBeGreaterThan(5 * MiB);
    expect(Math.abs(settled.after - run.liveAfterSettling)).toBeLessThan(2 * MiB);
    // gc was exposed only long enough to take it: neither this context nor a new one has it.
    expect(run.gcVisibleAfter).toBe('undefined/undefined');
  });

  it('then lets the heap grow less than V8 would on its own after the same collection', () => {
    const capped = simulateAudit();
    // --heap-growing-percent=0 is V8's own growth, set by the "user": the same collection, no cap.
    const own = simulateAudit(['--heap-growing-percent=0']);
    expect(own.settled.growth).toBe('chosen by the user');
    expect(Math.abs(own.liveAtEnd - capped.liveAtEnd)).toBeLessThan(4 * MiB);
    // V8's own growth depends on the machine's memory: up to 4x once its heap limit is 2 GiB,
    // which it is with 8 GiB of RAM or more (measured here: 215 MB against 136 MB).
    if (os.totalmem() >= 8 * 2 ** 30) expect(capped.peak).toBeLessThan(0.8 * own.peak);
    expect(capped.peak).toBeLessThan(4 * capped.liveAtEnd);
  });

  it('leaves the growth to the user who set --heap-growing-percent, and uses their exposed gc', () => {
    const run = simulateAudit(['--heap-growing-percent=300', '--expose-gc']);
    expect(run.settled.growth).toBe('chosen by the user');
    expect(Math.abs(run.settled.after - run.liveAfterSettling)).toBeLessThan(2 * MiB);
    expect(run.gcVisibleAfter).toBe('function/function');
  });
});
