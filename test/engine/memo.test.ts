/**
 * The run's memo (ctx.memo): checks of one run share a computation, a second run computes it
 * again, and a key is only for checks that declare what it reads.
 */
import { describe, expect, it } from '@jest/globals';
import { runChecks } from '../../src/engine/run.js';
import { memoKey, type Check, type CheckContext, type MemoKey, type Outcome } from '../../src/engine/check.js';
import { makeContext, RunMemo } from '../../src/engine/context.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import type { Inventory } from '../../src/k8s/inventory.js';
import { inventoryOf, namespace } from '../support/inventory.js';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { DEFAULT_SYSTEM_NAMESPACES } from '../../src/config/config.js';
import { defaultDeny, netpol, pod } from '../checks/network/objects.js';
import { deploymentPods } from '../checks/base-images/pods.js';

const PASS: Outcome = { status: 'pass', subjects: [], findings: [] };

function checkWith(id: string, evaluate: (ctx: CheckContext) => Outcome, reads: string[] = [KINDS.Namespace]): Check {
  return {
    meta: { id, title: 't', category: 'multitenancy', severity: 'low', rationale: 'r', remediation: 'f', references: [], reads, messages: {} },
    evaluate,
  };
}

const run = (checks: Check[], inventory: Inventory = inventoryOf([namespace('a'), namespace('b')])) =>
  runChecks({ inventory, checks, catalogs: loadBuiltinCatalogs(), systemNamespaces: new Set(['kube-system']) }).map((r) => r.outcome);

/** A key whose computation counts its calls, and checks that record the value they got. */
function counted(reads: string[] = [KINDS.Namespace]): {
  key: MemoKey<{ names: string[] }>;
  calls: () => number;
  user: (id: string, seen: unknown[]) => Check;
} {
  let calls = 0;
  const key = memoKey<{ names: string[] }>('test/namespace-names', reads);
  const user = (id: string, seen: unknown[]): Check =>
    checkWith(id, (ctx) => {
      seen.push(
        ctx.memo(key, () => {
          calls++;
          return { names: ctx.items(KINDS.Namespace).map((n) => (n.metadata as { name: string }).name) };
        }),
      );
      return PASS;
    });
  return { key, calls: () => calls, user };
}

