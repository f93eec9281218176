import type { Report, ReportCheck, ReportFinding } from './model.js';
import { escapeHtml as h } from './escape.js';
import { htmlPage } from './html-page.js';
import { SEVERITIES, checkFacts, checksOf, countsSummary, describeTarget, findingTags, groupChecks, objectName, scoreText } from './view.js';

/** Affected objects listed under a grouped finding; the JSON report has them all. */
const AFFECTED_SHOWN = 20;

/**
 * The HTML report: one self-contained file for a security lead. Score, gate and categories
 * first, then the failing checks with every finding (object, evidence, `verify` command), the
 * notes, the unknown checks and the passing ones. Everything is readable without JavaScript; a
 * small script adds filters by severity and namespace. Nothing is fetched: no fonts, images or
 * scripts from elsewhere, and a Content-Security-Policy that allows only this file's own style
 * and script (by hash) and no network at all. Every text from the cluster is escaped (escape.ts).
 */
export function renderHtml(report: Report): string {
  const groups = groupChecks(report);
  const title = `kposture report: score ${scoreText(report.score)}/100${report.grade ? ` (${report.grade})` : ''}`;
  const body = [
    `<header><h1>kposture report</h1><p class="target">${h(describeTarget(report))}</p></header>`,
    '<main>',
    summary(report),
    categoriesTable(report),
    filters(report),
    section('failing', 'Failing checks, most severe and costliest first', groups.failing, (c) => checkArticle(report, c, true)),
    section('notes', 'Notes: findings of checks that are not scored', groups.notes, (c) => checkArticle(report, c, false)),
    section('unknown', 'Could not evaluate (unknown, excluded from the score)', groups.unknown, unknownItem),
    others(report),
    `<details class="method"><summary>How the score is computed</summary><ul>${report.scoring.method.map((m) => `<li>${h(m)}</li>`).join('')}</ul></details>`,
    '</main>',
    `<footer>kposture ${h(report.tool.version)}, report schema ${h(report.schemaVersion)}, generated ${h(report.generatedAt)}</footer>`,
  ];
  return htmlPage({ title, style: STYLE, script: SCRIPT, body });
}

function summary(report: Report): string {
  const gate = report.gate;
  const tone = report.score === null ? 'warn' : report.score >= 80 ? 'good' : report.score >= 60 ? 'warn' : 'bad';
  const cards = [
    card('Score', `${scoreText(report.score)}<small>/100</small>`, tone),
    card('Grade', h(report.grade ?? '—'), tone),
    card('Coverage', `${report.coverage}%`, report.coverage >= 80 ? 'good' : 'warn'),
    gate ? card('Gate', gate.passed ? 'passed' : 'failed', gate.passed ? 'good' : 'bad') : card('Gate', 'not set', 'none'),
  ];
  const reasons = gate && !gate.passed ? `<ul class="reasons">${gate.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>` : '';
  return `<section class="summary" aria-label="Summary"><div class="cards">${cards.join('')}</div>${reasons}<p class="counts">${h(countsSummary(report))}</p></section>`;
}

function card(label: string, valueHtml: string, tone: string): string {
  return `<div class="card ${tone}"><span class="label">${label}</span><span class="value">${valueHtml}</span></div>`;
}

function categoriesTable(report: Report): string {
  const groups = groupChecks(report);
  const rows = report.categories
    .filter((cat) => checksOf(report, cat.id).length > 0)
    .map((cat) => {
      const checks = checksOf(report, cat.id);
      const count = (s: ReportCheck['status']): number => checks.filter((c) => c.status === s).length;
      const failing = groups.failing.filter((c) => c.category === cat.id);
      const links = failing.map((c) => `<a href="#${h(anchor(c))}">${h(c.id)}</a> ${h(c.title)}`).join('<br>') || '—';
      const name = cat.inTotal ? h(cat.title) : `${h(cat.title)} <small>(not in total)</small>`;
      const num = (label: string, value: string | number): string => `<td class="num" data-label="${label}">${value}</td>`;
      return `<tr><th scope="row">${name}</th>${num('score', scoreText(cat.score))}${num('pass', count('pass'))}${num('fail', count('fail'))}${num('unknown', count('unknown'))}<td class="failing">${links}</td></tr>`;
    });
  return [
    '<section id="categories"><h2>Categories</h2><div class="scroll"><table>',
    '<thead><tr><th scope="col">Category</th><th scope="col">Score</th><th scope="col">Pass</th><th scope="col">Fail</th><th scope="col">Unknown</th><th scope="col">Failing checks</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody></table></div></section>`,
  ].join('\n');
}

