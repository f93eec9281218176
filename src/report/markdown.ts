import type { Report, ReportCheck, ReportFinding } from './model.js';
import { codeSpan, escapeHtml, markdownText } from './escape.js';
import { checkFacts, checksOf, countsSummary, describeTarget, findingTags, gateSummary, groupChecks, objectName, scoreText } from './view.js';

/**
 * Findings shown per check. GitHub caps a pull-request comment at 65,536 characters and a step
 * summary at 1 MiB; the JSON and HTML reports list every finding.
 */
const FINDINGS_PER_CHECK = 10;

/**
 * The Markdown report, for a pull-request comment or `$GITHUB_STEP_SUMMARY` (GitHub Flavored
 * Markdown): the summary and a table of categories first, then one collapsible `<details>` per
 * category with its failing checks, notes, unknown and passing checks. Everything that came from
 * the cluster is escaped (escape.ts): in code spans, or as text with no Markdown or HTML meaning.
 */
export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`## kposture: score ${scoreText(report.score)}/100, grade ${report.grade ?? '—'}`, '');
  const gate = gateSummary(report);
  if (gate) out.push(`${report.gate!.passed ? '✅' : '❌'} **${markdownText(gate)}**`, '');
  out.push('| Score | Grade | Coverage | Checks |', '|---:|:---:|---:|---|');
  out.push(`| ${scoreText(report.score)}/100 | ${report.grade ?? '—'} | ${report.coverage}% | ${markdownText(countsSummary(report))} |`, '');
  out.push(`Audited ${markdownText(describeTarget(report))} with kposture ${markdownText(report.tool.version)} at ${markdownText(report.generatedAt)}.`, '');

  const groups = groupChecks(report);
  const failing = new Set(groups.failing.map((c) => c.id));
  out.push('### Categories', '', '| Category | Score | Failing checks |', '|---|---:|---|');
  for (const cat of report.categories) {
    const checks = checksOf(report, cat.id);
    if (checks.length === 0) continue;
    const failed = groups.failing.filter((c) => c.category === cat.id);
    const title = markdownText(cat.inTotal ? cat.title : `${cat.title} (not in total)`);
    const list = failed.length > 0 ? failed.map((c) => `${markdownText(c.id)} ${markdownText(c.title)}`).join('<br>') : '—';
    out.push(`| ${title} | ${scoreText(cat.score)} | ${list} |`);
  }
  out.push('');

  for (const cat of report.categories) {
    const checks = checksOf(report, cat.id);
    if (checks.length === 0) continue;
    const ordered = [...groups.failing, ...groups.notes, ...groups.unknown].filter((c) => c.category === cat.id);
    const failedHere = ordered.filter((c) => failing.has(c.id)).length;
    const icon = failedHere > 0 ? '❌' : ordered.length > 0 ? 'ℹ️' : '✅';
    const findings = ordered.reduce((n, c) => n + c.findings.length, 0);
    const what = failedHere > 0 ? `${failedHere} failing, ${findings} finding${findings === 1 ? '' : 's'}` : 'nothing failing';
    out.push('<details>', `<summary>${icon} <strong>${escapeHtml(cat.title)}</strong>: ${scoreText(cat.score)} (${what})</summary>`, '');
    for (const check of ordered) out.push(...checkSection(report, check, failing.has(check.id)));
    const passed = checks.filter((c) => c.status === 'pass');
    if (passed.length > 0) out.push(`✅ Passed: ${passed.map((c) => `${markdownText(c.id)} ${markdownText(c.title)}`).join('; ')}`, '');
    const notApplicable = checks.filter((c) => c.status === 'not-applicable');
    if (notApplicable.length > 0) {
      out.push(`Not applicable: ${notApplicable.map((c) => `${markdownText(c.id)} (${markdownText(c.reason ?? 'nothing to check')})`).join('; ')}`, '');
    }
    out.push('</details>', '');
  }
  return `${out.join('\n')}\n`;
}

function checkSection(report: Report, check: ReportCheck, failing: boolean): string[] {
  if (check.status === 'unknown') {
    return [
      `#### ❔ ${markdownText(check.id)} ${markdownText(check.title)}`,
      '',
      `Unknown, excluded from the score: ${markdownText(check.reason ?? 'no reason given')}`,
      '',
    ];
  }
  const icon = failing ? '❌' : 'ℹ️';
  const facts = failing ? checkFacts(report, check) : `${checkFacts(report, check)} (a note, not a failure)`;
  const lines = [`#### ${icon} ${markdownText(check.id)} ${markdownText(check.title)}`, '', markdownText(facts), ''];
  // A finding another check reports already is named in one line, not repeated (docs/scoring.md).
  const shown = check.findings.filter((f) => !f.explainedBy);
  const explained = check.findings.filter((f) => f.explainedBy);
  if (shown.length > 0) {
    lines.push('| Object | Finding | Evidence | Verify |', '|---|---|---|---|');
    for (const f of shown.slice(0, FINDINGS_PER_CHECK)) lines.push(findingRow(f));
    lines.push('');
  }
  const rest = shown.length - FINDINGS_PER_CHECK;
  if (rest > 0) lines.push(`… and ${rest} more: the JSON and HTML reports list them all.`, '');
  if (explained.length > 0) {
    const by = [...new Set(explained.flatMap((f) => f.explainedBy!))].sort();
    lines.push(
      `Same root cause as findings of ${by.join(', ')}, reported there: ${[...new Set(explained.map((f) => codeSpan(objectName(f.resource))))].join(', ')}.`,
      '',
    );
  }
  lines.push(`Fix: ${markdownText(check.remediation)} (${codeSpan(`kposture explain ${check.id}`)})`, '');
  return lines;
}

function findingRow(f: ReportFinding): string {
  const affected = f.affected ? ` (${f.affected.length} object${f.affected.length === 1 ? '' : 's'})` : '';
  return [
    '',
    codeSpan(objectName(f.resource), true),
    [...findingTags(f).map((t) => `**${markdownText(t)}**`), markdownText(f.message)].join(' ') + affected,
    `${codeSpan(f.field, true)}: ${codeSpan(f.evidence, true)}`,
    codeSpan(f.verify, true),
    '',
  ]
    .join(' | ')
    .trim();
}
