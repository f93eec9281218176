import { Gauge, Registry } from 'prom-client';
import type { Severity } from '../engine/check.js';
import type { Report } from './model.js';

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const CHECK_STATUSES = ['pass', 'fail', 'unknown', 'not-applicable'] as const;
const KIND_STATUSES = ['ok', 'not-served', 'forbidden', 'error', 'missing'] as const;
/** Kind statuses whose checks could not use the kind: what an alert on "kinds in error" watches. */
const UNREADABLE = new Set<string>(['forbidden', 'error', 'missing']);

export interface MetricsInput {
  /** Wall time of the audit, from the start of the command to the report. */
  durationSeconds: number;
}

/**
 * The report as Prometheus metrics, in a registry of their own (no process or default metrics:
 * they would describe the short-lived audit process, not the cluster). Scores are 0-100 as in
 * every other report; coverage is a ratio (0-1), as Prometheus's conventions want for ratios.
 * A score that could not be computed is left out rather than written as 0. docs/in-cluster.md
 * lists the metrics and the alert rules written against them.
 */
export function metricsRegistry(report: Report, input: MetricsInput): Registry {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
    new Gauge<L>({ name: `kposture_${name}`, help, labelNames, registers: [registry] });

  gauge('info', 'The kposture version and what it audited (always 1)', ['version', 'source', 'context']).set(
    { version: report.tool.version, source: report.target.source, context: report.target.context ?? '' },
    1,
  );
  gauge('last_run_timestamp_seconds', 'When the audit ran, in seconds since the Unix epoch').set(Date.parse(report.generatedAt) / 1000);
  gauge('audit_duration_seconds', 'Wall time of the audit: reading the cluster or snapshot, the checks and the report').set(input.durationSeconds);
  if (report.score !== null) gauge('score', 'Overall posture score, 0-100 (absent when no check could be evaluated)').set(report.score);
  gauge('coverage_ratio', 'Share of the applicable check weight that could be evaluated, 0-1').set(report.coverage / 100);

  const category = gauge('category_score', 'Score of a checklist category, 0-100 (absent when none of its checks was evaluated)', ['category', 'in_total']);
  for (const c of report.categories) if (c.score !== null) category.set({ category: c.id, in_total: String(c.inTotal) }, c.score);

  const labels = (c: Report['checks'][number]): { check: string; category: string; severity: string } => ({
    check: c.id,
    category: c.category,
    severity: c.severity,
  });
  const checkScore = gauge('check_score', 'Score of a check, 0-100 (absent when the check is unknown or not applicable)', ['check', 'category', 'severity']);
  const checkStatus = gauge('check_status', "A check's outcome: 1 for its status, 0 for the others", ['check', 'category', 'severity', 'status']);
  for (const c of report.checks) {
    if (c.score !== null) checkScore.set(labels(c), c.score);
    for (const status of CHECK_STATUSES) checkStatus.set({ ...labels(c), status }, c.status === status ? 1 : 0);
  }

  const standing = new Map<string, number>(SEVERITIES.map((s) => [s, 0]));
  const waived = new Map<string, number>(SEVERITIES.map((s) => [s, 0]));
  for (const c of report.checks) {
    for (const f of c.findings) {
      // An explained finding is counted once, as the finding of the check where its cause belongs.
      if (f.explainedBy && !f.waived) continue;
      const counts = f.waived ? waived : standing;
      counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
    }
  }
  const findings = gauge('findings', 'Findings that stand (not waived, not explained by another check), by the severity of their check', ['severity']);
  const waivedFindings = gauge('waived_findings', 'Findings a waiver accepted, by the severity of their check', ['severity']);
  for (const s of SEVERITIES) {
    findings.set({ severity: s }, standing.get(s) ?? 0);
    waivedFindings.set({ severity: s }, waived.get(s) ?? 0);
  }

  const kinds = gauge('inventory_kinds', 'Kinds the audit needed, by how reading them went', ['status']);
  for (const status of KIND_STATUSES) kinds.set({ status }, report.inventory.filter((k) => k.status === status).length);
  const unreadable = gauge('inventory_kind_unreadable', 'A kind that could not be read (forbidden, error or missing): its checks are unknown', [
    'kind',
    'status',
  ]);
  for (const k of report.inventory) if (UNREADABLE.has(k.status)) unreadable.set({ kind: k.kind, status: k.status }, 1);

  if (report.gate) gauge('gate_passed', 'Whether the gate (--fail-under, --fail-on, ...) passed: 1 or 0').set(report.gate.passed ? 1 : 0);
  return registry;
}

/** The Prometheus text exposition format of metricsRegistry. */
export function renderPrometheus(report: Report, input: MetricsInput): Promise<string> {
  return metricsRegistry(report, input).metrics();
}
