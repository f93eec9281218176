import type { Severity } from '../engine/check.js';
import type { ResourceRef } from '../k8s/object.js';
import type { Report, ReportCheck, ReportFinding } from './model.js';

/**
 * What every human format (table, Markdown, HTML, JUnit) says the same way: which checks fail
 * and in what order, which are only notes, what a failure costs, how the target and the gate
 * read. Each renderer lays these out; none decides them on its own.
 */

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/** Severities, most severe first (the filters of the HTML report list them in this order). */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/**
 * Whether a check's result moves the overall score: it has a weight (info checks have none) and
 * its category counts in the total (DIE does not unless configured). A failing check that is not
 * scored is a note, shown apart from the failures.
 */
export function isScored(report: Report, check: ReportCheck): boolean {
  return check.weight > 0 && report.categories.some((c) => c.id === check.category && c.inTotal);
}

/**
 * Points of the overall score a check's shortfall costs: its weight's share of its category's
 * evaluated weight, times what it misses of 100, divided among the categories in the mean
 * (docs/scoring.md). Raising the check to 100 raises the score by about this much.
 */
export function pointsLost(report: Report, check: ReportCheck): number {
  if (!isScored(report, check) || check.score === null) return 0;
  const categories = report.categories.filter((c) => c.inTotal && c.score !== null).length;
  const categoryWeight = report.checks.filter((c) => c.category === check.category && c.weight > 0 && c.score !== null).reduce((sum, c) => sum + c.weight, 0);
  if (categories === 0 || categoryWeight === 0) return 0;
  return Math.round((10 * check.weight * (100 - check.score)) / categoryWeight / categories) / 10;
}

/** The checks a reader looks at, each group in the order it is shown. */
export interface CheckGroups {
  /** Failing scored checks: most severe first, then the costliest, then by id. */
  failing: ReportCheck[];
  /** Failing checks that are not scored (info, or a category outside the total), in the same order. */
  notes: ReportCheck[];
  /** Checks that could not be evaluated, most severe first. */
  unknown: ReportCheck[];
}

export function groupChecks(report: Report): CheckGroups {
  const cost = new Map(report.checks.map((c) => [c.id, pointsLost(report, c)]));
  const byConcern = (a: ReportCheck, b: ReportCheck): number =>
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || cost.get(b.id)! - cost.get(a.id)! || a.id.localeCompare(b.id, 'en');
  const failed = report.checks.filter((c) => c.status === 'fail');
  return {
    failing: failed.filter((c) => isScored(report, c)).sort(byConcern),
    notes: failed.filter((c) => !isScored(report, c)).sort(byConcern),
    unknown: report.checks.filter((c) => c.status === 'unknown').sort(byConcern),
  };
}

/** What was audited, in one line: `snapshot a, b, Kubernetes v1.30.4` or `context prod (https://…)`. */
export function describeTarget(report: Report): string {
  const t = report.target;
  const version = t.serverVersion ? `, Kubernetes ${t.serverVersion}` : '';
  if (t.source === 'live') return `context ${t.context ?? '?'} (${t.server ?? '?'}${version})`;
  if (t.source === 'manifests') return `manifests ${(t.manifests ?? []).join(', ')}`;
  return `snapshot ${(t.snapshots ?? []).join(', ')}${version}`;
}

export function scoreText(score: number | null): string {
  return score === null ? '—' : String(score);
}

/** `Gate passed`, `Gate failed: <reasons>`, or undefined when no gate was asked for. */
export function gateSummary(report: Report): string | undefined {
  if (!report.gate) return undefined;
  return report.gate.passed ? 'Gate passed' : `Gate failed: ${report.gate.reasons.join('; ')}`;
}

/** `8 pass, 15 fail, 2 notes, 1 unknown, 1 not applicable; 45 findings`: zero counts left out. */
export function countsSummary(report: Report): string {
  const { failing, notes, unknown } = groupChecks(report);
  const s = report.summary;
  const parts = [
    `${s.pass} pass`,
    `${failing.length} fail`,
    ...(notes.length > 0 ? [`${notes.length} not scored`] : []),
    ...(unknown.length > 0 ? [`${unknown.length} unknown`] : []),
    ...(s.notApplicable > 0 ? [`${s.notApplicable} not applicable`] : []),
  ];
  // Explained findings are not counted: each check that has some says so in one line.
  const waived = s.waived ? ` (${s.waived} more waived)` : '';
  return `${report.checks.length} checks: ${parts.join(', ')}; ${s.findings} finding${s.findings === 1 ? '' : 's'}${waived}`;
}

/** Why a check is not scored, for its note. */
export function notScoredReason(check: ReportCheck): string {
  return check.weight === 0 ? 'info, not scored' : 'not scored: its category is not in the total';
}

/** `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects. */
export function objectName(ref: ResourceRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/**
 * `high · costs 4.2 points · score 33.3` for a failing check; for a note `info, not scored ·
 * score 0` or `high · not scored: its category is not in the total · score 50`.
 */
export function checkFacts(report: Report, check: ReportCheck): string {
  const score = check.score === null ? [] : [`score ${check.score}`];
  if (!isScored(report, check)) return [...(check.weight === 0 ? [] : [check.severity]), notScoredReason(check), ...score].join(' · ');
  const lost = pointsLost(report, check);
  return [check.severity, `costs ${lost} point${lost === 1 ? '' : 's'}`, ...score].join(' · ');
}

/** The checks of a category in the report, in report order. */
export function checksOf(report: Report, categoryId: string): ReportCheck[] {
  return report.checks.filter((c) => c.category === categoryId);
}

/**
 * Short words shown before a finding in every human format (table, Markdown, HTML, JUnit), such
 * as its baseline state (`new`) or that a waiver covers it. The one place that decides them.
 */
export function findingTags(finding: ReportFinding): string[] {
  return [
    ...(finding.baseline === 'new' ? ['new'] : []),
    ...(finding.waived ? ['waived'] : []),
    ...(finding.explainedBy ? [`see ${finding.explainedBy.join(', ')}`] : []),
    ...(finding.explains ? [`also ${finding.explains.join(', ')}`] : []),
  ];
}
