import type { Grade } from '../engine/score.js';
import { bySubject, compareFindings, summarize } from './baseline.js';
import { baselineGateRules, type BaselineGateSettings } from './gate-rules.js';
import type { FindingSummary, NotComparedCheck, Report, ReportCheck, ReportFinding } from './model.js';

/** Version of the `kposture diff --format json` document (schemas/diff.schema.json, docs/diff.md). */
export const DIFF_SCHEMA_VERSION = '1.0';

type CheckStatus = ReportCheck['status'] | 'not-run';

export interface DiffSide {
  file: string;
  generatedAt: string;
  toolVersion: string;
  score: number | null;
  grade: Grade | null;
  coverage: number;
}

export interface CategoryDiff {
  id: string;
  title: string;
  inTotal: boolean;
  old: { score: number | null; coverage: number | null };
  new: { score: number | null; coverage: number | null };
  /** new − old, one decimal; null when either side has none. */
  change: { score: number | null; coverage: number | null };
}

export interface CheckStatusChange {
  id: string;
  title: string;
  category: string;
  severity: string;
  old: CheckStatus;
  new: CheckStatus;
  oldScore: number | null;
  newScore: number | null;
}

export interface ReportDiff {
  schemaVersion: string;
  old: DiffSide;
  new: DiffSide;
  change: { score: number | null; coverage: number };
  categories: CategoryDiff[];
  /** Checks whose status differs (pass → fail, fail → unknown, …), sorted by id. */
  checks: CheckStatusChange[];
  findings: {
    counts: { new: number; unchanged: number; fixed: number; unknown: number };
    new: FindingSummary[];
    fixed: FindingSummary[];
    notCompared: NotComparedCheck[];
  };
  gate?: { failOn?: string[]; maxScoreDrop?: number; passed: boolean; reasons: string[] };
}

/**
 * What changed from one report to the next: score and coverage overall and per category, checks
 * whose status changed, and findings matched by fingerprint as `--baseline` matches them
 * (baseline.ts: a check one side did not evaluate is not compared).
 */
export function diffReports(before: Report, after: Report, files: { old: string; new: string }): ReportDiff {
  const comparison = compareFindings(before, after);
  const newFindings: ReportFinding[] = [];
  for (const [finding, state] of comparison.states) if (state === 'new') newFindings.push(finding);
  return {
    schemaVersion: DIFF_SCHEMA_VERSION,
    old: sideOf(before, files.old),
    new: sideOf(after, files.new),
    change: { score: change(before.score, after.score), coverage: change(before.coverage, after.coverage)! },
    categories: categoriesOf(before, after),
    checks: statusChanges(before, after),
    findings: {
      counts: comparison.counts,
      new: newFindings.map(summarize).sort(bySubject),
      fixed: comparison.fixed,
      notCompared: comparison.notCompared,
    },
  };
}

/** The diff's gate: `--fail-on new` and `--max-score-drop` judged with the old report as the baseline. */
export function gateOfDiff(diff: ReportDiff, after: Report, settings: BaselineGateSettings): ReportDiff['gate'] {
  const rules = baselineGateRules(settings, true);
  if (rules.length === 0) return undefined;
  const input = { report: after, baseline: { file: diff.old.file, score: diff.old.score, newFindings: diff.findings.new } };
  const reasons = rules.flatMap((rule) => rule(input));
  const failOn = [...new Set((settings.failOn ?? []).map((v) => v.toLowerCase()))];
  return {
    ...(failOn.length > 0 ? { failOn } : {}),
    ...(settings.maxScoreDrop !== undefined ? { maxScoreDrop: settings.maxScoreDrop } : {}),
    passed: reasons.length === 0,
    reasons,
  };
}

function sideOf(report: Report, file: string): DiffSide {
  return { file, generatedAt: report.generatedAt, toolVersion: report.tool.version, score: report.score, grade: report.grade, coverage: report.coverage };
}

function change(before: number | null, after: number | null): number | null {
  return before === null || after === null ? null : Math.round((after - before) * 10) / 10;
}

/** Categories in the newer report's order, then any only the older one has. */
function categoriesOf(before: Report, after: Report): CategoryDiff[] {
  const ids = [...new Set([...after.categories.map((c) => c.id), ...before.categories.map((c) => c.id)])];
  return ids.map((id) => {
    const a = after.categories.find((c) => c.id === id);
    const b = before.categories.find((c) => c.id === id);
    const old = { score: b?.score ?? null, coverage: categoryCoverage(before, id) };
    const now = { score: a?.score ?? null, coverage: categoryCoverage(after, id) };
    return {
      id,
      title: (a ?? b)!.title,
      inTotal: (a ?? b)!.inTotal,
      old,
      new: now,
      change: { score: change(old.score, now.score), coverage: change(old.coverage, now.coverage) },
    };
  });
}

/**
 * A category's coverage as the overall one is computed (scoring.md): the weight of its evaluated
 * checks over the weight of its applicable ones; null when it has no applicable scored check.
 */
function categoryCoverage(report: Report, category: string): number | null {
  const applicable = report.checks.filter((c) => c.category === category && c.weight > 0 && c.status !== 'not-applicable');
  const total = applicable.reduce((n, c) => n + c.weight, 0);
  if (total === 0) return null;
  const evaluated = applicable.filter((c) => c.status === 'pass' || c.status === 'fail').reduce((n, c) => n + c.weight, 0);
  return Math.round((1000 * evaluated) / total) / 10;
}

function statusChanges(before: Report, after: Report): CheckStatusChange[] {
  const old = new Map(before.checks.map((c) => [c.id, c]));
  const now = new Map(after.checks.map((c) => [c.id, c]));
  const ids = [...new Set([...old.keys(), ...now.keys()])].sort((a, b) => a.localeCompare(b, 'en'));
  const changes: CheckStatusChange[] = [];
  for (const id of ids) {
    const b = old.get(id);
    const a = now.get(id);
    const from: CheckStatus = b?.status ?? 'not-run';
    const to: CheckStatus = a?.status ?? 'not-run';
    if (from === to) continue;
    const meta = (a ?? b)!;
    changes.push({
      id,
      title: meta.title,
      category: meta.category,
      severity: meta.severity,
      old: from,
      new: to,
      oldScore: b?.score ?? null,
      newScore: a?.score ?? null,
    });
  }
  return changes;
}
