import { Chalk, type ChalkInstance } from 'chalk';
import { visible } from '../util/terminal.js';
import type { CategoryDiff, ReportDiff } from './diff.js';
import type { FindingSummary, NotComparedCheck } from './model.js';

/** Renderers of `kposture diff`, by format name, sorted. Each turns one diff into text and prints nothing. */
export const DIFF_RENDERERS: Readonly<Record<string, (diff: ReportDiff, options: { color: boolean; width?: number }) => string>> = {
  json: (d) => `${JSON.stringify(d, null, 2)}\n`,
  markdown: (d) => renderDiffMarkdown(d),
  table: (d, o) => renderDiffTable(d, o),
};

export const DIFF_FORMATS = Object.keys(DIFF_RENDERERS);

const TABLE_WIDTH = 80;
/**
 * Findings listed per section: a diff against a much older report can hold thousands, and a
 * pull-request comment is limited (GitHub: 65,536 characters). JSON lists them all.
 */
const LISTED_FINDINGS = 50;

/**
 * The diff for a terminal or a CI log, no wider than 80 columns: what changed first (score,
 * coverage, categories), then checks that changed status, new and fixed findings, and the checks
 * that could not be compared. Text from the reports passes through `visible`.
 */
export function renderDiffTable(diff: ReportDiff, options: { color: boolean; width?: number }): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const width = options.width ?? TABLE_WIDTH;
  const out: string[] = [];
  out.push(c.bold('kposture diff'));
  for (const [label, side] of [
    ['old', diff.old],
    ['new', diff.new],
  ] as const) {
    out.push(...wrap(`${label}  ${side.file}  (${side.generatedAt}, kposture ${side.toolVersion})`, width, '  ', '       '));
  }
  out.push('');
  const grade = (g: string | null): string => (g ? ` (${g})` : '');
  out.push(
    `${c.bold('Score')}     ${number(diff.old.score)}${grade(diff.old.grade)} → ${number(diff.new.score)}${grade(diff.new.grade)}  ${signed(diff.change.score, c)}`,
  );
  out.push(`${c.bold('Coverage')}  ${diff.old.coverage}% → ${diff.new.coverage}%  ${signed(diff.change.coverage, c)}`);
  out.push('');
  out.push(c.bold(`${pad('Category', 30)}  ${pad('Score', 20)}  Coverage`));
  for (const cat of diff.categories) out.push(categoryLine(cat, c));

  if (diff.checks.length > 0) {
    out.push('', c.bold(`Checks that changed status (${diff.checks.length})`));
    for (const ch of diff.checks) {
      const change = `${ch.old} → ${ch.new}`;
      out.push(...wrap(`${ch.id.padEnd(7)} ${change.padEnd(26)} ${ch.title}`, width, '  ', ' '.repeat(37)));
    }
  }
  const { counts } = diff.findings;
  findingList(out, c.bold(`New findings (${counts.new})`), diff.findings.new, c.red('+'), width);
  findingList(out, c.bold(`Fixed findings (${counts.fixed})`), diff.findings.fixed, c.green('-'), width);
  if (diff.findings.notCompared.length > 0) {
    out.push('', c.bold(`Not compared (${diff.findings.notCompared.length}): one report did not evaluate the check`));
    for (const nc of diff.findings.notCompared) out.push(...wrap(notComparedText(nc), width, `  ${c.yellow('?')} `, '    '));
  }
  out.push('');
  out.push(`${counts.new} new, ${counts.unchanged} unchanged, ${counts.fixed} fixed, ${counts.unknown} not compared`);
  if (diff.gate?.passed) out.push(c.green('Gate passed'));
  else if (diff.gate) out.push(...wrap(`Gate failed: ${diff.gate.reasons.join('; ')}`, width, '', '  ').map((line) => c.red(line)));
  return `${out.join('\n')}\n`;
}

