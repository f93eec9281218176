/**
 * One root cause, one finding, on every bundled cluster fixture (fixtures/clusters/*, including
 * those added later): no two findings that stand share a cause (the same fact about the same
 * object, src/engine/causes.ts), and evidence states the field's value without repeating the
 * field. The declarations that make it so (explainedBy, requires) are checked on the registry.
 */
import { describe, expect, it } from '@jest/globals';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { causeKey, causesOf } from '../../src/engine/causes.js';
import { SEVERITY_WEIGHT } from '../../src/engine/check.js';
import { audit, fixtureNames, readFixture } from '../fixtures/load.js';

const BY_ID = new Map(BUILTIN_CHECKS.map((c) => [c.meta.id, c]));

describe.each(fixtureNames())('fixture %s', (name) => {
  const { results } = audit(readFixture(name));
  const standing = results.flatMap((r) =>
    r.outcome.status === 'pass' || r.outcome.status === 'fail' ? r.outcome.findings.map((finding) => ({ id: r.check.meta.id, finding })) : [],
  );

  it('has no two standing findings with the same object and cause', () => {
    const seen = new Map<string, string[]>();
    for (const { id, finding } of standing) {
      for (const cause of causesOf(id, finding)) seen.set(causeKey(cause), [...(seen.get(causeKey(cause)) ?? []), id]);
    }
    const repeated = [...seen].filter(([, ids]) => ids.length > 1).map(([key, ids]) => `${key} reported by ${ids.join(', ')}`);
    expect(repeated).toEqual([]);
  });

  it('states the value as evidence, not the field again', () => {
    const repeats = standing
      .filter(({ finding }) => finding.evidence.startsWith(`${finding.field}:`) || finding.evidence.startsWith(`${finding.field} `))
      .map(({ id, finding }) => `${id} ${finding.resource.name}: ${finding.field}: ${finding.evidence}`);
    expect(repeats).toEqual([]);
  });
});

describe('root-cause declarations of the built-in checks', () => {
  it('name registered checks at least as severe, without a circle', () => {
    const problems: string[] = [];
    for (const check of BUILTIN_CHECKS) {
      for (const id of check.meta.explainedBy ?? []) {
        const other = BY_ID.get(id);
        if (!other) problems.push(`${check.meta.id} is explained by ${id}, which is not registered`);
        else if (SEVERITY_WEIGHT[other.meta.severity] < SEVERITY_WEIGHT[check.meta.severity])
          problems.push(`${check.meta.id} (${check.meta.severity}) is explained by the less severe ${id} (${other.meta.severity})`);
      }
      const reach = new Set<string>();
      const queue = [...(check.meta.explainedBy ?? [])];
      while (queue.length > 0) {
        const id = queue.shift()!;
        if (reach.has(id)) continue;
        reach.add(id);
        queue.push(...(BY_ID.get(id)?.meta.explainedBy ?? []));
      }
      if (reach.has(check.meta.id)) problems.push(`${check.meta.id} is explained by itself through ${[...reach].join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('require a registered check that requires nothing itself', () => {
    const problems = BUILTIN_CHECKS.flatMap((check) => {
      const premise = check.meta.requires;
      if (!premise) return [];
      const other = BY_ID.get(premise.check);
      if (!other) return [`${check.meta.id} requires ${premise.check}, which is not registered`];
      return other.meta.requires ? [`${check.meta.id} requires ${premise.check}, which requires ${other.meta.requires.check}`] : [];
    });
    expect(problems).toEqual([]);
  });
});
