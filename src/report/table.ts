import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { Report, ReportCheck } from './model.js';
import { visible } from '../util/terminal.js';
import { baselineSummary } from './baseline.js';
import { waiverLines } from './waivers.js';
import { describeScope, describeSkipped } from './audit-notes.js';

const TOP_FINDINGS = 5;

/**
 * The human report: per-category summary, failing and unknown checks, score, grade, coverage.
 * Every text that came from the cluster, an input file or a plugin is passed through `visible`
 * before it is colored, so none of its control characters reaches the terminal.
 */
export function renderTable(report: Report, options: { color: boolean; showWaived?: boolean }): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const out: string[] = [];
  out.push(c.bold(visible(`kposture ${report.tool.version} — ${describeTarget(report)}`)));
  const scope = describeScope(report);
  if (scope) out.push(visible(scope));
  out.push('');
  out.push(categoryTable(report, c, options.color));
  const categoryOrder = new Map(report.categories.map((cat, i) => [cat.id, i]));
  const inCategoryOrder = (a: ReportCheck, b: ReportCheck): number =>
    (categoryOrder.get(a.category) ?? 99) - (categoryOrder.get(b.category) ?? 99) || a.id.localeCompare(b.id, 'en');
  const failing = report.checks.filter((ch) => ch.status === 'fail').sort(inCategoryOrder);
  if (failing.length > 0) {
    out.push('');
    out.push(c.bold('Failing checks'));
    for (const check of failing) out.push(...failingCheck(check, c));
  }
  const unknown = report.checks.filter((ch) => ch.status === 'unknown').sort(inCategoryOrder);
  if (unknown.length > 0) {
    out.push('');
    out.push(c.bold('Could not evaluate (unknown, excluded from the score)'));
    for (const check of unknown) out.push(`  ${c.yellow('?')} ${visible(`${check.id} ${check.title}: ${check.reason ?? ''}`)}`);
  }
  out.push(...waiverLines(report, c, options.showWaived ?? false));
  out.push('');
  out.push(scoreLine(report, c));
  if (report.baseline) out.push(visible(baselineSummary(report.baseline)));
  const skipped = describeSkipped(report);
  if (skipped) out.push(c.dim(visible(skipped)));
  out.push(c.dim('How the score is computed:'));
  for (const line of report.scoring.method) out.push(c.dim(`  - ${visible(line)}`));
  if (report.gate) {
    out.push('');
    out.push(report.gate.passed ? c.green('Gate passed') : c.red(`Gate failed: ${report.gate.reasons.join('; ')}`));
  }
  return `${out.join('\n')}\n`;
}

function describeTarget(report: Report): string {
  const t = report.target;
  const version = t.serverVersion ? `, Kubernetes ${t.serverVersion}` : '';
  if (t.source === 'live') return `context ${t.context ?? '?'} (${t.server ?? '?'}${version})`;
  return `snapshot ${(t.snapshots ?? []).join(', ')}${version}`;
}

function statusText(status: ReportCheck['status'], c: ChalkInstance): string {
  switch (status) {
    case 'pass':
      return c.green('pass');
    case 'fail':
      return c.red('fail');
    case 'unknown':
      return c.yellow('unknown');
    case 'not-applicable':
      return c.dim('n/a');
  }
}

function scoreText(score: number | null): string {
  return score === null ? '—' : String(score);
}

function categoryTable(report: Report, c: ChalkInstance, color: boolean): string {
  const table = new Table({
    head: ['Category', 'Score', 'Checks'],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
    wordWrap: true,
  });
  for (const cat of report.categories) {
    const checks = report.checks.filter((ch) => ch.category === cat.id);
    if (checks.length === 0) continue;
    const title = visible(cat.inTotal ? cat.title : `${cat.title} (not in total)`);
    const list = checks
      .map((ch) => `${visible(ch.id)} ${statusText(ch.status, c)}${ch.score !== null && ch.status === 'fail' ? ` ${ch.score}` : ''}`)
      .join('\n');
    table.push([title, scoreText(cat.score), list]);
  }
  return table.toString();
}

function failingCheck(check: ReportCheck, c: ChalkInstance): string[] {
  const scored = check.weight > 0 ? `score ${scoreText(check.score)}` : 'not scored';
  const lines = [`  ${c.red('✗')} ${c.bold(visible(check.id))} ${visible(check.title)} ${c.dim(`[${check.severity}, ${scored}]`)}`];
  const findings = check.findings.filter((f) => !f.waived);
  for (const f of findings.slice(0, TOP_FINDINGS)) {
    lines.push(`      - ${f.baseline === 'new' ? c.red('new: ') : ''}${visible(f.message)}`);
    lines.push(c.dim(`        ${visible(`${f.field}: ${f.evidence}`)}${f.affected ? ` (${f.affected.length} objects)` : ''}`));
    lines.push(c.dim(`        verify: ${visible(f.verify)}`));
  }
  const rest = findings.length - TOP_FINDINGS;
  if (rest > 0) lines.push(c.dim(`      … and ${rest} more (see --format json)`));
  lines.push(c.dim(`      fix: kposture explain ${visible(check.id)}`));
  return lines;
}

function scoreLine(report: Report, c: ChalkInstance): string {
  const colour = report.score === null ? c.yellow : report.score >= 80 ? c.green : report.score >= 60 ? c.yellow : c.red;
  const s = report.summary;
  return (
    `${c.bold('Score')} ${colour(scoreText(report.score))}/100  ${c.bold('Grade')} ${colour(report.grade ?? '—')}  ` +
    `${c.bold('Coverage')} ${report.coverage}%  (${s.pass} pass, ${s.fail} fail, ${s.unknown} unknown, ${s.notApplicable} n/a)`
  );
}
