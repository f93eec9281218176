import { appendTo } from '../../src/util/collections.js';

describe('appendTo', () => {
  it('groups values under their key in insertion order, one list per key', () => {
    const byPool = new Map<string, string[]>();
    for (const [pool, node] of [
      ['a', 'n1'],
      ['b', 'n2'],
      ['a', 'n3'],
    ] as const)
      appendTo(byPool, pool, node);
    expect([...byPool]).toEqual([
      ['a', ['n1', 'n3']],
      ['b', ['n2']],
    ]);
  });

  it('adds to the same list object (no copy per add)', () => {
    const m = new Map<number, number[]>();
    appendTo(m, 1, 1);
    const first = m.get(1);
    for (let i = 2; i <= 10000; i++) appendTo(m, 1, i);
    expect(m.get(1)).toBe(first);
    expect(first).toHaveLength(10000);
  });
});
