/**
 * What every human format agrees on (src/report/view.ts): which checks are scored, what a
 * failing check costs, and the order a reader meets them in.
 */
import { describe, expect, it } from '@jest/globals';
import type { Report } from '../../src/report/model.js';
import { groupChecks, isScored, pointsLost } from '../../src/report/view.js';
import { FIXTURES, fixtureReport } from './formats-support.js';

/** The overall score recomputed from the checks, as docs/scoring.md defines it, with one check's score replaced. */
function scoreWith(report: Report, id: string, score: number): number {
  const means = report.categories
    .filter((cat) => cat.inTotal)
    .map((cat) => {
      const evaluated = report.checks.filter((c) => c.category === cat.id && c.weight > 0 && c.score !== null);
      const weight = evaluated.reduce((n, c) => n + c.weight, 0);
      return weight === 0 ? null : evaluated.reduce((n, c) => n + c.weight * (c.id === id ? score : c.score!), 0) / weight;
    })
    .filter((m): m is number => m !== null);
  return means.reduce((a, b) => a + b, 0) / means.length;
}

describe('the reader view of a report', () => {
  it.each(FIXTURES)('%s: a failing check costs what fixing it would add to the score', async (name) => {
    const report = await fixtureReport(name);
    const { failing, notes } = groupChecks(report);
    for (const check of failing) {
      const gain = scoreWith(report, check.id, 100) - scoreWith(report, check.id, check.score!);
      expect(Math.abs(pointsLost(report, check) - gain)).toBeLessThanOrEqual(0.05);
    }
    for (const check of notes) {
      expect(isScored(report, check)).toBe(false);
      expect(pointsLost(report, check)).toBe(0);
    }
  });

  it('counts the DIE category in when the config puts it in the total', async () => {
    const report = await fixtureReport('demo');
    const die = report.categories.find((c) => c.id === 'die')!;
    const dieCheck = report.checks.find((c) => c.id === 'DIE-03')!;
    expect(isScored(report, dieCheck)).toBe(false);
    const counted: Report = { ...report, categories: report.categories.map((c) => (c === die ? { ...c, inTotal: true } : c)) };
    expect(isScored(counted, dieCheck)).toBe(true);
    expect(groupChecks(counted).failing.map((c) => c.id)).toContain('DIE-03');
  });
});
