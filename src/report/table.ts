import { Chalk, type ChalkInstance } from 'chalk';
import type { Report, ReportCheck, ReportFinding } from './model.js';
import { visible } from '../util/terminal.js';
import { checkFacts, checksOf, countsSummary, describeTarget, findingTags, gateSummary, groupChecks, notScoredReason, scoreText } from './view.js';
import { columns, wrap, wrapCommand } from './wrap.js';
import { baselineSummary } from './baseline.js';
import { waiverLines } from './waivers.js';
import { describeScope, describeSkipped } from './audit-notes.js';

export interface TableOptions {
  color: boolean;
  /** Columns of the terminal or log (80 when unknown): no line is longer. */
  width?: number;
  /** Also print how the score is computed (the JSON report always carries it). */
  verbose?: boolean;
  /** Print the summary alone: target, score, gate and counts. */
  quiet?: boolean;
  /** List each waived finding with its waiver (the count is always shown). */
  showWaived?: boolean;
}

const DEFAULT_WIDTH = 80;
/** Below this, lines would hold a word or two: narrower terminals get lines this long. */
const MIN_WIDTH = 40;
/** Findings shown per failing check, and per note (a check that is not scored). */
const TOP_FINDINGS = 3;
const TOP_NOTE_FINDINGS = 1;

/**
 * The human report, for an 80-column terminal and a CI log: the summary first (score, grade,
 * coverage, gate, counts), one block per category with its failing checks, then the failing
 * checks most severe and costliest first with their top findings, the notes (checks that are not
 * scored) and the unknown checks with their reason. Every line fits `width`.
 * Every text that came from the cluster, an input file or a plugin is passed through `visible`
 * before it is wrapped and colored, so none of its control characters reaches the terminal.
 */
export function renderTable(report: Report, options: TableOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const width = Math.max(MIN_WIDTH, options.width ?? DEFAULT_WIDTH);
  const out: string[] = [];
  out.push(...wrap(visible(`kposture ${report.tool.version} — ${describeTarget(report)}`), width).map((l) => c.bold(l)));
  const scope = describeScope(report);
  if (scope) out.push(...wrap(visible(scope), width, '', '  '));
  out.push('');
  out.push(...summary(report, c, width));
  if (options.quiet) return `${out.join('\n')}\n`;

  const groups = groupChecks(report);
  out.push('');
  out.push(...categories(report, c, width));
  if (groups.failing.length > 0) {
    out.push('');
    out.push(c.bold('Failing checks, most severe and costliest first'));
    for (const check of groups.failing) out.push(...checkBlock(report, check, c, width, c.red('✗'), TOP_FINDINGS));
  }
  if (groups.notes.length > 0) {
    out.push('');
    out.push(c.bold('Notes: findings of checks that are not scored'));
    for (const check of groups.notes) out.push(...checkBlock(report, check, c, width, c.cyan('i'), TOP_NOTE_FINDINGS));
  }
  if (groups.unknown.length > 0) {
    out.push('');
    out.push(c.bold('Could not evaluate (unknown, excluded from the score)'));
    for (const check of groups.unknown) {
      const lines = wrap(visible(`${check.id} ${check.title}: ${check.reason ?? ''}`), width, '  ? ', '    ');
      out.push(`  ${c.yellow('?')}${lines[0]!.slice(3)}`, ...lines.slice(1));
    }
  }
  out.push(...waiverLines(report, c, options.showWaived ?? false, width));
  out.push('');
  if (options.verbose) {
    out.push(c.bold('How the score is computed'));
    for (const line of report.scoring.method) out.push(...wrap(visible(line), width, '  - ', '    ').map((l) => c.dim(l)));
  } else {
    out.push(
      ...wrap('`kposture explain ID` tells why a check matters and how to fix it; --verbose shows how the score is computed.', width).map((l) => c.dim(l)),
    );
  }
  return `${out.join('\n')}\n`;
}

function summary(report: Report, c: ChalkInstance, width: number): string[] {
  const tone = report.score === null ? c.yellow : report.score >= 80 ? c.green : report.score >= 60 ? c.yellow : c.red;
  const lines = [
    `${c.bold('Score')} ${tone(`${scoreText(report.score)}/100`)}  ${c.bold('Grade')} ${tone(report.grade ?? '—')}  ${c.bold('Coverage')} ${report.coverage}%`,
  ];
  const gate = gateSummary(report);
  if (gate) lines.push(...wrap(visible(gate), width, '', '  ').map((l) => (report.gate?.passed ? c.green(l) : c.red(l))));
  lines.push(...wrap(countsSummary(report), width));
  if (report.baseline) lines.push(...wrap(visible(baselineSummary(report.baseline)), width, '', '  '));
  const skipped = describeSkipped(report);
  if (skipped) lines.push(...wrap(visible(skipped), width, '', '  ').map((l) => c.dim(l)));
  return lines;
}