function categoryLine(cat: CategoryDiff, c: ChalkInstance): string {
  const score = `${number(cat.old.score).padStart(5)} → ${number(cat.new.score).padStart(5)} ${signed(cat.change.score, c, 6)}`;
  const coverage = `${percent(cat.old.coverage)} → ${percent(cat.new.coverage)}`;
  return `${pad(visible(cat.title), 30)}  ${score}  ${coverage}`;
}

function findingList(out: string[], title: string, findings: FindingSummary[], mark: string, width: number): void {
  if (findings.length === 0) return;
  out.push('', title);
  for (const f of findings.slice(0, LISTED_FINDINGS)) {
    out.push(...wrap(`${f.checkId} [${f.severity}] ${f.message}`, width, `  ${mark} `, '      '));
    out.push(...wrap(`verify: ${f.verify}`, width, '      ', '        '));
  }
  if (findings.length > LISTED_FINDINGS) out.push(`  … and ${findings.length - LISTED_FINDINGS} more (see --format json)`);
}

/** Why a check's findings are neither new nor fixed, in the words of the reader of a diff. */
function notComparedText(nc: NotComparedCheck): string {
  const was = nc.baselineStatus === 'not-run' ? 'not run in the old report' : `${nc.baselineStatus} in the old report`;
  const is = nc.status === 'not-run' ? 'not run in the new one' : `${nc.status} in the new one`;
  const what =
    nc.findings > 0 ? `its ${plural(nc.findings, 'finding')} not called new` : `the old report's ${plural(nc.baselineFindings, 'finding')} not called fixed`;
  return `${nc.checkId}: ${was}, ${is}: ${what}`;
}

/**
 * The diff as Markdown for a pull-request comment or $GITHUB_STEP_SUMMARY: the headline numbers
 * and new findings in view, the rest in collapsible sections. Text from the reports is escaped,
 * so an object name cannot inject markup or HTML.
 */
export function renderDiffMarkdown(diff: ReportDiff): string {
  const { counts } = diff.findings;
  const out: string[] = [];
  out.push(
    `### kposture: score ${number(diff.old.score)} → ${number(diff.new.score)} (${signedPlain(diff.change.score)}), ${counts.new} new, ${counts.fixed} fixed`,
  );
  out.push('');
  out.push('| | Old | New | Change |', '|---|---:|---:|---:|');
  const g = (grade: string | null): string => (grade ? ` (${grade})` : '');
  out.push(`| Score | ${number(diff.old.score)}${g(diff.old.grade)} | ${number(diff.new.score)}${g(diff.new.grade)} | ${signedPlain(diff.change.score)} |`);
  out.push(`| Coverage | ${diff.old.coverage}% | ${diff.new.coverage}% | ${signedPlain(diff.change.coverage)} |`);
  out.push(`| Findings | | | ${counts.new} new, ${counts.fixed} fixed, ${counts.unchanged} unchanged, ${counts.unknown} not compared |`);
  out.push('');
  out.push(`Old: ${md(diff.old.file)} (${md(diff.old.generatedAt)}); new: ${md(diff.new.file)} (${md(diff.new.generatedAt)}).`);
  if (diff.gate) {
    out.push('');
    out.push(diff.gate.passed ? '**Gate passed.**' : `**Gate failed:** ${md(diff.gate.reasons.join('; '))}`);
  }
  if (diff.findings.new.length > 0) {
    out.push('', `#### New findings (${counts.new})`, '');
    out.push(...findingTable(diff.findings.new));
  }
  details(out, `Fixed findings (${counts.fixed})`, diff.findings.fixed.length > 0 ? findingTable(diff.findings.fixed) : []);
  details(
    out,
    `Checks that changed status (${diff.checks.length})`,
    diff.checks.length > 0
      ? [
          '| Check | Severity | Old | New | Title |',
          '|---|---|---|---|---|',
          ...diff.checks.map((ch) => `| ${md(ch.id)} | ${ch.severity} | ${ch.old} | ${ch.new} | ${md(ch.title)} |`),
        ]
      : [],
  );
  details(out, 'Categories', [
    '| Category | Old score | New score | Change | Coverage |',
    '|---|---:|---:|---:|---|',
    ...diff.categories.map(
      (cat) =>
        `| ${md(cat.title)} | ${number(cat.old.score)} | ${number(cat.new.score)} | ${signedPlain(cat.change.score)} | ${percent(cat.old.coverage)} → ${percent(cat.new.coverage)} |`,
    ),
  ]);
  details(
    out,
    `Not compared (${diff.findings.notCompared.length})`,
    diff.findings.notCompared.map((nc) => `- ${md(notComparedText(nc))}`),
  );
  return `${out.join('\n')}\n`;
}

