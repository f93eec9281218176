import { describe, expect, test } from '@jest/globals';
import { mapBounded, oneAtATime } from '../../src/kube/limit.js';

describe('oneAtATime', () => {
  test('calls made together run one after the other, in order, and a failure does not stop the next', async () => {
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const task = oneAtATime(async (name: string): Promise<string> => {
      running++;
      most = Math.max(most, running);
      order.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 5));
      order.push(`end ${name}`);
      running--;
      if (name === 'b') throw new Error('b failed');
      return name.toUpperCase();
    });
    const results = await Promise.allSettled([task('a'), task('b'), task('c')]);
    expect(most).toBe(1);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['A', 'b failed', 'C']);
  });

  test('under mapBounded, the tasks around it still run in parallel', async () => {
    let running = 0;
    let most = 0;
    const once = oneAtATime(() => new Promise<void>((r) => setTimeout(r, 2)));
    await mapBounded([1, 2, 3, 4], 4, async () => {
      await once();
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
    });
    expect(most).toBeGreaterThan(1);
  });
});