/** The filter form: hidden until the script shows it, since without the script it would do nothing. */
function filters(report: Report): string {
  const namespaces = [...new Set(report.checks.flatMap((c) => c.findings.map((f) => f.namespace ?? '')))].sort((a, b) => a.localeCompare(b, 'en'));
  const severities = SEVERITIES.map((s) => `<label><input type="checkbox" name="severity" value="${s}" checked> ${s}</label>`).join(' ');
  const options = namespaces.map((ns) => `<option value="${h(ns)}">${ns === '' ? '(cluster-scoped)' : h(ns)}</option>`).join('');
  return [
    '<form id="filters" class="filters" hidden>',
    `<fieldset><legend>Severity</legend>${severities}</fieldset>`,
    `<label>Namespace <select name="namespace"><option value="*">all</option>${options}</select></label>`,
    '<output id="shown" aria-live="polite"></output>',
    '</form>',
  ].join('\n');
}

function section(id: string, heading: string, checks: ReportCheck[], render: (c: ReportCheck) => string): string {
  if (checks.length === 0) return '';
  return `<section id="${id}"><h2>${heading}</h2>\n${checks.map(render).join('\n')}\n</section>`;
}

function anchor(check: ReportCheck): string {
  return `check-${check.id}`;
}

function checkArticle(report: Report, check: ReportCheck, failing: boolean): string {
  const facts = failing ? checkFacts(report, check) : `${checkFacts(report, check)} (a note, not a failure)`;
  const references = check.references.map((r) => `<li>${/^https?:\/\//i.test(r) ? `<a href="${h(r)}" rel="noreferrer">${h(r)}</a>` : h(r)}</li>`).join('');
  return [
    `<article class="check ${failing ? 'failing' : 'note'}" id="${h(anchor(check))}" data-severity="${h(check.severity)}">`,
    `<h3><span class="badge sev-${h(check.severity)}">${h(check.severity)}</span> ${h(check.id)} ${h(check.title)}</h3>`,
    `<p class="facts">${h(facts)}</p>`,
    `<details><summary>Why it matters and how to fix it</summary><p>${h(check.rationale)}</p><p><strong>Fix:</strong> ${h(check.remediation)}</p>${references ? `<ul>${references}</ul>` : ''}<p>More: <code>kposture explain ${h(check.id)}</code></p></details>`,
    `<ol class="findings">${check.findings.map((f) => findingItem(check, f)).join('\n')}</ol>`,
    '</article>',
  ].join('\n');
}

function findingItem(check: ReportCheck, f: ReportFinding): string {
  const affected = f.affected
    ? `<dt>Affected</dt><dd>${f.affected.length} objects: ${f.affected
        .slice(0, AFFECTED_SHOWN)
        .map((r) => `<code>${h(objectName(r))}</code>`)
        .join(', ')}${f.affected.length > AFFECTED_SHOWN ? ` and ${f.affected.length - AFFECTED_SHOWN} more` : ''}</dd>`
    : '';
  return [
    `<li class="finding" data-severity="${h(check.severity)}" data-namespace="${h(f.namespace ?? '')}">`,
    `<p class="message">${findingTags(f)
      .map((t) => `<span class="tag">${h(t)}</span> `)
      .join('')}${h(f.message)}</p>`,
    '<dl>',
    `<dt>Object</dt><dd><code>${h(objectName(f.resource))}</code></dd>`,
    `<dt>Evidence</dt><dd><code>${h(f.field)}</code>: <code>${h(f.evidence)}</code></dd>`,
    affected,
    `<dt>Verify</dt><dd><code class="cmd">${h(f.verify)}</code></dd>`,
    `<dt>Location</dt><dd><code>${h(`${f.location.uri}:${f.location.startLine}`)}</code></dd>`,
    '</dl>',
    '</li>',
  ].join('');
}

function unknownItem(check: ReportCheck): string {
  return `<article class="check unknown" id="${h(anchor(check))}" data-severity="${h(check.severity)}"><h3><span class="badge sev-${h(check.severity)}">${h(check.severity)}</span> ${h(check.id)} ${h(check.title)}</h3><p>${h(check.reason ?? 'no reason given')}</p></article>`;
}

