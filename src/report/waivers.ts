import type { ChalkInstance } from 'chalk';
import type { ResourceRef } from '../k8s/object.js';
import { describeOrigin, WAIVER_ANNOTATION } from '../engine/waiver-model.js';
import type { WaivedRun } from '../engine/waivers.js';
import { toReportWaiver, type Report, type ReportWaiver, type ReportWaivers } from './model.js';
import { visible } from '../util/terminal.js';
import { wrap } from './wrap.js';
import { listSome } from '../util/strings.js';

/** The report's `waivers` section; undefined when the audit had no waiver and no waiver annotation. */
export function waiversSection(run: Pick<WaivedRun, 'waivers' | 'expired' | 'unused' | 'problems'>): ReportWaivers | undefined {
  if (run.waivers.length === 0 && run.problems.length === 0) return undefined;
  return {
    count: run.waivers.length,
    expired: run.expired.map(toReportWaiver),
    unused: run.unused.map(({ waiver, note }) => ({ ...toReportWaiver(waiver), ...(note ? { note } : {}) })),
    problems: run.problems.map((p) => ({ ...p })),
  };
}

/**
 * One warning line per waiver that did not do its job, for stderr: these are never silent. A
 * cluster full of broken annotations does not flood the log: past MAX_LINES, one line says how
 * many more the JSON report lists.
 */
export function waiverWarnings(section: ReportWaivers | undefined): string[] {
  if (!section) return [];
  return capped(
    [
      ...section.expired.map((w) => `waiver ${waiverName(w)} (${w.checks.join(', ')}) expired on ${w.expires ?? '?'}: its findings count again`),
      ...section.unused.map((w) => `waiver ${waiverName(w)} (${w.checks.join(', ')}) matched no finding${w.note ? `: ${w.note}` : ''}`),
      ...section.problems.map(problemText),
    ].map((line) => `warning: ${line}`),
    (rest) => `warning: … and ${rest} more waiver warnings (the JSON report's waivers lists them all)`,
  );
}

const MAX_LINES = 20;

function capped(lines: string[], more: (rest: number) => string): string[] {
  return lines.length <= MAX_LINES ? lines : [...lines.slice(0, MAX_LINES), more(lines.length - MAX_LINES)];
}

/** Why --strict-waivers fails the gate: one reason per kind of problem, naming the waivers; none when all are in order. */
export function strictWaiverReasons(section: ReportWaivers | undefined): string[] {
  if (!section) return [];
  const reasons: string[] = [];
  const list = (ws: ReportWaiver[]): string => listSome(ws.map(waiverName), 5);
  if (section.expired.length > 0) reasons.push(`${count(section.expired.length, 'waiver')} expired (--strict-waivers): ${list(section.expired)}`);
  if (section.unused.length > 0) reasons.push(`${count(section.unused.length, 'waiver')} matched no finding (--strict-waivers): ${list(section.unused)}`);
  if (section.problems.length > 0) {
    const where = listSome(
      section.problems.map((p) => `${refText(p.resource)} line ${p.line}`),
      5,
    );
    reasons.push(`${count(section.problems.length, 'invalid waiver annotation')} (--strict-waivers): ${where}`);
  }
  return reasons;
}

/**
 * The table's waiver lines, each at most `width` columns: how many findings were waived (each
 * with its waiver under --show-waived), and the waivers that expired, went unused or could not
 * be read. Text is wrapped before it is colored.
 */
export function waiverLines(report: Report, c: ChalkInstance, showWaived: boolean, width: number): string[] {
  const waived = report.checks.flatMap((check) => check.findings.filter((f) => f.waived).map((f) => ({ check, f })));
  const section = report.waivers;
  if (waived.length === 0 && !section) return [];
  const out = ['', c.bold('Waivers')];
  if (waived.length > 0 || (section?.count ?? 0) > 0) {
    const from = report.config ? ` (config ${visible(report.config)})` : '';
    const hint = waived.length > 0 && !showWaived ? ' — --show-waived lists them' : '';
    out.push(...wrap(`${count(waived.length, 'finding')} waived, not scored${from}${hint}`, width, '  ', '    '));
  }
  if (showWaived) {
    for (const { check, f } of waived) {
      const w = f.waived!;
      out.push(...wrap(visible(`${check.id} ${f.message}`), width, '  ~ ', '    '));
      const about = [w.owner ? `owner ${w.owner}` : '', w.expires ? `expires ${w.expires}` : 'permanent', w.link ?? ''].filter(Boolean).join(', ');
      out.push(...wrap(visible(`waived by ${waiverName(w)}: ${w.reason} (${about})`), width, '      ').map((l) => c.dim(l)));
    }
  }
  const problems = [
    ...(section?.expired ?? []).map((w) => `expired on ${w.expires ?? '?'}: ${waiverName(w)} (${w.checks.join(', ')})`),
    ...(section?.unused ?? []).map((w) => `matched no finding: ${waiverName(w)} (${w.checks.join(', ')})`),
    ...(section?.problems ?? []).map(problemText),
  ];
  const shown = capped(problems, (rest) => `… and ${rest} more (see --format json)`);
  for (const line of shown) {
    const wrapped = wrap(visible(line), width, '  ! ', '    ');
    out.push(`  ${c.yellow('!')}${wrapped[0]!.slice(3)}`, ...wrapped.slice(1));
  }
  return out;
}

/** How messages name a waiver: `.kposture.yaml waivers.0`, `kposture.io/waive on Kind/ns/name line 1`. */
export function waiverName(w: ReportWaiver): string {
  return describeOrigin(
    w.source === 'config' ? { source: 'config', file: w.file, index: w.index } : { source: 'annotation', resource: w.resource, line: w.line },
  );
}

function problemText(p: ReportWaivers['problems'][number]): string {
  return `invalid ${WAIVER_ANNOTATION} annotation on ${refText(p.resource)} line ${p.line}: ${p.problem}`;
}

export function refText(r: ResourceRef): string {
  return r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
