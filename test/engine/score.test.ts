import { checkScore, gradeFor, scoreResults } from '../../src/engine/score.js';
import type { Check, Outcome, Subject } from '../../src/engine/check.js';
import type { CheckResult } from '../../src/engine/run.js';

function fakeCheck(id: string, category: Check['meta']['category'], severity: Check['meta']['severity']): Check {
  return {
    meta: { id, title: id, category, severity, rationale: 'r', remediation: 'f', references: [], reads: [], messages: { m: 'x' } },
    evaluate: () => ({ status: 'not-applicable', reason: 'fake' }),
  };
}

const subj = (name: string, verdict: Subject['verdict'], credit?: number): Subject => ({
  resource: { kind: 'Namespace', name },
  verdict,
  ...(credit !== undefined ? { credit } : {}),
});

function outcome(subjects: Subject[]): Outcome {
  const fails = subjects.some((s) => s.verdict === 'fail' || s.verdict === 'partial');
  return {
    status: fails ? 'fail' : 'pass',
    subjects,
    findings: fails ? [{ messageId: 'm', data: {}, resource: { kind: 'Namespace', name: 'x' }, field: 'f', evidence: 'e', verify: 'kubectl' }] : [],
  };
}

describe('scoring', () => {
  it('scores a check as the share of compliant subjects (7 of 10 → 70)', () => {
    const subjects = Array.from({ length: 7 }, (_, i) => subj(`ok${i}`, 'pass')).concat(Array.from({ length: 3 }, (_, i) => subj(`bad${i}`, 'fail')));
    expect(checkScore(outcome(subjects))).toBe(70);
  });

  it('gives partial credit and ignores unknown and info subjects', () => {
    expect(checkScore(outcome([subj('a', 'pass'), subj('b', 'partial', 0.5), subj('c', 'unknown'), subj('d', 'info')]))).toBe(75);
  });

  it('does not score unknown or not-applicable checks', () => {
    expect(checkScore({ status: 'unknown', reason: 'forbidden' })).toBeNull();
    expect(checkScore({ status: 'not-applicable', reason: 'none' })).toBeNull();
  });

  it('weights checks by severity within a category, averages categories, and reports coverage', () => {
    const results: CheckResult[] = [
      { check: fakeCheck('A-1', 'multitenancy', 'high'), outcome: outcome([subj('a', 'pass')]) }, // 100 × 3
      { check: fakeCheck('A-2', 'multitenancy', 'low'), outcome: outcome([subj('a', 'fail')]) }, // 0 × 1
      { check: fakeCheck('B-1', 'network', 'high'), outcome: outcome([subj('a', 'pass'), subj('b', 'fail')]) }, // 50
      { check: fakeCheck('B-2', 'network', 'medium'), outcome: { status: 'unknown', reason: 'pods forbidden' } },
      { check: fakeCheck('C-1', 'host-os', 'info'), outcome: outcome([subj('a', 'fail')]) }, // info: not scored
      { check: fakeCheck('D-1', 'die', 'high'), outcome: outcome([subj('a', 'fail')]) }, // not in total
    ];
    const card = scoreResults(results);
    const cat = (id: string) => card.categories.find((c) => c.id === id)!;
    expect(cat('multitenancy').score).toBe(75);
    expect(cat('network').score).toBe(50);
    expect(cat('host-os').score).toBeNull();
    expect(cat('die').score).toBe(0);
    expect(card.score).toBe(62.5);
    expect(card.grade).toBe('D');
    // evaluated weight 3+1+3 of applicable 3+1+3+2 (DIE and info excluded)
    expect(card.coverage).toBe(77.8);
  });

  it('can count DIE in the total when the config says so', () => {
    const results: CheckResult[] = [
      { check: fakeCheck('A-1', 'multitenancy', 'high'), outcome: outcome([subj('a', 'pass')]) },
      { check: fakeCheck('D-1', 'die', 'high'), outcome: outcome([subj('a', 'fail')]) },
    ];
    expect(scoreResults(results).score).toBe(100);
    expect(scoreResults(results, { die: true }).score).toBe(50);
  });

  it('has no score and zero coverage when nothing could be evaluated', () => {
    const card = scoreResults([{ check: fakeCheck('A-1', 'network', 'high'), outcome: { status: 'unknown', reason: 'x' } }]);
    expect(card.score).toBeNull();
    expect(card.grade).toBeNull();
    expect(card.coverage).toBe(0);
  });

  it.each([
    [95, 'A'],
    [90, 'A'],
    [89.9, 'B'],
    [70, 'C'],
    [60, 'D'],
    [59.9, 'F'],
  ])('grades %d as %s', (score, grade) => {
    expect(gradeFor(score)).toBe(grade);
  });
});