describe('ctx.memo', () => {
  it('computes once for every check of a run, and hands each the same value', () => {
    const { calls, user } = counted();
    const seen: unknown[] = [];
    expect(run([user('T-01', seen), user('T-02', seen), user('T-03', seen)]).map((o) => o.status)).toEqual(['pass', 'pass', 'pass']);
    expect(calls()).toBe(1);
    expect(seen).toHaveLength(3);
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).toBe(seen[0]);
    expect(seen[0]).toEqual({ names: ['a', 'b'] });
  });

  it('keeps nothing once the run returns: a second run on the same inventory computes again', () => {
    const { calls, user } = counted();
    const inventory = inventoryOf([namespace('a')]);
    const seen: unknown[] = [];
    run([user('T-01', seen), user('T-02', seen)], inventory);
    run([user('T-01', seen), user('T-02', seen)], inventory);
    expect(calls()).toBe(2);
    expect(seen[2]).not.toBe(seen[0]);
    expect(seen[3]).toBe(seen[2]);
  });

  it('refuses a key to a check that does not declare what it reads, whichever check asked first', () => {
    const key = memoKey<string[]>('test/pod-names', [KINDS.Pod]);
    const inventory = inventoryOf([namespace('a')], { [KINDS.Pod]: 'ok' });
    const declares = (id: string): Check => checkWith(id, (ctx) => (ctx.memo(key, () => []), PASS), [KINDS.Namespace, KINDS.Pod]);
    const undeclared = (id: string): Check => checkWith(id, (ctx) => (ctx.memo(key, () => []), PASS), [KINDS.Namespace]);
    const refused = { status: 'unknown', reason: expect.stringMatching(/uses test\/pod-names, which reads Pod, without declaring Pod/) };
    // Computed by the first check, then asked for by one that may not see pods.
    const [first, second] = run([declares('T-01'), undeclared('T-02')], inventory);
    expect(first!.status).toBe('pass');
    expect(second).toMatchObject(refused);
    // Asked for first by the one that may not.
    const [third, fourth] = run([undeclared('T-01'), declares('T-02')], inventory);
    expect(third).toMatchObject(refused);
    expect(fourth!.status).toBe('pass');
  });

  it("computes in a context of the key's own: its kinds only, no options", () => {
    const key = memoKey<number>('test/namespaces-only', [KINDS.Namespace]);
    const input = {
      meta: checkWith('T-01', () => PASS, [KINDS.Namespace, KINDS.Pod]).meta,
      collection: () => ({ status: 'ok' as const, items: [] }),
      catalogs: loadBuiltinCatalogs(),
      systemNamespaces: new Set<string>(),
      options: { strict: true },
    };
    const ctx = makeContext(input);
    expect(ctx.settings.options).toEqual({ strict: true });
    expect(ctx.memo(key, (own) => Object.keys(own.settings.options).length + own.items(KINDS.Namespace).length)).toBe(0);
    // The check may read pods; what its key does not list, the computation may not.
    expect(() => makeContext(input).memo(key, (own) => own.items(KINDS.Pod).length)).toThrow(
      /test\/namespaces-only \(memo of check T-01\) reads Pod without declaring it/,
    );
  });

  it('refuses two keys of one name: their values could have different types', () => {
    const first = counted();
    const second = counted();
    const outcomes = run([first.user('T-01', []), second.user('T-02', [])]);
    expect(outcomes[0]!.status).toBe('pass');
    expect(outcomes[1]).toMatchObject({ status: 'unknown', reason: expect.stringContaining('two memo keys are named test/namespace-names') });
  });

  it('keeps no value from a computation that threw: the next check tries again', () => {
    let calls = 0;
    const key = memoKey<number>('test/throws', []);
    const user = (id: string): Check =>
      checkWith(id, (ctx) => {
        ctx.memo(key, () => {
          calls++;
          throw new Error('cannot compute');
        });
        return PASS;
      });
    const outcomes = run([user('T-01'), user('T-02')]);
    expect(outcomes.map((o) => o.status)).toEqual(['unknown', 'unknown']);
    expect(outcomes[1]).toMatchObject({ reason: expect.stringContaining('cannot compute') });
    expect(calls).toBe(2);
  });

  it('turns a key that needs its own value into an error, not an endless recursion', () => {
    const key: MemoKey<number> = memoKey<number>('test/cycle', []);
    const ctx = makeContext({
      meta: checkWith('T-01', () => PASS).meta,
      collection: () => ({ status: 'ok', items: [] }),
      catalogs: loadBuiltinCatalogs(),
      systemNamespaces: new Set(),
      options: {},
    });
    const compute = (): number => ctx.memo(key, compute) + 1;
    expect(() => ctx.memo(key, compute)).toThrow(/test\/cycle needs its own value/);
  });

  it('shares values between the contexts given one memo, and not otherwise', () => {
    const key = memoKey<object>('test/object', []);
    const input = {
      meta: checkWith('T-01', () => PASS).meta,
      collection: () => ({ status: 'ok' as const, items: [] }),
      catalogs: loadBuiltinCatalogs(),
      systemNamespaces: new Set<string>(),
      options: {},
    };
    const memo = new RunMemo();
    const [a, b] = [makeContext({ ...input, memo }), makeContext({ ...input, memo })];
    expect(b.memo(key, () => ({}))).toBe(a.memo(key, () => ({})));
    // A context made without the run's memo (a plugin's worker) has one of its own.
    const alone = makeContext(input);
    expect(alone.memo(key, () => ({}))).not.toBe(a.memo(key, () => ({})));
  });
});

describe('built-in checks share per run, not across runs', () => {
  const outcomesOf = (inventory: Inventory, ids: string[]): Record<string, Outcome> =>
    Object.fromEntries(
      runChecks({
        inventory,
        checks: BUILTIN_CHECKS.filter((c) => ids.includes(c.meta.id)),
        catalogs: loadBuiltinCatalogs(),
        systemNamespaces: new Set(DEFAULT_SYSTEM_NAMESPACES),
      }).map((r) => [r.check.meta.id, r.outcome]),
    );

  it('NetworkPolicy checks see the policies as they are at each run', () => {
    // An allow-all policy, changed in place between two runs: the list object stays the same.
    const policy = netpol('shop', 'open', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] });
    const inventory = inventoryOf([pod('shop', 'web-1', { app: 'web' }), policy, defaultDeny('shop', ['Egress'])], { [KINDS.Namespace]: 'ok' });
    expect(outcomesOf(inventory, ['NP-05'])['NP-05']!.status).toBe('fail');
    policy.spec = { podSelector: {}, policyTypes: ['Ingress'] };
    expect(outcomesOf(inventory, ['NP-05'])['NP-05']!.status).toBe('pass');
  });

  it('image checks see the pods as they are at each run', () => {
    const pods = deploymentPods('shop', 'web', { containers: [{ name: 'web', image: 'nginx:latest' }] }, { replicas: 2 });
    const inventory = inventoryOf(pods);
    expect(outcomesOf(inventory, ['IMG-02'])['IMG-02']!.status).toBe('fail');
    for (const p of pods.filter((o) => o.kind === 'Pod')) (p.spec as { containers: unknown[] }).containers = [{ name: 'web', image: 'nginx:1.27.0' }];
    expect(outcomesOf(inventory, ['IMG-02'])['IMG-02']!.status).toBe('pass');
  });
});
