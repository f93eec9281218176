import { WAIVER_ANNOTATION } from '../engine/waiver-model.js';
import type { Report, ReportFinding, ReportWaiver } from './model.js';
import { refText, waiverName } from './waivers.js';

/**
 * Waivers in SARIF (docs/sarif.md#waivers): a waived finding stays a result and carries a
 * suppression — `external` for a waiver of the config file, `inSource` for an annotation on the
 * object itself — with the waiver's reason as its justification. Every result has the
 * `suppressions` array, empty when nothing waives it: SARIF 2.1.0 §3.27.23 wants it on all
 * results of a run or on none, and kposture evaluates waivers on every run.
 */
export function sarifSuppressions(finding: ReportFinding): SarifSuppression[] {
  const w = finding.waived;
  if (!w) return [];
  return [
    {
      kind: w.source === 'config' ? 'external' : 'inSource',
      status: 'accepted',
      justification: justification(w),
      properties: {
        waiver: waiverName(w),
        ...(w.owner !== undefined ? { owner: w.owner } : {}),
        ...(w.expires !== undefined ? { expires: w.expires } : {}),
        ...(w.link !== undefined ? { link: w.link } : {}),
      },
    },
  ];
}

/** Expired, unused and unreadable waivers as tool execution notifications: conditions of the run. */
export function waiverNotifications(report: Report): { level: 'warning'; message: { text: string } }[] {
  const section = report.waivers;
  if (!section) return [];
  return [
    ...section.expired.map((w) => `Waiver ${waiverName(w)} (${w.checks.join(', ')}) expired on ${w.expires ?? '?'}; its findings count again.`),
    ...section.unused.map((w) => `Waiver ${waiverName(w)} (${w.checks.join(', ')}) matched no finding.`),
    ...section.problems.map((p) => `Invalid ${WAIVER_ANNOTATION} annotation on ${refText(p.resource)} line ${p.line}: ${p.problem}.`),
  ].map((text) => ({ level: 'warning' as const, message: { text } }));
}

function justification(w: ReportWaiver): string {
  const about = [w.owner ? `owner ${w.owner}` : '', w.expires ? `until ${w.expires}` : 'permanent'].filter(Boolean).join(', ');
  return `${w.reason} (${about}; ${waiverName(w)})`;
}

export interface SarifSuppression {
  kind: 'external' | 'inSource';
  status: 'accepted';
  justification: string;
  properties: Record<string, string>;
}