function others(report: Report): string {
  const passed = report.checks.filter((c) => c.status === 'pass');
  const notApplicable = report.checks.filter((c) => c.status === 'not-applicable');
  if (passed.length + notApplicable.length === 0) return '';
  const items = [
    ...passed.map((c) => `<li><span class="ok">pass</span> ${h(c.id)} ${h(c.title)}</li>`),
    ...notApplicable.map((c) => `<li><span class="na">n/a</span> ${h(c.id)} ${h(c.title)}: ${h(c.reason ?? 'nothing to check')}</li>`),
  ];
  return `<section id="passing"><h2>Passing and not applicable</h2><ul class="plain">${items.join('')}</ul></section>`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;--bad:#cf222e;--warn:#9a6700;--good:#1a7f37;--info:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--card:#151b23;--bad:#ff7b72;--warn:#d29922;--good:#3fb950;--info:#4493f8}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0 auto;max-width:72rem;padding:1rem;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{margin:.2rem 0;font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid var(--line);font-size:1.25rem}h3{font-size:1.05rem;margin:.2rem 0}
.target,.counts,.facts,footer{color:var(--muted)}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--card);padding:0 .25em;border-radius:4px;overflow-wrap:anywhere}
.cards{display:flex;flex-wrap:wrap;gap:.75rem}
.card{flex:1 1 9rem;border:1px solid var(--line);border-left-width:6px;border-radius:8px;padding:.6rem .8rem;background:var(--card)}
.card .label{display:block;color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.05em}
.card .value{font-size:1.8rem;font-weight:700}.card small{font-size:1rem;color:var(--muted)}
.good{border-left-color:var(--good)}.warn{border-left-color:var(--warn)}.bad{border-left-color:var(--bad)}.none{border-left-color:var(--line)}
.reasons{color:var(--bad)}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid var(--line)}.num{text-align:right}
.filters{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;margin-top:1.5rem;padding:.6rem .8rem;border:1px solid var(--line);border-radius:8px}
.filters fieldset{border:0;margin:0;padding:0}.filters legend{float:left;margin-right:.5rem;color:var(--muted)}
.check{border:1px solid var(--line);border-radius:8px;padding:.6rem .9rem;margin:.9rem 0}
.check.failing{border-left:6px solid var(--bad)}.check.note{border-left:6px solid var(--info)}.check.unknown{border-left:6px solid var(--warn)}
.badge{display:inline-block;border-radius:1em;padding:0 .55em;font-size:.75rem;font-weight:600;color:#fff;background:var(--muted);vertical-align:middle}
.sev-critical{background:#82071e}.sev-high{background:var(--bad)}.sev-medium{background:var(--warn)}.sev-low{background:var(--info)}.sev-info{background:var(--muted)}
.findings{padding-left:1.3rem}.finding{margin:.6rem 0}.finding .message{margin:.1rem 0;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.2rem 0}dt{color:var(--muted)}dd{margin:0;min-width:0}
.tag{border:1px solid var(--line);border-radius:4px;padding:0 .3em;font-size:.8rem;font-weight:600}
.plain{list-style:none;padding:0}.ok{color:var(--good);font-weight:600}.na{color:var(--muted);font-weight:600}
@media (max-width:600px){dl{grid-template-columns:1fr}dd{margin-bottom:.3rem}.card .value{font-size:1.4rem}
#categories thead{display:none}#categories tr{display:block;border-bottom:1px solid var(--line);padding:.4rem 0}
#categories th,#categories td{display:inline;border:0;padding:0 .6rem 0 0}#categories th{display:block}
#categories td.num::before{content:attr(data-label) " ";color:var(--muted)}#categories td.failing{display:block;padding-top:.2rem}}
`;

/** Filters findings by severity and namespace; a check with no finding left is hidden with them. */
const SCRIPT = `
(function () {
  var form = document.getElementById('filters');
  if (!form) return;
  form.hidden = false;
  var findings = Array.prototype.slice.call(document.querySelectorAll('.finding'));
  var checks = Array.prototype.slice.call(document.querySelectorAll('article.check'));
  var shown = document.getElementById('shown');
  function apply() {
    var severities = Array.prototype.slice.call(form.querySelectorAll('input[name=severity]:checked')).map(function (i) { return i.value; });
    var namespace = form.querySelector('select[name=namespace]').value;
    var count = 0;
    findings.forEach(function (f) {
      var visible = severities.indexOf(f.dataset.severity) >= 0 && (namespace === '*' || f.dataset.namespace === namespace);
      f.hidden = !visible;
      if (visible) count++;
    });
    checks.forEach(function (c) {
      var own = c.querySelectorAll('.finding');
      var left = c.querySelectorAll('.finding:not([hidden])');
      c.hidden = severities.indexOf(c.dataset.severity) < 0 || (own.length > 0 && left.length === 0);
    });
    shown.textContent = count + ' of ' + findings.length + ' findings shown';
  }
  form.addEventListener('change', apply);
  apply();
})();
`;