function findingTable(findings: FindingSummary[]): string[] {
  const object = (f: FindingSummary): string => `${f.resource.kind} ${f.resource.namespace ? `${f.resource.namespace}/` : ''}${f.resource.name}`;
  return [
    '| Check | Severity | Object | Finding | Verify |',
    '|---|---|---|---|---|',
    ...findings.slice(0, LISTED_FINDINGS).map((f) => `| ${md(f.checkId)} | ${f.severity} | ${md(object(f))} | ${md(f.message)} | ${code(f.verify)} |`),
    ...(findings.length > LISTED_FINDINGS ? ['', `… and ${findings.length - LISTED_FINDINGS} more (see \`kposture diff --format json\`).`] : []),
  ];
}

function details(out: string[], summary: string, body: string[]): void {
  if (body.length === 0) return;
  out.push('', `<details><summary>${summary}</summary>`, '', ...body, '', '</details>');
}

/** Text safe in a Markdown table cell: no markup, no HTML, no line break, no column split. */
function md(text: string): string {
  return visible(text)
    .replace(/[\\`*_[\]#~!]/g, (ch) => `\\${ch}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|');
}

/** A code span that holds any text: fenced by more backticks than it contains, `|` escaped for tables. */
function code(text: string): string {
  const clean = visible(text).replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const padded = clean.startsWith('`') || clean.endsWith('`') ? ` ${clean} ` : clean;
  return `${fence}${padded}${fence}`;
}

function number(score: number | null): string {
  return score === null ? '—' : score.toFixed(1);
}

function percent(value: number | null): string {
  return value === null ? '—' : `${value}%`;
}

function signedPlain(change: number | null): string {
  if (change === null) return '—';
  if (change === 0) return '±0';
  return change > 0 ? `+${change.toFixed(1)}` : `−${Math.abs(change).toFixed(1)}`;
}

/** A change, green when it went up, red when down; padded to `width` before coloring. */
function signed(change: number | null, c: ChalkInstance, width = 0): string {
  const text = signedPlain(change).padStart(width);
  if (change === null || change === 0) return c.dim(text);
  return change > 0 ? c.green(text) : c.red(text);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Left-aligned in `width` columns; cut with an ellipsis when longer. */
function pad(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/**
 * Text (escaped by `visible`) wrapped at spaces into lines of at most `width` columns: the first
 * after `first`, the others after `rest`. A word longer than a line is cut.
 */
function wrap(text: string, width: number, first: string, rest: string): string[] {
  const lines: string[] = [];
  let prefix = first;
  let line = '';
  const room = (): number => Math.max(10, width - visibleLength(prefix));
  for (let word of visible(text).split(' ')) {
    while (word.length > room()) {
      if (line) {
        lines.push(prefix + line);
        prefix = rest;
        line = '';
      }
      const cut = room();
      lines.push(prefix + word.slice(0, cut));
      prefix = rest;
      word = word.slice(cut);
    }
    const next = line ? `${line} ${word}` : word;
    if (next.length > room()) {
      lines.push(prefix + line);
      prefix = rest;
      line = word;
    } else line = next;
  }
  lines.push(prefix + line);
  return lines;
}

/** Columns a prefix takes: its text without the color codes chalk adds. */
function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