/** One line per category (title, counts, score), then its failing checks and notes one per line. */
function categories(report: Report, c: ChalkInstance, width: number): string[] {
  const groups = groupChecks(report);
  const failing = new Set(groups.failing.map((ch) => ch.id));
  const notes = new Set(groups.notes.map((ch) => ch.id));
  const lines = [c.bold(`${'Categories'.padEnd(width - 6)}${'score'.padStart(6)}`)];
  for (const cat of report.categories) {
    const checks = checksOf(report, cat.id);
    if (checks.length === 0) continue;
    const count = (status: ReportCheck['status']): number => checks.filter((ch) => ch.status === status).length;
    const counts = [`${count('pass')} pass`, `${count('fail')} fail`];
    if (count('unknown') > 0) counts.push(`${count('unknown')} unknown`);
    if (count('not-applicable') > 0) counts.push(`${count('not-applicable')} n/a`);
    const title = visible(cat.inTotal ? cat.title : `${cat.title} (not in total)`);
    const score = scoreText(cat.score).padStart(6);
    const head = `${title}  ${c.dim(counts.join(', '))}`;
    const headWidth = columns(title) + 2 + columns(counts.join(', '));
    if (headWidth + 6 <= width) lines.push(`${head}${' '.repeat(width - 6 - headWidth)}${c.bold(score)}`);
    else lines.push(...wrap(`${title} ${counts.join(', ')} ${score.trim()}`, width, '', '  '));
    const shown = [...groups.failing, ...groups.notes].filter((ch) => ch.category === cat.id);
    for (const check of shown) {
      const mark = failing.has(check.id) ? c.red('✗') : notes.has(check.id) ? c.cyan('i') : ' ';
      // A note's category line says already when the whole category is outside the total.
      const suffix = failing.has(check.id) ? '' : check.weight === 0 ? ` (${notScoredReason(check)})` : ' (not scored)';
      const wrapped = wrap(visible(`${check.id} ${check.title}${suffix}`), width, '  ✗ ', '      ');
      lines.push(`  ${mark}${wrapped[0]!.slice(3)}`, ...wrapped.slice(1));
    }
  }
  return lines;
}

/** A failing check or a note: its title, facts, and its top findings with evidence and command. */
function checkBlock(report: Report, check: ReportCheck, c: ChalkInstance, width: number, mark: string, top: number): string[] {
  const title = wrap(visible(`${check.id} ${check.title}`), width, '  ✗ ', '    ');
  const lines = [`  ${mark} ${c.bold(visible(check.id))}${title[0]!.slice(4 + columns(visible(check.id)))}`, ...title.slice(1)];
  lines.push(...wrap(checkFacts(report, check), width, '    ').map((l) => c.dim(l)));
  // Waived findings are listed in the Waivers section, not here: they do not fail the check.
  const standing = check.findings.filter((f) => !f.waived && !f.explainedBy);
  for (const f of standing.slice(0, top)) lines.push(...findingLines(f, c, width));
  const rest = standing.length - top;
  if (rest > 0) lines.push(...wrap(`… and ${rest} more (the json, markdown and html formats list them all)`, width, '    ').map((l) => c.dim(l)));
  // Findings another check reports already: one line, not the same finding again.
  const explained = check.findings.filter((f) => f.explainedBy && !f.waived);
  if (explained.length > 0) lines.push(...wrap(visible(explainedLine(explained)), width, '    = ', '      ').map((l) => c.dim(l)));
  // Checks this one makes moot (CheckMeta.requires): said once, here, rather than as their findings.
  const moot = report.checks.filter((other) => other.failedPremise?.check === check.id);
  if (moot.length > 0) {
    const why = [...new Set(moot.map((m) => m.failedPremise!.because))].join('; ');
    lines.push(
      ...wrap(visible(`${moot.map((m) => m.id).join(', ')} not applicable until this is fixed: ${why}`), width, '    = ', '      ').map((l) => c.dim(l)),
    );
  }
  return lines;
}

/** `same root cause as NP-02's findings: Namespace default, Namespace kyverno`, per explaining check. */
function explainedLine(findings: readonly ReportFinding[]): string {
  const byChecks = new Map<string, string[]>();
  for (const f of findings) {
    const key = f.explainedBy!.join(', ');
    byChecks.set(key, [...(byChecks.get(key) ?? []), `${f.resource.kind} ${f.resource.namespace ? `${f.resource.namespace}/` : ''}${f.resource.name}`]);
  }
  return [...byChecks].map(([checks, objects]) => `same root cause as the findings of ${checks}: ${[...new Set(objects)].join(', ')}`).join('; ');
}

/**
 * A finding in three parts: what is wrong, the evidence (left out when the sentence already
 * quotes it), the command that shows it.
 */
function findingLines(f: ReportFinding, c: ChalkInstance, width: number): string[] {
  const affected = f.affected ? ` (${f.affected.length} object${f.affected.length === 1 ? '' : 's'})` : '';
  const evidence = f.message.includes(f.evidence) && affected === '' ? [] : wrap(visible(`${f.field}: ${f.evidence}`) + affected, width, '      ');
  return [
    ...wrap(visible([...findingTags(f).map((t) => `[${t}]`), f.message].join(' ')), width, '    - ', '      '),
    ...evidence.map((l) => c.dim(l)),
    ...wrapCommand(visible(f.verify), width, '      $ ', '          ').map((l) => c.dim(l)),
  ];
}
