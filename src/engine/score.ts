import { CATEGORIES, SEVERITY_WEIGHT, type CategoryId, type Outcome, type Subject } from './check.js';
import type { CheckResult } from './run.js';

export interface ScoredCheck extends CheckResult {
  /** 0–100, or null when the check is not scored (unknown, not-applicable). */
  score: number | null;
  weight: number;
}

export interface CategoryScore {
  id: CategoryId;
  title: string;
  inTotal: boolean;
  score: number | null;
  /** Weight of checks evaluated / weight of checks enabled and applicable. */
  evaluatedWeight: number;
  totalWeight: number;
}

export interface Scorecard {
  checks: ScoredCheck[];
  categories: CategoryScore[];
  score: number | null;
  grade: Grade | null;
  /** Share (0–100) of applicable weight that could be evaluated. */
  coverage: number;
}

export type Grade = 'A' | 'B' | 'C' | 'D' | 'F';

export const SCORING_METHOD = [
  'check score = 100 × (credit of compliant subjects) / (subjects examined); partial subjects earn partial credit',
  'check weight from severity: critical 5, high 3, medium 2, low 1, info 0 (shown, not scored)',
  'category score = weighted mean of its pass/fail checks; unknown and not-applicable checks are excluded',
  'overall score = mean of the evaluated checklist categories (multitenancy, policy engine, host OS, base images, NetworkPolicy; 20 points each); DIE is shown but not in the total',
  'coverage = weight of evaluated checks / weight of applicable checks; grade A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below',
];

export function gradeFor(score: number): Grade {
  if (score >= 90) return 'A';
  if (score >= 80) return 'B';
  if (score >= 70) return 'C';
  if (score >= 60) return 'D';
  return 'F';
}

/** Scores are kept to one decimal so that JSON output is stable and readable. */
function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function subjectCredit(s: Subject): number | undefined {
  switch (s.verdict) {
    case 'pass':
      return s.credit ?? 1;
    case 'fail':
      return s.credit ?? 0;
    case 'partial':
      return s.credit ?? 0.5;
    default:
      return undefined;
  }
}

export function checkScore(outcome: Outcome): number | null {
  if (outcome.status !== 'pass' && outcome.status !== 'fail') return null;
  const credits = outcome.subjects.map(subjectCredit).filter((c): c is number => c !== undefined);
  if (credits.length === 0) return outcome.status === 'pass' ? 100 : 0;
  return round1((100 * credits.reduce((a, b) => a + b, 0)) / credits.length);
}

export function scoreResults(results: CheckResult[], categoryWeights?: Partial<Record<CategoryId, boolean>>): Scorecard {
  const checks: ScoredCheck[] = results.map((r) => ({
    ...r,
    score: checkScore(r.outcome),
    weight: SEVERITY_WEIGHT[r.check.meta.severity],
  }));
  const categories: CategoryScore[] = CATEGORIES.map((cat) => {
    const inCat = checks.filter((c) => c.check.meta.category === cat.id && c.weight > 0);
    const applicable = inCat.filter((c) => c.outcome.status !== 'not-applicable');
    const evaluated = applicable.filter((c) => c.score !== null);
    const evaluatedWeight = evaluated.reduce((a, c) => a + c.weight, 0);
    const totalWeight = applicable.reduce((a, c) => a + c.weight, 0);
    const score = evaluatedWeight > 0 ? round1(evaluated.reduce((a, c) => a + (c.score as number) * c.weight, 0) / evaluatedWeight) : null;
    return { id: cat.id, title: cat.title, inTotal: categoryWeights?.[cat.id] ?? cat.inTotal, score, evaluatedWeight, totalWeight };
  });
  const counted = categories.filter((c) => c.inTotal);
  const scored = counted.filter((c) => c.score !== null);
  const score = scored.length > 0 ? round1(scored.reduce((a, c) => a + (c.score as number), 0) / scored.length) : null;
  const totalWeight = counted.reduce((a, c) => a + c.totalWeight, 0);
  const evaluatedWeight = counted.reduce((a, c) => a + c.evaluatedWeight, 0);
  const coverage = totalWeight > 0 ? round1((100 * evaluatedWeight) / totalWeight) : 0;
  return { checks, categories, score, grade: score === null ? null : gradeFor(score), coverage };
}
