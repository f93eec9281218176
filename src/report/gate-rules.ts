import { KpostureError } from '../errors.js';
import type { FindingSummary, Report } from './model.js';

/** What a gate rule judges: the report of this run and, with a baseline, what changed since. */
export interface GateInput {
  report: Report;
  baseline?: { file: string; score: number | null; newFindings: readonly FindingSummary[] };
}

/** Why the gate fails, one sentence each; none when the rule is satisfied. */
export type GateRule = (input: GateInput) => string[];

interface FailOnValue {
  /** Whether the value means anything without --baseline (diff always has one). */
  needsBaseline: boolean;
  rule: GateRule;
}

/**
 * The values `--fail-on` takes, by name. Each maps to a rule; a value that needs a baseline is a
 * usage error without one. Severities (`--fail-on high`) join this map as their own entries.
 */
const FAIL_ON: Readonly<Record<string, FailOnValue>> = {
  new: { needsBaseline: true, rule: failOnNew },
};

export const FAIL_ON_VALUES = Object.keys(FAIL_ON);

/** The rule for one `--fail-on` value (case-insensitive), or a one-line usage error. */
export function failOnRule(value: string, hasBaseline: boolean): GateRule {
  const entry = FAIL_ON[value.toLowerCase()];
  if (!entry) throw new KpostureError('usage', `--fail-on ${value}: expected one of ${FAIL_ON_VALUES.join(', ')}`, 'see --help for the values');
  if (entry.needsBaseline && !hasBaseline) {
    throw new KpostureError('usage', `--fail-on ${value} needs --baseline FILE`, 'pass the JSON report of an earlier audit, e.g. --baseline main.json');
  }
  return entry.rule;
}

/** --max-score-drop N: the score may fall at most N points below the baseline's. */
export function maxScoreDropRule(points: number): GateRule {
  return ({ report, baseline }) => {
    // Without a baseline score (nothing was evaluated then) nothing can have dropped.
    if (!baseline || baseline.score === null) return [];
    if (report.score === null) {
      return [`no score could be computed (coverage ${report.coverage}%), the baseline's was ${baseline.score}, --max-score-drop ${points}`];
    }
    // Compared on the printed, one-decimal numbers, like --fail-under.
    const drop = Math.round((baseline.score - report.score) * 10) / 10;
    if (drop <= points) return [];
    return [`score ${report.score} is ${drop} points below the baseline's ${baseline.score}, more than --max-score-drop ${points}`];
  };
}

/** Why --fail-on new fails: the new findings, by check; none when nothing is new. */
export function failOnNew({ baseline }: GateInput): string[] {
  const found = baseline?.newFindings ?? [];
  if (found.length === 0) return [];
  const perCheck = new Map<string, number>();
  for (const f of found) perCheck.set(f.checkId, (perCheck.get(f.checkId) ?? 0) + 1);
  const checks = [...perCheck.entries()].sort(([a], [b]) => a.localeCompare(b, 'en')).map(([id, n]) => `${id} (${n})`);
  const shown = checks.length > 5 ? [...checks.slice(0, 5), `${checks.length - 5} more checks`] : checks;
  const noun = found.length === 1 ? 'finding is' : 'findings are';
  return [`${found.length} ${noun} new since the baseline ${baseline!.file}: ${shown.join(', ')}, --fail-on new`];
}

/** The gate input of a report compared with a baseline by compareWithBaseline (baseline.ts). */
export function gateInputOf(report: Report): GateInput {
  if (!report.baseline) return { report };
  // A waived finding was accepted on purpose: it stays marked new, but does not fail the gate.
  const newFindings = report.checks.flatMap((c) => c.findings.filter((f) => f.baseline === 'new' && !f.waived));
  return { report, baseline: { file: report.baseline.file, score: report.baseline.score, newFindings } };
}

/** The gate flags that compare with a baseline, as the report's `gate` records them. */
export interface BaselineGateSettings {
  failOn?: string[];
  maxScoreDrop?: number;
}

/** The rules those flags ask for; a usage error for an unknown value or a missing --baseline. */
export function baselineGateRules(settings: BaselineGateSettings, hasBaseline: boolean): GateRule[] {
  const values = [...new Set((settings.failOn ?? []).map((v) => v.toLowerCase()))];
  const rules = values.map((value) => failOnRule(value, hasBaseline));
  if (settings.maxScoreDrop !== undefined) {
    if (!hasBaseline)
      throw new KpostureError('usage', '--max-score-drop needs --baseline FILE', 'pass the JSON report of an earlier audit, e.g. --baseline main.json');
    rules.push(maxScoreDropRule(settings.maxScoreDrop));
  }
  return rules;
}
