/**
 * `task`, called at most once at a time: a call made while another runs waits for it (and for the
 * calls before it), whether that one succeeds or fails.
 */
export function oneAtATime<A extends unknown[], R>(task: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let last: Promise<unknown> = Promise.resolve();
  return (...args) => {
    const run = last.then(() => task(...args));
    last = run.catch(() => undefined);
    return run;
  };
}

/** Runs at most `n` of the given tasks at once; resolves in the order the tasks were given. */
export async function mapBounded<T, R>(items: readonly T[], n: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return results;
}
