/**
 * The CI gate: rules from the flags (--fail-under, --min-coverage, --fail-on), each judged on
 * the report's own numbers, and one line that says the verdict and why. Pure: the CLI prints the
 * line and sets the exit code.
 *
 * A gate on the score or on findings says little when most checks could not be evaluated (a
 * snapshot with only nodes scores well at 16% coverage), so such a gate also requires
 * DEFAULT_MIN_COVERAGE unless --min-coverage sets the minimum (`--min-coverage 0` drops it).
 */
import type { Severity } from '../engine/check.js';
import { KpostureError } from '../errors.js';
import type { Report, ReportCheck, ReportGate } from './model.js';

export const DEFAULT_MIN_COVERAGE = 80;

export type GateRule =
  | { kind: 'score'; failUnder: number }
  | { kind: 'coverage'; minCoverage: number; isDefault: boolean }
  /** --fail-on SEVERITY: any finding of a check at or above it fails. `failOn`: the value as the report records it. */
  | { kind: 'severity'; atOrAbove: Severity; failOn: string };

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
/** Severities by rank, so that `info` (weight 0, like nothing) still sits below `low`. */
const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** What --fail-on accepts, in the order help lists them. */
export const FAIL_ON_VALUES: readonly string[] = [...SEVERITIES];

/** One --fail-on value as its rule; the one place a new kind of value (e.g. `new`) is added. */
export function failOnRule(value: string): GateRule {
  const v = value.trim().toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(v)) return { kind: 'severity', atOrAbove: v as Severity, failOn: v };
  throw new KpostureError('usage', `--fail-on ${value}: unknown value`, `use one of ${FAIL_ON_VALUES.join(', ')}`);
}

export interface GateFlags {
  failUnder?: number;
  minCoverage?: number;
  failOn?: readonly string[];
}

/** The gate's rules, in the order the verdict line lists them: score, findings, coverage. */
export function gateRules(flags: GateFlags): GateRule[] {
  const rules: GateRule[] = [];
  if (flags.failUnder !== undefined) rules.push({ kind: 'score', failUnder: flags.failUnder });
  for (const value of flags.failOn ?? []) rules.push(failOnRule(value));
  if (flags.minCoverage !== undefined) rules.push({ kind: 'coverage', minCoverage: flags.minCoverage, isDefault: false });
  else if (rules.length > 0) rules.push({ kind: 'coverage', minCoverage: DEFAULT_MIN_COVERAGE, isDefault: true });
  return rules;
}

interface Judgement {
  passed: boolean;
  /** Short, for the verdict line: `score 58.1 < 80`, `coverage 100%`. */
  text: string;
}

function judge(report: Report, rule: GateRule): Judgement {
  switch (rule.kind) {
    case 'score':
      if (report.score === null) return { passed: false, text: `no score could be computed (coverage ${report.coverage}%), --fail-under ${rule.failUnder}` };
      return report.score < rule.failUnder
        ? { passed: false, text: `score ${report.score} < ${rule.failUnder}` }
        : { passed: true, text: `score ${report.score} ≥ ${rule.failUnder}` };
    case 'coverage':
      if (report.coverage >= rule.minCoverage) return { passed: true, text: `coverage ${report.coverage}%` };
      return {
        passed: false,
        text: rule.isDefault
          ? `coverage ${report.coverage}% is below the default minimum of ${rule.minCoverage}% (--min-coverage)`
          : `coverage ${report.coverage}% is below --min-coverage ${rule.minCoverage}`,
      };
    case 'severity': {
      const failing = report.checks.filter((c) => RANK[c.severity] >= RANK[rule.atOrAbove] && c.findings.length > 0);
      const count = failing.reduce((n, c) => n + c.findings.length, 0);
      if (count === 0) return { passed: true, text: `no finding at or above ${rule.atOrAbove}` };
      return { passed: false, text: `${count} finding${count === 1 ? '' : 's'} at or above ${rule.atOrAbove} (${listChecks(failing)})` };
    }
  }
}

function listChecks(checks: ReportCheck[]): string {
  const ids = checks.map((c) => c.id).sort((a, b) => a.localeCompare(b, 'en'));
  return ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
}

/** The gate as the report records it; undefined when no rule was asked for. */
export function evaluateGate(report: Report, rules: readonly GateRule[]): ReportGate | undefined {
  if (rules.length === 0) return undefined;
  const judged = rules.map((rule) => judge(report, rule));
  const passed = judged.every((j) => j.passed);
  const score = rules.find((r): r is Extract<GateRule, { kind: 'score' }> => r.kind === 'score');
  const coverage = rules.find((r): r is Extract<GateRule, { kind: 'coverage' }> => r.kind === 'coverage');
  const failOn = rules.flatMap((r) => ('failOn' in r ? [r.failOn] : []));
  return {
    ...(score ? { failUnder: score.failUnder } : {}),
    ...(coverage ? { minCoverage: coverage.minCoverage, ...(coverage.isDefault ? { minCoverageDefault: true } : {}) } : {}),
    ...(failOn.length > 0 ? { failOn } : {}),
    passed,
    reasons: judged.filter((j) => !j.passed).map((j) => j.text),
    verdict: `gate ${passed ? 'passed' : 'failed'}: ${judged.map((j) => j.text).join('; ')}`,
  };
}
