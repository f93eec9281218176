/**
 * Property: whatever objects an inventory holds — real ones from the fixture clusters, mutated,
 * or arbitrary JSON under a known kind — and whatever status each kind has, every built-in check
 * run through the engine returns a valid outcome, none of them by throwing or by returning a
 * malformed outcome (those would show as `unknown` "failed while evaluating" / "malformed"), a
 * check whose required kind is unreadable is `unknown`, and the whole rest of the pipeline
 * (scoring, the report, and every format) turns the results into output without an exception.
 * The same holds after the slim projection the audit applies to every object.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { DEFAULT_SYSTEM_NAMESPACES } from '../../src/config/config.js';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import { runChecks } from '../../src/engine/run.js';
import { scoreResults } from '../../src/engine/score.js';
import { validateOutcome } from '../../src/engine/validate.js';
import { isKnown, type Inventory, type KindCollection } from '../../src/k8s/inventory.js';
import { slimProjection } from '../../src/k8s/slim.js';
import { buildReport } from '../../src/report/model.js';
import { REPORTERS } from '../../src/report/index.js';
import { corpus, inventory } from './corpus.js';

const SEED = Number(process.env.KPOSTURE_FC_SEED ?? 20240501);
const RUNS = Number(process.env.KPOSTURE_FC_RUNS ?? 150);
const catalogs = loadBuiltinCatalogs();
const systemNamespaces = new Set<string>(DEFAULT_SYSTEM_NAMESPACES);
const reportSchema = compileSchema('report.schema.json');
const tally = { cases: 0, objects: 0, mutatedOrArbitrary: 0, outcomes: { pass: 0, fail: 0, unknown: 0, 'not-applicable': 0 } as Record<string, number> };

afterAll(() => {
  console.log(`property (checks): ${JSON.stringify(tally)}`);
});

/** Problems with one run of every check over `inv`; empty when all is well. */
function judge(inv: Inventory): string[] {
  const problems: string[] = [];
  const results = runChecks({ inventory: inv, checks: BUILTIN_CHECKS, catalogs, systemNamespaces });
  if (results.length !== BUILTIN_CHECKS.length) problems.push(`${results.length} results for ${BUILTIN_CHECKS.length} checks`);
  for (const { check, outcome } of results) {
    tally.outcomes[outcome.status] = (tally.outcomes[outcome.status] ?? 0) + 1;
    const invalid = validateOutcome(outcome, check.meta.messages);
    if (invalid) problems.push(`${check.meta.id}: invalid outcome: ${invalid}`);
    if (outcome.status === 'unknown' && /failed while evaluating|malformed outcome/.test(outcome.reason)) problems.push(`${check.meta.id}: ${outcome.reason}`);
    const unreadable = check.meta.reads.filter((k) => !isKnown(inv.kinds.get(k) ?? { status: 'missing', items: [] }));
    if (unreadable.length > 0 && outcome.status !== 'unknown')
      problems.push(`${check.meta.id}: ${outcome.status} although ${unreadable.join(', ')} could not be read`);
  }
  const report = buildReport({ scorecard: scoreResults(results), inventory: inv, version: '0.0.0-test', generatedAt: '2024-05-01T00:00:00.000Z' });
  if (!reportSchema(report)) problems.push(`report: ${formatAjvError(reportSchema.errors)}`);
  for (const [format, render] of Object.entries(REPORTERS)) {
    const text = [...render(report, { color: false })].join('');
    if (format === 'json' || format === 'sarif') JSON.parse(text);
    if (text.length === 0) problems.push(`${format}: empty`);
  }
  return problems;
}

describe('every built-in check over generated inventories', () => {
  test('the corpus is the fixture clusters', () => {
    expect(corpus().length).toBeGreaterThan(300);
    expect(new Set(corpus().map((s) => s.id)).size).toBeGreaterThan(20);
  });

  test(`fixture clusters with mutated and arbitrary objects, any kind status (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(inventory, ({ inventory: inv, objects, mutated }) => {
        tally.cases++;
        tally.objects += objects;
        tally.mutatedOrArbitrary += mutated;
        expect(judge(inv)).toEqual([]);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  test(`the same after the audit's slim projection (${RUNS} cases)`, () => {
    const project = slimProjection();
    fc.assert(
      fc.property(inventory, ({ inventory: inv, objects, mutated }) => {
        tally.cases++;
        tally.objects += objects;
        tally.mutatedOrArbitrary += mutated;
        const kinds = new Map<string, KindCollection>();
        for (const [id, c] of inv.kinds) kinds.set(id, { ...c, items: c.items.map((o) => project(id, o)) });
        expect(judge({ ...inv, kinds })).toEqual([]);
      }),
      { numRuns: RUNS, seed: SEED + 1 },
    );
  });
});
