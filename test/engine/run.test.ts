import { describe, expect, it } from '@jest/globals';
import { kindsToCollect, runChecks } from '../../src/engine/run.js';
import type { Check, CheckContext, Outcome } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { inventoryOf, namespace } from '../support/inventory.js';

function checkWith(evaluate: (ctx: CheckContext) => unknown, reads: string[] = [KINDS.Namespace], optionalReads: string[] = []): Check {
  return {
    meta: {
      id: 'T-01',
      title: 'test',
      category: 'multitenancy',
      severity: 'high',
      rationale: 'r',
      remediation: 'f',
      references: [],
      reads,
      optionalReads,
      messages: { bad: 'bad {name}' },
    },
    evaluate: evaluate as (ctx: CheckContext) => Outcome,
  };
}

const run = (check: Check, inv = inventoryOf([namespace('a')])): Outcome =>
  runChecks({ inventory: inv, checks: [check], catalogs: loadBuiltinCatalogs(), systemNamespaces: new Set(['kube-system']) })[0]!.outcome;

describe('engine', () => {
  it('never calls a check whose required kind is forbidden, errored or missing', () => {
    let called = 0;
    const check = checkWith(() => {
      called++;
      return { status: 'pass', subjects: [], findings: [] };
    }, [KINDS.Namespace, KINDS.Pod]);
    for (const status of ['forbidden', 'error', 'missing'] as const) {
      const outcome = run(check, inventoryOf([namespace('a')], { [KINDS.Pod]: status }));
      expect(outcome.status).toBe('unknown');
      expect(outcome.status === 'unknown' && outcome.reason).toContain('Pod');
    }
    expect(called).toBe(0);
  });

  it('treats a kind the API does not serve as known and empty', () => {
    const outcome = run(
      checkWith((ctx) => ({ status: 'pass', subjects: [], findings: [], n: ctx.items(KINDS.KyvernoClusterPolicy).length }), [KINDS.KyvernoClusterPolicy]),
      inventoryOf([], { [KINDS.KyvernoClusterPolicy]: 'not-served' }),
    );
    expect(outcome.status).toBe('pass');
  });

  it('turns a throwing check into unknown with the reason, without stopping other checks', () => {
    const bad = checkWith(() => {
      throw new TypeError('boom');
    });
    const good = { ...checkWith(() => ({ status: 'pass', subjects: [], findings: [] })), meta: { ...bad.meta, id: 'T-02' } };
    const results = runChecks({ inventory: inventoryOf([namespace('a')]), checks: [good, bad], catalogs: loadBuiltinCatalogs(), systemNamespaces: new Set() });
    expect(results.map((r) => [r.check.meta.id, r.outcome.status])).toEqual([
      ['T-01', 'unknown'],
      ['T-02', 'pass'],
    ]);
    expect(results[0]!.outcome).toMatchObject({ reason: expect.stringContaining('boom') });
  });

  it.each([
    [null, /not an object/],
    [{ status: 'great' }, /status "great"/],
    [{ status: 'fail', subjects: [], findings: [] }, /needs at least one finding/],
    [{ status: 'pass', subjects: [{ resource: { kind: 'Namespace' }, verdict: 'pass' }], findings: [] }, /needs string kind and name/],
    [
      { status: 'fail', subjects: [], findings: [{ messageId: 'nope', data: {}, resource: { kind: 'N', name: 'a' }, field: 'f', evidence: 'e', verify: 'v' }] },
      /not in meta.messages/,
    ],
    [{ status: 'unknown' }, /needs a reason/],
    [{ status: 'pass', subjects: [{ resource: { kind: 'N', name: 'a' }, verdict: 'pass', credit: 3 }], findings: [] }, /credit must be within/],
  ])('turns a malformed outcome %j into unknown', (value, reason) => {
    const outcome = run(checkWith(() => value));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(reason);
  });

  it('refuses reads of undeclared kinds', () => {
    const outcome = run(checkWith((ctx) => ctx.items(KINDS.Pod)));
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/without declaring it/);
  });

  it('sorts subjects and findings for deterministic output', () => {
    const outcome = run(
      checkWith(() => ({
        status: 'fail',
        subjects: [
          { resource: { kind: 'Namespace', name: 'b' }, verdict: 'fail' },
          { resource: { kind: 'Namespace', name: 'a' }, verdict: 'fail' },
        ],
        findings: ['b', 'a'].map((name) => ({
          messageId: 'bad',
          data: { name },
          resource: { kind: 'Namespace', name },
          field: 'f',
          evidence: 'e',
          verify: 'v',
        })),
      })),
    );
    expect(outcome.status === 'fail' && outcome.findings.map((f) => f.resource.name)).toEqual(['a', 'b']);
    expect(outcome.status === 'fail' && outcome.subjects.map((s) => s.resource.name)).toEqual(['a', 'b']);
  });

  it('collects the union of required and optional kinds, sorted', () => {
    expect(kindsToCollect([checkWith(() => null, [KINDS.Pod, KINDS.Namespace], [KINDS.KyvernoClusterPolicy])])).toEqual(
      [KINDS.KyvernoClusterPolicy, KINDS.Namespace, KINDS.Pod].sort(),
    );
  });
});
