import { describe, expect, it } from '@jest/globals';
import { parseSelectorString } from '../../src/k8s/selector-string.js';

function selector(text: string): ReturnType<typeof parseSelectorString> & { ok: true } {
  const parsed = parseSelectorString(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.reason}`);
  return parsed;
}

function reasonFor(text: string): string {
  const parsed = parseSelectorString(text);
  if (parsed.ok) throw new Error(`${text} parsed as ${parsed.selector.text}`);
  return parsed.reason;
}

const SHOP = { team: 'shop', env: 'prod', 'kubernetes.io/metadata.name': 'shop' };
const BLOG = { team: 'content', env: 'stage', legacy: 'true' };
const SCRATCH = { env: 'dev' };

describe('label selector strings (kubectl -l syntax)', () => {
  it.each([
    ['team=shop', [true, false, false]],
    ['team==shop', [true, false, false]],
    ['team!=shop', [false, true, true]],
    ['team', [true, true, false]],
    ['!team', [false, false, true]],
    ['env in (prod,stage)', [true, true, false]],
    ['env notin (prod)', [false, true, true]],
    ['team=a,env in (prod,stage),!legacy', [false, false, false]],
    ['env in (prod, stage) , !legacy', [true, false, false]],
    ['kubernetes.io/metadata.name=shop', [true, false, false]],
  ] as const)('%s selects as apimachinery does', (text, [shop, blog, scratch]) => {
    const { selector: s } = selector(text);
    expect([s.matches(SHOP), s.matches(BLOG), s.matches(SCRATCH)]).toEqual([shop, blog, scratch]);
  });

  it('reads an empty value after = as the empty string, as kubectl does', () => {
    const { selector: s } = selector('tier=,team=shop');
    expect(s.matches({ tier: '', team: 'shop' })).toBe(true);
    expect(s.matches({ tier: 'web', team: 'shop' })).toBe(false);
  });

  it('prints the selector back in kubectl form', () => {
    expect(selector('team==shop, env in (prod,stage),!legacy').selector.text).toBe('team=shop,env in (prod,stage),!legacy');
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['team=shop,', /the end at position 11, expected a label key/],
    [',team', /',' at position 1, expected a label key/],
    ['team=shop,,env', /',' at position 11/],
    ['env in prod', /'prod' at position 8, expected '\(' to open the list/],
    ['env in ()', /'\)' at position 9, expected a label value/],
    ['env in (prod', /the end at position 13, expected ',' or '\)'/],
    ['team shop', /'shop' at position 6, expected =, ==, !=, in, notin/],
    ['!team=shop', /'=' at position 6, expected ',' or the end after !key/],
    ['replicas>2', /operator > compares numbers/],
    ['team=a b', /'b' at position 8, expected ',' or the end/],
    ['Team_/x=a', /prefix must be a lowercase DNS subdomain/],
    ['-team=a', /label key "-team"/],
    [`team=${'a'.repeat(64)}`, /label value "a{64}": 63 characters at most/],
    ['team=a/b', /label value "a\/b"/],
  ])('refuses %j: %s', (text, why) => {
    expect(reasonFor(text)).toMatch(why);
  });
});
