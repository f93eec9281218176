import { escapeHtml as h } from '../report/escape.js';
import { htmlPage } from '../report/html-page.js';
import { scoreText } from '../report/view.js';
import type { FleetReport } from './model.js';
import { alikeSummary, clusterProblems, driftHeadline, fleetCategories, fleetHeadline, shortCategory } from './view.js';

/**
 * The fleet as one self-contained HTML file: the clusters' table, their problems and the drift.
 * No script and nothing fetched: a Content-Security-Policy allows this file's own style (by hash)
 * and nothing else. Every text from a kubeconfig or a cluster is escaped (report/escape.ts).
 */
export function renderFleetHtml(report: FleetReport): string {
  const cats = fleetCategories(report);
  const rows = report.clusters.map((c) => {
    const scores = new Map((c.categories ?? []).map((k) => [k.id, k.score]));
    const tone = c.exitCode === 0 ? '' : ' class="bad"';
    if (c.status !== 'audited') {
      const what = c.status === 'unreachable' ? 'unreachable' : 'not audited';
      return `<tr${tone}><th scope="row"><code>${h(c.context)}</code></th><td colspan="${3 + cats.length + 1}">${what}</td><td class="num">${c.exitCode}</td></tr>`;
    }
    const gate = c.gate ? (c.gate.passed ? 'passed' : 'failed') : '—';
    const cells = [scoreText(c.score ?? null), c.grade ?? '—', `${c.coverage ?? 0}%`, ...cats.map((k) => scoreText(scores.get(k.id) ?? null))];
    return `<tr${tone}><th scope="row"><code>${h(c.context)}</code></th>${cells.map((x) => `<td class="num">${h(x)}</td>`).join('')}<td>${gate}</td><td class="num">${c.exitCode}</td></tr>`;
  });
  const head = ['Score', 'Grade', 'Coverage', ...cats.map((k) => shortCategory(k.id))]
    .map((x, i) => `<th class="num"${i >= 3 ? ` title="${h(cats[i - 3]!.title)}"` : ''}>${h(x)}</th>`)
    .join('');
  const problems = report.clusters.flatMap((c) => clusterProblems(c).map((p) => `<li><code>${h(c.context)}</code>: ${h(p)}</li>`));
  const drift = report.drift;
  const aspects = drift.aspects
    .filter((a) => a.differs)
    .map(
      (a) =>
        `<section class="aspect"><h3>${h(a.title)}</h3><table><thead><tr><th>Value</th><th>Clusters</th></tr></thead><tbody>${[
          ...a.values.map((v) => `<tr><td>${h(v.value)}</td><td>${v.clusters.map((c) => `<code>${h(c)}</code>`).join(', ')}</td></tr>`),
          ...a.unknown.map((u) => `<tr><td class="muted">unknown: ${h(u.reason)}</td><td><code>${h(u.cluster)}</code></td></tr>`),
        ].join('')}</tbody></table></section>`,
    );
  const alike = alikeSummary(drift.aspects);
  const body = [
    `<header><h1>kposture fleet</h1><p class="muted">${h(fleetHeadline(report))}</p></header>`,
    '<main>',
    `<section aria-label="Clusters"><div class="scroll"><table><thead><tr><th>Context</th>${head}<th>Gate</th><th class="num">Exit</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`,
    `<p class="muted">${cats.map((k) => `${h(shortCategory(k.id))}: ${h(k.title)}${k.inTotal ? '' : ' (not in the total)'}`).join(' · ')}</p></section>`,
    problems.length > 0 ? `<section><h2>Problems</h2><ul>${problems.join('')}</ul></section>` : '',
    `<section><h2>${driftHeadline(drift)}</h2>${aspects.join('')}${alike ? `<p>Alike: ${h(alike)}.</p>` : ''}</section>`,
    '</main>',
    `<footer class="muted">kposture ${h(report.tool.version)}, fleet report schema ${h(report.schemaVersion)}, generated ${h(report.generatedAt)}</footer>`,
  ];
  return htmlPage({ title: `kposture fleet: ${fleetHeadline(report)}`, style: STYLE, body: body.filter(Boolean) });
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;--bad:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--card:#151b23;--bad:#ff7b72}}
body{margin:0 auto;max-width:72rem;padding:1rem;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{margin:.2rem 0;font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid var(--line);font-size:1.25rem}h3{font-size:1.05rem;margin:1rem 0 .3rem}
.muted,footer{color:var(--muted)}.bad td,.bad th{color:var(--bad)}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--card);padding:0 .25em;border-radius:4px;overflow-wrap:anywhere}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid var(--line)}.num{text-align:right}
`;
