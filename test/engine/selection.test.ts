import { describe, expect, it } from '@jest/globals';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import type { Check } from '../../src/engine/check.js';
import { CheckIds, selectChecks, type SelectionRequest } from '../../src/engine/selection.js';
import { KpostureError } from '../../src/errors.js';

function select(request: Partial<SelectionRequest>, all: readonly Check[] = BUILTIN_CHECKS): ReturnType<typeof selectChecks> {
  return selectChecks(all, { check: [], skip: [], only: [], disable: [], configFile: 'kposture.yaml', ...request });
}

function failure(request: Partial<SelectionRequest>, all?: readonly Check[]): KpostureError {
  try {
    select(request, all);
  } catch (err) {
    if (err instanceof KpostureError) return err;
    throw err;
  }
  throw new Error('expected a KpostureError');
}

const ids = (checks: readonly Check[]): string[] => checks.map((c) => c.meta.id);

describe('check selection', () => {
  it('runs every check and skips none by default', () => {
    const { checks, skipped } = select({});
    expect(ids(checks)).toEqual(ids(BUILTIN_CHECKS));
    expect(skipped).toEqual([]);
  });

  it('matches ids whatever their case, in flags and in the config file', () => {
    const { checks, skipped } = select({ check: ['np-02', 'Mt-04'], skip: ['mt-04'] });
    expect(ids(checks)).toEqual(['NP-02']);
    expect(skipped.find((s) => s.id === 'MT-04')).toEqual({
      id: 'MT-04',
      title: BUILTIN_CHECKS.find((c) => c.meta.id === 'MT-04')!.meta.title,
      reason: 'skipped with --skip',
    });
    expect(ids(select({ only: ['os-01'], disable: [] }).checks)).toEqual(['OS-01']);
  });

  it('records why each other check does not run, sorted by id', () => {
    const { skipped } = select({ skip: ['NP-06'], disable: ['mt-01'], check: [], only: [] });
    expect(skipped).toEqual([
      { id: 'MT-01', title: expect.any(String), reason: 'disabled in config checks.disable' },
      { id: 'NP-06', title: expect.any(String), reason: 'skipped with --skip' },
    ]);
    const selected = select({ check: ['NP-02'], only: ['NP-03'] });
    expect(ids(selected.checks)).toEqual(['NP-02', 'NP-03']);
    expect(selected.skipped).toHaveLength(BUILTIN_CHECKS.length - 2);
    expect(new Set(selected.skipped.map((s) => s.reason))).toEqual(new Set(['not selected by --check or config checks.only']));
    expect(new Set(select({ check: ['NP-02'] }).skipped.map((s) => s.reason))).toEqual(new Set(['not selected by --check']));
  });

  it('says "did you mean" for a near miss, and where the id was written', () => {
    const flag = failure({ check: ['NP2'] });
    expect(flag.oneLine()).toBe('--check NP2: unknown check id (did you mean NP-02?)');
    expect(flag.exitCode).toBe(2);
    expect(failure({ skip: ['img-4'] }).oneLine()).toBe('--skip img-4: unknown check id (did you mean IMG-04?)');
    expect(failure({ disable: ['NP-02', 'PE01'] }).oneLine()).toBe('config kposture.yaml: field checks.disable.1: unknown check id PE01 (did you mean PE-01?)');
    // Equally near to MT-01…MT-05: no guess, the list instead.
    expect(failure({ check: ['MT-06'] }).oneLine()).toBe('--check MT-06: unknown check id (run `kposture checks` to list them)');
    expect(failure({ only: ['registry'] }).oneLine()).toMatch(/^config kposture.yaml: field checks.only.0: unknown check id registry \(run `kposture checks`/);
  });

  it('refuses a selection that leaves nothing to run, in one line', () => {
    const err = failure({ check: ['NP-02'], skip: ['np-02'] });
    expect(err.exitCode).toBe(2);
    expect(err.oneLine()).toBe(
      'no check left to run: every check selected by --check is also left out by --skip (drop the --skip or checks.disable entry that names a selected check)',
    );
    expect(failure({ disable: ids(BUILTIN_CHECKS) }).oneLine()).toMatch(/^no check left to run: every check is left out by config checks.disable/);
  });

  it('refuses two checks whose ids differ only in case', () => {
    const np02 = BUILTIN_CHECKS.find((c) => c.meta.id === 'NP-02')!;
    const lower = { ...np02, meta: { ...np02.meta, id: 'np-02' } };
    expect(() => new CheckIds([...BUILTIN_CHECKS, lower])).toThrow('check ids NP-02 and np-02 differ only in case (ids are case-insensitive)');
    expect(() => new CheckIds([np02, np02])).toThrow('check id NP-02 is defined twice');
  });
});
