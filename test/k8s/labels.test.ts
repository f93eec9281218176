import { compileLabelSelector, EVERYTHING, NOTHING, type CompiledSelector } from '../../src/k8s/labels.js';

function compile(value: unknown, absent: 'everything' | 'nothing' = 'everything'): CompiledSelector {
  const result = compileLabelSelector(value, { absent });
  if (!result.ok) throw new Error(result.reason);
  return result.selector;
}

const web = { app: 'web', tier: 'frontend' };
const db = { app: 'db', tier: 'backend' };
const bare = {};

describe('label selectors (apimachinery LabelSelectorAsSelector semantics)', () => {
  it('an empty selector {} selects everything, including objects without labels', () => {
    const s = compile({});
    expect(s.matchesEverything).toBe(true);
    expect([web, db, bare].map((l) => s.matches(l))).toEqual([true, true, true]);
    expect(s.text).toBe('<all>');
  });

  it('an absent selector means what the caller says: everything or nothing', () => {
    expect(compile(undefined, 'everything')).toBe(EVERYTHING);
    expect(compile(null, 'nothing')).toBe(NOTHING);
    expect(NOTHING.matches(web)).toBe(false);
    expect(NOTHING.matchesEverything).toBe(false);
  });

  it('matchLabels requires every pair', () => {
    const s = compile({ matchLabels: { app: 'web', tier: 'frontend' } });
    expect([web, { app: 'web' }, db].map((l) => s.matches(l))).toEqual([true, false, false]);
    expect(s.text).toBe('app=web,tier=frontend');
  });

  it('In needs the key and one of the values', () => {
    const s = compile({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] });
    expect([web, db, bare].map((l) => s.matches(l))).toEqual([true, false, false]);
  });

  it('NotIn selects objects whose value is not listed AND objects that lack the key', () => {
    const s = compile({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] });
    expect([web, db, bare].map((l) => s.matches(l))).toEqual([true, false, true]);
  });

  it('Exists needs the key whatever its value', () => {
    const s = compile({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] });
    expect([web, { tier: '' }, bare].map((l) => s.matches(l))).toEqual([true, true, false]);
  });

  it('DoesNotExist selects objects that lack the key', () => {
    const s = compile({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] });
    expect([web, { app: 'x' }, bare].map((l) => s.matches(l))).toEqual([false, true, true]);
  });

  it('matchLabels and matchExpressions are ANDed', () => {
    const s = compile({ matchLabels: { tier: 'backend' }, matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['cache'] }] });
    expect([db, { app: 'cache', tier: 'backend' }, web].map((l) => s.matches(l))).toEqual([true, false, false]);
    expect(s.matchesEverything).toBe(false);
  });

  it('In and NotIn with long value lists (looked up in a set) select the same as short ones', () => {
    const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
    const selectorIn = compile({ matchExpressions: [{ key: 'app', operator: 'In', values }] });
    const selectorNotIn = compile({
      matchExpressions: [
        { key: 'app', operator: 'NotIn', values },
        { key: 'tier', operator: 'Exists' },
      ],
    });
    expect(([{ app: 'v0' }, { app: 'v19' }, { app: 'v20' }, bare] as Record<string, string>[]).map((l) => selectorIn.matches(l))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(
      ([{ app: 'v7', tier: 'x' }, { app: 'v20', tier: 'x' }, { tier: 'x' }, { app: 'v20' }] as Record<string, string>[]).map((l) => selectorNotIn.matches(l)),
    ).toEqual([false, true, true, false]);
    expect(selectorIn.text).toBe(`app in (${values.join(',')})`);
  });

  it('rejects what the API server rejects instead of guessing', () => {
    const bad = [
      { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] },
      { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
      { matchExpressions: [{ key: 'a', operator: 'NotIn' }] },
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      { matchLabels: { a: 5 } },
      { matchLabels: 'app=web' },
      'app=web',
    ];
    for (const value of bad) {
      const result = compileLabelSelector(value, { absent: 'everything' });
      expect(result.ok).toBe(false);
    }
    const r = compileLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, { absent: 'everything' });
    expect(!r.ok && r.reason).toMatch(/matchExpressions\[0\]\.operator "Equals"/);
  });

  it('does not treat inherited object properties as labels', () => {
    const s = compile({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] });
    expect(s.matches({})).toBe(false);
  });
});

describe('compiled selectors are shared', () => {
  it('compiles each distinct selector once: the same selector in many policies is one object', () => {
    const a = compileLabelSelector(
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
      { absent: 'everything' },
    );
    const b = compileLabelSelector(
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
      { absent: 'everything' },
    );
    const c = compileLabelSelector({ matchLabels: { app: 'api' } }, { absent: 'everything' });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    if (!a.ok || !c.ok) throw new Error('expected valid selectors');
    expect(a.selector.matches({ app: 'web', tier: 'front' })).toBe(true);
    expect(a.selector.matches({ app: 'web', tier: 'db' })).toBe(false);
    expect(c.selector.matches({ app: 'web' })).toBe(false);
  });

  it('remembers a broken selector with its reason, too', () => {
    const bad = { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['x'] }] };
    const first = compileLabelSelector(bad, { absent: 'everything' });
    expect(first).toEqual({ ok: false, reason: 'matchExpressions[0].operator "Equals" is not In, NotIn, Exists or DoesNotExist' });
    expect(compileLabelSelector(JSON.parse(JSON.stringify(bad)), { absent: 'everything' })).toBe(first);
  });
});
