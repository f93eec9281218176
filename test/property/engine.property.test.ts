/**
 * Property: no exception escapes the engine. Checks that throw anything (errors, strings, null,
 * symbols, null-prototype objects, objects whose toString throws) or return anything (arbitrary
 * JSON, objects whose fields throw when read, proxies) turn `unknown` with a reason; every other
 * check in the same run is untouched, and every outcome is valid.
 */
import { afterAll, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import type { Check } from '../../src/engine/check.js';
import { runChecks } from '../../src/engine/run.js';
import { validateOutcome } from '../../src/engine/validate.js';
import type { Inventory } from '../../src/k8s/inventory.js';

const SEED = Number(process.env.KPOSTURE_FC_SEED ?? 20240501);
const RUNS = Number(process.env.KPOSTURE_FC_RUNS ?? 150);
const catalogs = loadBuiltinCatalogs();
const inventory: Inventory = {
  source: { type: 'snapshot', paths: ['generated'] },
  kinds: new Map([['Namespace', { status: 'ok', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }] }]]),
  locate: () => undefined,
};
const tally = { cases: 0, hostileUnknown: 0, hostileValid: 0 };

afterAll(() => {
  console.log(`property (engine): ${JSON.stringify(tally)}`);
});

const meta = (id: string): Check['meta'] => ({
  id,
  title: 'generated',
  category: 'multitenancy',
  severity: 'low',
  rationale: 'r',
  remediation: 'f',
  references: [],
  reads: ['Namespace'],
  messages: { m: 'message {x}' },
});

/** A well-behaved check: the one that must come out the same whatever its neighbour does. */
const GOOD: Check = {
  meta: meta('AAA-01'),
  evaluate: () => ({ status: 'pass', subjects: [{ resource: { kind: 'Namespace', name: 'team-a' }, verdict: 'pass' }], findings: [] }),
} as unknown as Check;

const weird = fc.oneof(
  fc.anything({
    withNullPrototype: true,
    withBigInt: true,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    maxDepth: 3,
  }),
  fc.constantFrom<unknown>(
    Symbol('thrown'),
    Object.create(null),
    {
      toString: () => {
        throw new Error('toString throws');
      },
    },
    {
      get status(): never {
        throw new Error('status getter throws');
      },
    },
    new Proxy(
      {},
      {
        get: () => {
          throw new Error('proxy get throws');
        },
      },
    ),
    new Proxy(
      { status: 'pass', subjects: [], findings: [] },
      {
        ownKeys: () => {
          throw new Error('proxy keys throw');
        },
      },
    ),
    {
      status: 'fail',
      findings: [
        {
          messageId: 'm',
          resource: { kind: 'Namespace', name: 'a' },
          field: 'f',
          evidence: 'e',
          verify: 'v',
          get data(): never {
            throw new Error('data getter throws');
          },
        },
      ],
      subjects: [],
    },
  ),
);

test(`checks that throw or return anything are contained (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(fc.boolean(), weird, (throws, value) => {
      tally.cases++;
      const hostile = {
        meta: meta('ZZZ-01'),
        evaluate: () => {
          if (throws) throw value;
          return value;
        },
      } as unknown as Check;
      const results = runChecks({ inventory, checks: [hostile, GOOD], catalogs, systemNamespaces: new Set(['kube-system']) });
      expect(results.map((r) => r.check.meta.id)).toEqual(['AAA-01', 'ZZZ-01']);
      expect(results[0]!.outcome).toEqual({ status: 'pass', subjects: [{ resource: { kind: 'Namespace', name: 'team-a' }, verdict: 'pass' }], findings: [] });
      const outcome = results[1]!.outcome;
      expect(validateOutcome(outcome, hostile.meta.messages)).toBeUndefined();
      if (outcome.status === 'unknown') {
        tally.hostileUnknown++;
        expect(outcome.reason).toMatch(/^check ZZZ-01 (failed while evaluating|returned a malformed outcome|returned an outcome that cannot be read)/);
      } else {
        // Only a value that is itself a valid outcome gets through.
        tally.hostileValid++;
        expect(throws).toBe(false);
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
});
