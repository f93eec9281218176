import { codeSpan, markdownText as md } from '../report/escape.js';
import { scoreText } from '../report/view.js';
import type { DriftAspect } from './drift.js';
import type { FleetReport } from './model.js';
import { alikeSummary, clusterProblems, driftHeadline, fleetCategories, fleetHeadline, shortCategory } from './view.js';

/**
 * The fleet as Markdown, for a pull-request comment or $GITHUB_STEP_SUMMARY: the clusters' table,
 * their problems, then each aspect that drifts as a table of values and clusters. Everything from a
 * kubeconfig or a cluster is escaped (report/escape.ts).
 */
export function renderFleetMarkdown(report: FleetReport): string {
  const out: string[] = [];
  out.push(`### kposture fleet: ${md(fleetHeadline(report))}`, '');
  const cats = fleetCategories(report);
  out.push(`| Context | Score | Grade | Coverage | ${cats.map((k) => shortCategory(k.id)).join(' | ')} | Gate | Exit |`);
  out.push(`|---|---:|---|---:|${cats.map(() => '---:|').join('')}---|---:|`);
  for (const c of report.clusters) {
    const scores = new Map((c.categories ?? []).map((k) => [k.id, k.score]));
    const gate = c.gate ? (c.gate.passed ? 'passed' : 'failed') : c.status === 'audited' ? '—' : c.status === 'unreachable' ? 'unreachable' : 'not audited';
    const cells =
      c.status === 'audited'
        ? [scoreText(c.score ?? null), c.grade ?? '—', `${c.coverage ?? 0}%`, ...cats.map((k) => scoreText(scores.get(k.id) ?? null))]
        : ['—', '—', '—', ...cats.map(() => '—')];
    out.push(`| ${codeSpan(c.context, true)} | ${cells.join(' | ')} | ${gate} | ${c.exitCode} |`);
  }
  out.push('', cats.map((k) => `${shortCategory(k.id)}: ${md(k.title)}${k.inTotal ? '' : ' (not in the total)'}`).join(' · '));
  const problems = report.clusters.flatMap((c) => clusterProblems(c).map((p) => `- ${codeSpan(c.context)}: ${md(p)}`));
  if (problems.length > 0) out.push('', '#### Problems', '', ...problems);

  const drift = report.drift;
  out.push('', `#### ${driftHeadline(drift)}`);
  for (const a of drift.aspects.filter((x) => x.differs)) out.push('', ...aspectTable(a));
  const alike = alikeSummary(drift.aspects);
  if (alike) out.push('', `Alike: ${md(alike)}.`);
  return `${out.join('\n')}\n`;
}

function aspectTable(a: DriftAspect): string[] {
  return [
    `**${md(a.title)}**`,
    '',
    '| Value | Clusters |',
    '|---|---|',
    ...a.values.map((v) => `| ${md(v.value)} | ${v.clusters.map((c) => codeSpan(c, true)).join(', ')} |`),
    ...a.unknown.map((u) => `| unknown: ${md(u.reason)} | ${codeSpan(u.cluster, true)} |`),
  ];
}
