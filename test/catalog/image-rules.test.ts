/**
 * The image name rules as a whole: every rule says where its class comes from, rules that match
 * the same image agree unless one is a deliberate refinement of the other, and the rules alone
 * classify the accuracy set (test/data/image-references) well enough to be the fast path.
 */
import type { ImageRule } from '../../src/catalog/catalogs.js';
import { loadCatalogFile } from '../../src/catalog/load.js';
import { globToRegExp, parseImageRef, effectiveTag, type ImageRef } from '../../src/k8s/images.js';
import { loadImageReferences, measureNameRuleAccuracy } from '../../bench/image-accuracy.js';

const rules = loadCatalogFile('imageRules') as ImageRule[];
const references = loadImageReferences();

function ref(image: string): ImageRef {
  const parsed = parseImageRef(image);
  if (!parsed.ok) throw new Error(`${image}: ${parsed.reason}`);
  return parsed.ref;
}

const compiled = new Map<ImageRule, { repository: RegExp; tag?: RegExp }>();

function matches(rule: ImageRule, r: ImageRef): boolean {
  let c = compiled.get(rule);
  if (!c) {
    c = { repository: globToRegExp(rule.repository), ...(rule.tag !== undefined ? { tag: globToRegExp(rule.tag) } : {}) };
    compiled.set(rule, c);
  }
  if (!c.repository.test(r.repository)) return false;
  if (!c.tag) return true;
  const tag = effectiveTag(r);
  return tag !== undefined && c.tag.test(tag);
}

/** The strings a glob spells with each `*` read as a character no glob names: `{a,b}/*` → `a/§`, `b/§`. */
function samples(glob: string): string[] {
  const parts = glob.split(/\{([^{}]*)\}/);
  let out = [''];
  parts.forEach((part, i) => {
    const choices = i % 2 === 1 ? part.split(',') : [part];
    out = out.flatMap((prefix) => choices.map((c) => prefix + c.replace(/\*/g, '§')));
  });
  return out;
}

/** Whether everything `narrow` matches, `wide` matches too (judged on samples of `narrow`). */
function narrower(narrow: string, wide: string): boolean {
  const re = globToRegExp(wide);
  return samples(narrow).every((s) => re.test(s));
}

/**
 * Two rules that match one reference and give different classes contradict each other unless the
 * earlier one is a deliberate refinement of the later: a tag rule for a variant (`*-debug`,
 * `*-distroless`, `*-alpine`, old releases) in front of a rule without a tag, or a narrower
 * repository in front of a wider one with no stricter tag.
 */
function contradictions(list: readonly ImageRule[], images: readonly string[]): string[] {
  const found: string[] = [];
  for (const image of images) {
    const r = ref(image);
    const hits = list.filter((rule) => matches(rule, r));
    hits.forEach((first, i) => {
      for (const later of hits.slice(i + 1)) {
        if (later.class === first.class) continue;
        const tagVariant = first.tag !== undefined && later.tag === undefined;
        const narrowerRepository =
          narrower(first.repository, later.repository) && (later.tag === undefined || (first.tag !== undefined && narrower(first.tag, later.tag)));
        if (!tagVariant && !narrowerRepository) found.push(`${image}: ${first.id} (${first.class}) vs ${later.id} (${later.class})`);
      }
    });
  }
  return found;
}

const allImages = [...new Set([...rules.flatMap((r) => r.examples ?? []), ...references.map((r) => r.image)])];

describe('image name rules', () => {
  it('every rule names its source: a URL of the build file or vendor page that shows the base', () => {
    const without = rules.filter((r) => !/https:\/\/\S+/.test(r.source)).map((r) => r.id);
    expect(without).toEqual([]);
  });

  it('no two rules contradict each other on any example or accuracy-set reference', () => {
    expect(allImages.length).toBeGreaterThan(400);
    expect(contradictions(rules, allImages)).toEqual([]);
  });

  it('the contradiction check catches two overlapping rules that disagree, whatever their order', () => {
    const a: ImageRule = { id: 'vendor-x', class: 'full', repository: 'quay.io/x/*', source: 'https://example.org/a' };
    const b: ImageRule = { id: 'all-y', class: 'distroless', repository: 'quay.io/*/y', source: 'https://example.org/b' };
    expect(contradictions([a, b], ['quay.io/x/y:1.0'])).toEqual(['quay.io/x/y:1.0: vendor-x (full) vs all-y (distroless)']);
    expect(contradictions([b, a], ['quay.io/x/y:1.0'])).toHaveLength(1);
    // a variant tag in front of the repository rule is a refinement, not a contradiction
    const debug: ImageRule = { ...a, id: 'vendor-x-debug', class: 'minimal', tag: '*-debug' };
    expect(contradictions([debug, a], ['quay.io/x/y:1.0-debug'])).toEqual([]);
    // but behind it the variant could never decide
    expect(contradictions([a, debug], ['quay.io/x/y:1.0-debug'])).toHaveLength(1);
  });

  it('a rule for old releases only decides the releases it lists', () => {
    const loki = (tag: string): string | undefined => rules.find((r) => matches(r, ref(`grafana/loki:${tag}`)))?.id;
    expect([loki('3.1.0'), loki('3.5.7'), loki('3.6.0'), loki('3.10.0'), loki('latest')]).toEqual([
      'loki-before-3.6',
      'loki-before-3.6',
      'loki',
      'loki',
      'loki',
    ]);
  });
});

describe('accuracy of the name rules alone on public image references', () => {
  it('the accuracy set is broad: at least 200 distinct references from many registries, each justified', () => {
    expect(references.length).toBeGreaterThanOrEqual(200);
    const canonical = references.map((r) => ref(r.image).canonical);
    expect(canonical.filter((c, i) => canonical.indexOf(c) !== i)).toEqual([]);
    expect(new Set(references.map((r) => ref(r.image).registry)).size).toBeGreaterThanOrEqual(10);
    for (const cls of ['distroless', 'minimal', 'full'] as const) {
      expect(references.filter((r) => r.expected === cls).length).toBeGreaterThanOrEqual(20);
    }
    expect(references.filter((r) => r.why.trim().length < 30).map((r) => r.image)).toEqual([]);
  });

  it('classifies at least 95% correctly and never calls an image full that is not', () => {
    const result = measureNameRuleAccuracy(references, rules);
    expect(result.misses.filter((m) => m.got === 'full')).toEqual([]);
    expect(result.falseFull).toBe(0);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('on the held-out images no rule was written for, it still never calls an image full that is not', () => {
    const heldOut = loadImageReferences('heldOut');
    expect(heldOut.length).toBeGreaterThanOrEqual(20);
    const result = measureNameRuleAccuracy(heldOut, rules);
    expect(result.misses.filter((m) => m.got === 'full')).toEqual([]);
  });

  it('the measure counts what it should: no rules is all unknown, a blanket full rule is all false full', () => {
    const none = measureNameRuleAccuracy(references, []);
    expect(none).toMatchObject({ correct: 0, unknown: references.length, wrong: 0, falseFull: 0 });
    const blanket = measureNameRuleAccuracy(references, [{ id: 'all', class: 'full', repository: '*', source: 'https://example.org' }]);
    expect(blanket.falseFull).toBe(references.filter((r) => r.expected !== 'full').length);
    expect(blanket.correct).toBe(references.filter((r) => r.expected === 'full').length);
  });
});
