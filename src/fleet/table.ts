import { Chalk } from 'chalk';
import { visible } from '../util/terminal.js';
import { scoreText } from '../report/view.js';
import { columns, wrap } from '../report/wrap.js';
import type { FleetCluster, FleetReport } from './model.js';
import { alikeSummary, clusterProblems, driftHeadline, fleetCategories, fleetHeadline, shortCategory } from './view.js';

const DEFAULT_WIDTH = 80;
const MIN_WIDTH = 40;
/** The context column; a longer name gets a line of its own above its numbers. */
const CONTEXT_WIDTH = 20;

/**
 * The fleet for an 80-column terminal or a CI log: the headline, one row per cluster (score,
 * grade, coverage, each category's score, exit code), each cluster's problems, then the drift
 * between clusters and what is alike. Every text from a kubeconfig or a cluster passes through
 * `visible`; every line fits `width`.
 */
export interface FleetRenderOptions {
  color: boolean;
  /** Table only: the width of the terminal or log (80 when not given). */
  width?: number;
  /** Table only: the headline and the clusters' rows, and how many aspects drift. */
  quiet?: boolean;
}

export function renderFleetTable(report: FleetReport, options: FleetRenderOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const width = Math.max(MIN_WIDTH, options.width ?? DEFAULT_WIDTH);
  const out: string[] = [];
  out.push(...wrap(`kposture fleet: ${fleetHeadline(report)}`, width).map((l) => c.bold(l)));
  out.push('');
  const cats = fleetCategories(report);
  const head = [
    pad('Context', CONTEXT_WIDTH),
    right('Score', 6),
    right('Grade', 6),
    right('Cover', 6),
    ...cats.map((k) => right(shortCategory(k.id), 5)),
    right('Exit', 5),
  ];
  out.push(c.bold(head.join('')));
  for (const cluster of report.clusters) out.push(...row(cluster, cats, (t) => (cluster.exitCode === 0 ? t : c.red(t))));
  if (cats.length > 0) {
    const legend = cats.map((k) => `${shortCategory(k.id)} ${k.title}${k.inTotal ? '' : ' (not in the total)'}`).join(' · ');
    out.push(...wrap(legend, width).map((l) => c.dim(l)));
  }

  const drift = report.drift;
  if (options.quiet) {
    out.push('', driftHeadline(drift));
    return `${out.join('\n')}\n`;
  }
  const problems = report.clusters.flatMap((cluster) => clusterProblems(cluster).map((p) => ({ context: cluster.context, text: p })));
  if (problems.length > 0) {
    out.push('', c.bold('Problems'));
    for (const p of problems) out.push(...wrap(`${visible(p.context)}: ${visible(p.text)}`, width, '  ', '    '));
  }

  out.push('', c.bold(driftHeadline(drift)));
  for (const a of drift.aspects.filter((x) => x.differs)) {
    out.push(...wrap(visible(a.title), width, '  ').map((l) => c.yellow(l)));
    for (const v of a.values) out.push(...wrap(`${visible(v.value)} — ${v.clusters.map(visible).join(', ')}`, width, '    ', '      '));
    for (const u of a.unknown) out.push(...wrap(`unknown in ${visible(u.cluster)}: ${shortened(visible(u.reason))}`, width, '    ', '      '));
  }
  const alike = alikeSummary(drift.aspects);
  if (alike) out.push(...wrap(`Alike: ${visible(alike)}`, width, '  ', '    '));
  const unknownOnly = drift.aspects.filter((a) => a.values.length === 0 && a.unknown.length > 0);
  for (const a of unknownOnly)
    out.push(...wrap(`${visible(a.title)}: unknown in every cluster (${shortened(visible(a.unknown[0]!.reason))})`, width, '  ', '    '));
  return `${out.join('\n')}\n`;
}

/** Reasons can quote a server's whole message: the table shows their start, the JSON report all of it. */
const REASON_SHOWN = 100;

function shortened(reason: string): string {
  const chars = Array.from(reason);
  return chars.length > REASON_SHOWN ? `${chars.slice(0, REASON_SHOWN - 1).join('')}…` : reason;
}

function row(cluster: FleetCluster, cats: { id: string }[], tone: (text: string) => string): string[] {
  const name = visible(cluster.context);
  const lines: string[] = [];
  let first: string;
  if (columns(name) > CONTEXT_WIDTH - 1) {
    lines.push(name);
    first = pad('', CONTEXT_WIDTH);
  } else first = pad(name, CONTEXT_WIDTH);
  if (cluster.status !== 'audited') {
    const what = cluster.status === 'unreachable' ? 'unreachable' : 'not audited';
    lines.push(`${first}${tone(pad(`  ${what}`, 18 + cats.length * 5))}${tone(right(String(cluster.exitCode), 5))}`);
    return lines;
  }
  const scores = new Map((cluster.categories ?? []).map((k) => [k.id, k.score]));
  const cells = [
    right(scoreText(cluster.score ?? null), 6),
    right(cluster.grade ?? '—', 6),
    right(`${cluster.coverage ?? 0}%`, 6),
    ...cats.map((k) => right(category(scores.get(k.id)), 5)),
  ];
  lines.push(`${first}${cells.join('')}${tone(right(String(cluster.exitCode), 5))}`);
  return lines;
}

function category(score: number | null | undefined): string {
  return score === null || score === undefined ? '—' : String(Math.round(score));
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - columns(text)));
}

function right(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - columns(text))) + text;
}
