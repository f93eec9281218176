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
import { failOnNew, gateInputOf, maxScoreDropRule } from './gate-rules.js';
import type { Report, ReportCheck, ReportGate } from './model.js';
import { strictWaiverReasons } from './waivers.js';

export const DEFAULT_MIN_COVERAGE = 80;

export type GateRule =
  | { kind: 'score'; failUnder: number }
  | { kind: 'coverage'; minCoverage: number; isDefault: boolean }
  /** --fail-on SEVERITY: any finding of a check at or above it fails. `failOn`: the value as the report records it. */
  | { kind: 'severity'; atOrAbove: Severity; failOn: string }
  /** --fail-on new: any finding the --baseline did not have (gate-rules.ts). */
  | { kind: 'new'; failOn: 'new' }
  /** --max-score-drop N: the score more than N points below the --baseline's. */
  | { kind: 'scoreDrop'; maxScoreDrop: number }
  /** --strict-waivers: a waiver that expired, matched nothing or cannot be read. */
  | { kind: 'waivers' };

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
/** Severities by rank, so that `info` (weight 0, like nothing) still sits below `low`. */
const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** What --fail-on accepts, in the order help lists them. */
export const FAIL_ON_VALUES: readonly string[] = [...SEVERITIES, 'new'];

const NEEDS_BASELINE = 'pass the JSON report of an earlier audit, e.g. --baseline main.json';

/** One --fail-on value as its rule; the one place a new kind of value is added. */
export function failOnRule(value: string, hasBaseline = false): GateRule {
  const v = value.trim().toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(v)) return { kind: 'severity', atOrAbove: v as Severity, failOn: v };
  if (v === 'new') {
    if (!hasBaseline) throw new KpostureError('usage', `--fail-on ${value} needs --baseline FILE`, NEEDS_BASELINE);
    return { kind: 'new', failOn: 'new' };
  }
  throw new KpostureError('usage', `--fail-on ${value}: unknown value`, `use one of ${FAIL_ON_VALUES.join(', ')}`);
}

export interface GateFlags {
  failUnder?: number;
  minCoverage?: number;
  failOn?: readonly string[];
  maxScoreDrop?: number;
  strictWaivers?: boolean;
  /** Whether --baseline was given: `--fail-on new` and --max-score-drop need it. */
  baseline?: string;
}

/** The gate's rules, in the order the verdict line lists them: score, findings, waivers, coverage. */
export function gateRules(flags: GateFlags): GateRule[] {
  const hasBaseline = flags.baseline !== undefined;
  const rules: GateRule[] = [];
  if (flags.failUnder !== undefined) rules.push({ kind: 'score', failUnder: flags.failUnder });
  if (flags.maxScoreDrop !== undefined) {
    if (!hasBaseline) throw new KpostureError('usage', '--max-score-drop needs --baseline FILE', NEEDS_BASELINE);
    rules.push({ kind: 'scoreDrop', maxScoreDrop: flags.maxScoreDrop });
  }
  const values = [...new Set((flags.failOn ?? []).map((v) => v.trim().toLowerCase()))];
  for (const value of values) rules.push(failOnRule(value, hasBaseline));
  if (flags.strictWaivers) rules.push({ kind: 'waivers' });
  // A gate on the score or on findings says little at low coverage: it needs a minimum too.
  const judgesFindings = rules.some((r) => r.kind !== 'waivers');
  if (flags.minCoverage !== undefined) rules.push({ kind: 'coverage', minCoverage: flags.minCoverage, isDefault: false });
  else if (judgesFindings) rules.push({ kind: 'coverage', minCoverage: DEFAULT_MIN_COVERAGE, isDefault: true });
  return rules;
}

interface Judgement {
  passed: boolean;
  /** Short, for the verdict line: `score 58.1 < 80`, `coverage 100%`. */
  text: string;
  /** When a failed rule has several reasons (--strict-waivers), each as the report lists it. */
  reasons?: string[];
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
      // Waived findings were accepted on purpose: they do not fail the gate. An explained finding
      // is counted once, as the finding of a check at least as severe that reports its cause.
      const standing = (c: ReportCheck): number => c.findings.filter((f) => !f.waived && !f.explainedBy).length;
      const failing = report.checks.filter((c) => RANK[c.severity] >= RANK[rule.atOrAbove] && standing(c) > 0);
      const count = failing.reduce((n, c) => n + standing(c), 0);
      if (count === 0) return { passed: true, text: `no finding at or above ${rule.atOrAbove}` };
      return { passed: false, text: `${count} finding${count === 1 ? '' : 's'} at or above ${rule.atOrAbove} (${listChecks(failing)})` };
    }
    case 'new':
      return fromReasons(failOnNew(gateInputOf(report)), 'no new finding since the baseline');
    case 'scoreDrop':
      return fromReasons(maxScoreDropRule(rule.maxScoreDrop)(gateInputOf(report)), `score drop ≤ ${rule.maxScoreDrop}`);
    case 'waivers':
      return fromReasons(strictWaiverReasons(report.waivers), 'waivers in order');
  }
}

function fromReasons(reasons: string[], passedText: string): Judgement {
  return reasons.length === 0 ? { passed: true, text: passedText } : { passed: false, text: reasons.join('; '), reasons };
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
  const drop = rules.find((r): r is Extract<GateRule, { kind: 'scoreDrop' }> => r.kind === 'scoreDrop');
  return {
    ...(score ? { failUnder: score.failUnder } : {}),
    ...(drop ? { maxScoreDrop: drop.maxScoreDrop } : {}),
    ...(rules.some((r) => r.kind === 'waivers') ? { strictWaivers: true as const } : {}),
    ...(coverage ? { minCoverage: coverage.minCoverage, ...(coverage.isDefault ? { minCoverageDefault: true } : {}) } : {}),
    ...(failOn.length > 0 ? { failOn } : {}),
    passed,
    reasons: judged.flatMap((j) => (j.passed ? [] : (j.reasons ?? [j.text]))),
    verdict: `gate ${passed ? 'passed' : 'failed'}: ${judged.map((j) => j.text).join('; ')}`,
  };
}
