/**
 * Where the heap goes in a snapshot audit: the heap in use after full collections once the
 * inventory is read, then check by check what each one promoted to the old generation and what
 * stayed live (its caches and its result). The figures behind "Memory" in docs/performance.md.
 *
 *   npm run bench -- --sizes XL --no-kubectl --keep
 *   node --expose-gc dist/bench/memory.js /tmp/kposture-bench-*\/XL/cluster.json
 *
 * "promoted" is old-generation growth while the check ran (live data and garbage that survived
 * two scavenges); "live" is what a full collection leaves of it. Built-in checks, default
 * options, the slim projection: as `kposture audit --snapshot FILE` runs them.
 */
import v8 from 'node:v8';
import { BUILTIN_CHECKS } from '../checks/index.js';
import { loadBuiltinCatalogs } from '../src/catalog/load.js';
import { DEFAULT_SYSTEM_NAMESPACES } from '../src/config/config.js';
import { runChecks, type CheckResult } from '../src/engine/run.js';
import { slimProjection } from '../src/k8s/slim.js';
import { loadSnapshot } from '../src/inventory/snapshot.js';

const MiB = 2 ** 20;

function liveHeap(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / MiB;
}

function oldGeneration(): number {
  let used = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name === 'old_space' || space.space_name === 'large_object_space') used += space.space_used_size;
  }
  return used / MiB;
}

function main(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const file = process.argv[2];
  if (!gc || !file) throw new Error('usage: node --expose-gc dist/bench/memory.js SNAPSHOT_FILE');
  const start = liveHeap(gc);
  const inventory = loadSnapshot([file], process.cwd(), { project: slimProjection() });
  let live = liveHeap(gc);
  console.log(`start-up       heap ${start.toFixed(1).padStart(6)} MiB`);
  console.log(`inventory      heap ${live.toFixed(1).padStart(6)} MiB`);
  const catalogs = loadBuiltinCatalogs();
  const systemNamespaces = new Set<string>(DEFAULT_SYSTEM_NAMESPACES);
  const sorted = [...BUILTIN_CHECKS].sort((a, b) => a.meta.id.localeCompare(b.meta.id, 'en'));
  // One run, as the audit does it (what checks share lives in the run's memo), measured between checks.
  let before = oldGeneration();
  const results: CheckResult[] = runChecks({
    inventory,
    checks: sorted,
    catalogs,
    systemNamespaces,
    onTimed: (id) => {
      const promoted = oldGeneration() - before;
      const after = liveHeap(gc);
      console.log(`${id.padEnd(14)} promoted ${promoted.toFixed(1).padStart(6)} MiB, live +${(after - live).toFixed(1).padStart(5)} MiB`);
      live = after;
      before = oldGeneration();
    },
  });
  console.log(`after checks   heap ${live.toFixed(1).padStart(6)} MiB (inventory, caches, ${results.length} results)`);
}

main();
