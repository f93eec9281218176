import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * The heap growth an audit allows once its inventory is read: after each full collection V8 may
 * grow the old generation to this many times what stayed live before it collects again.
 */
export const HEAP_GROWTH_AFTER_READING = 2;

/** What `collectReadingGarbage` did, for the `--debug` phase log. */
export interface HeapSettling {
  /** Heap in use before and after the full collection, in bytes. */
  before: number;
  after: number;
  /** The growth factor it set, or why it left V8's own. */
  growth: number | 'chosen by the user';
}

/**
 * Collects the garbage reading left and caps how far the heap may grow from then on. Call it
 * once, between reading the inventory and running the checks, and only in a process the CLI
 * owns: the V8 settings it changes are process-wide.
 *
 * Why: V8 sizes its next full collection at up to 4× the live heap when the machine has a lot
 * of memory (its heap limit is then ≥ 2 GiB). In a large audit the last full collection came
 * during reading, so the checks and the report grew the heap with much of it garbage, and the
 * peak RSS moved with where that collection fell. Collecting once the pages are dead and
 * allowing 2× from there bounds the heap by about twice what the checks keep, whatever the
 * timing (docs/performance.md#the-heap-settling-step).
 *
 * The growth is left alone when the user gave Node `--heap-growing-percent` themselves
 * (`node --heap-growing-percent=N $(command -v kposture) audit …`; Node refuses V8 flags of this
 * kind in NODE_OPTIONS, so the command line is the only place it can come from).
 */
export function collectReadingGarbage(execArgv: readonly string[] = process.execArgv): HeapSettling {
  const before = process.memoryUsage().heapUsed;
  const userChose = setsHeapGrowth(execArgv);
  if (!userChose) v8.setFlagsFromString(`--heap-growing-percent=${Math.round((HEAP_GROWTH_AFTER_READING - 1) * 100)}`);
  // The limit V8 computed at its last collection stands until the next one: collect now, so the
  // new growth applies from what is live after reading, not from a limit set during it.
  collectGarbageNow();
  return { before, after: process.memoryUsage().heapUsed, growth: userChose ? 'chosen by the user' : HEAP_GROWTH_AFTER_READING };
}

/** Do Node's own arguments set V8's heap growth (spelt with dashes or underscores)? */
export function setsHeapGrowth(execArgv: readonly string[]): boolean {
  return execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg));
}

/**
 * A full, synchronous garbage collection. Node exposes `gc` only with `--expose-gc`; V8 adds it
 * to contexts created while that flag is on, so one is made and the flag is turned off again at
 * once: no later context (plugins, workers) gets a `gc` function. With `--expose-gc` given, the
 * user's `gc` is used and the flag left as it is.
 */
export function collectGarbageNow(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') {
    exposed();
    return;
  }
  v8.setFlagsFromString('--expose-gc');
  let gc: unknown;
  try {
    gc = vm.runInNewContext('gc');
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  if (typeof gc === 'function') (gc as () => void)();
}
