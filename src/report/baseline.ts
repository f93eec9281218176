import { compareRefs } from '../k8s/object.js';
import type { BaselineState, FindingSummary, NotComparedCheck, Report, ReportBaseline, ReportCheck, ReportFinding } from './model.js';

/**
 * Findings of two reports matched by fingerprint (fingerprint.ts: check id + object + cause, blind
 * to wording and line numbers). A check one of the two runs did not evaluate (unknown, or not run
 * at all: skipped, or new in this kposture version) is not compared: its findings are neither
 * new nor fixed, because nobody looked last time (or this time). Not-applicable counts as
 * evaluated: "nothing to check" is a fact, so findings after it are new and findings before it
 * are fixed.
 */
export interface FindingComparison {
  /** The newer report's findings, each with its state; in the newer report's order. */
  states: Map<ReportFinding, BaselineState>;
  /** The older report's findings the newer one no longer has, sorted by check, object, fingerprint. */
  fixed: FindingSummary[];
  notCompared: NotComparedCheck[];
  counts: ReportBaseline['counts'];
}

export function compareFindings(before: Report, after: Report): FindingComparison {
  const beforeChecks = new Map(before.checks.map((c) => [c.id, c]));
  const afterChecks = new Map(after.checks.map((c) => [c.id, c]));
  const states = new Map<ReportFinding, BaselineState>();
  const notCompared: NotComparedCheck[] = [];
  const fixed: FindingSummary[] = [];
  for (const check of after.checks) {
    const old = beforeChecks.get(check.id);
    if (!evaluated(old)) {
      for (const f of check.findings) states.set(f, 'unknown');
      if (check.findings.length > 0) notCompared.push(notComparedEntry(check.id, old, check));
      continue;
    }
    const had = new Set(old.findings.map((f) => f.fingerprint));
    for (const f of check.findings) states.set(f, had.has(f.fingerprint) ? 'unchanged' : 'new');
  }
  for (const old of before.checks) {
    if (old.findings.length === 0) continue;
    const check = afterChecks.get(old.id);
    if (!evaluated(check)) {
      notCompared.push(notComparedEntry(old.id, old, check));
      continue;
    }
    const has = new Set(check.findings.map((f) => f.fingerprint));
    for (const f of old.findings) if (!has.has(f.fingerprint)) fixed.push(summarize(f));
  }
  const count = (state: BaselineState): number => [...states.values()].filter((s) => s === state).length;
  return {
    states,
    fixed: fixed.sort(bySubject),
    notCompared: notCompared.sort((a, b) => a.checkId.localeCompare(b.checkId, 'en')),
    counts: { new: count('new'), unchanged: count('unchanged'), fixed: fixed.length, unknown: count('unknown') },
  };
}

/**
 * The report with each finding marked new, unchanged or unknown against the baseline, and a
 * `baseline` entry naming the file, its score, the counts and the fixed findings.
 */
export function compareWithBaseline(report: Report, baseline: Report, file: string): Report {
  const comparison = compareFindings(baseline, report);
  return {
    ...report,
    checks: report.checks.map((c) =>
      c.findings.length === 0 ? c : { ...c, findings: c.findings.map((f) => ({ ...f, baseline: comparison.states.get(f)! })) },
    ),
    baseline: {
      file,
      generatedAt: baseline.generatedAt,
      score: baseline.score,
      coverage: baseline.coverage,
      counts: comparison.counts,
      fixed: comparison.fixed,
      notCompared: comparison.notCompared,
    },
  };
}

export function summarize(f: ReportFinding): FindingSummary {
  return { checkId: f.checkId, severity: f.severity, fingerprint: f.fingerprint, resource: f.resource, message: f.message, verify: f.verify };
}

/** Check id, then the object, then the fingerprint: the order of every finding list in a diff. */
export function bySubject(a: Pick<FindingSummary, 'checkId' | 'resource' | 'fingerprint'>, b: typeof a): number {
  return a.checkId.localeCompare(b.checkId, 'en') || compareRefs(a.resource, b.resource) || a.fingerprint.localeCompare(b.fingerprint, 'en');
}

function evaluated(check: ReportCheck | undefined): check is ReportCheck {
  return check !== undefined && check.status !== 'unknown';
}

function notComparedEntry(checkId: string, before: ReportCheck | undefined, after: ReportCheck | undefined): NotComparedCheck {
  return {
    checkId,
    baselineStatus: before?.status ?? 'not-run',
    status: after?.status ?? 'not-run',
    findings: after?.findings.length ?? 0,
    baselineFindings: before?.findings.length ?? 0,
  };
}

/** One line for the human reports: what the baseline was and what changed since. */
export function baselineSummary(baseline: ReportBaseline): string {
  const { counts } = baseline;
  const score = baseline.score === null ? 'no score' : `score ${baseline.score}`;
  const unknown = counts.unknown > 0 ? `, ${counts.unknown} not compared (check not evaluated in the baseline)` : '';
  return `Since baseline ${baseline.file} (${score}, ${baseline.generatedAt}): ${counts.new} new, ${counts.unchanged} unchanged, ${counts.fixed} fixed${unknown}`;
}
