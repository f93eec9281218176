import type { Inventory } from '../k8s/inventory.js';
import { annotationOf, compareRefs, refOf, type ResourceRef } from '../k8s/object.js';
import { canonicalCheckId, isIsoDate, itemKind, WAIVER_ANNOTATION, type Waiver } from './waiver-model.js';

/**
 * Inline waivers: the annotation `kposture.io/waive` on the object a finding is about. One
 * waiver per line (blank lines are skipped):
 *
 *     CHECK-ID[, CHECK-ID…]: reason[; owner=TEAM][; expires=YYYY-MM-DD][; link=URL]
 *
 * e.g. `DIE-03: node-exporter needs hostPath /proc; owner=sre; expires=2027-06-30`. The reason
 * may hold any character but `;` and a line break; each key at most once; `expires` is required
 * unless permanent waivers are allowed. A line that does not follow this is not guessed at: it
 * waives nothing and is reported as a problem with its object and line (docs/config.md).
 */
export function parseWaiverAnnotation(value: string, resource: ResourceRef, options: AnnotationOptions): ParsedAnnotation {
  const waivers: Waiver[] = [];
  const problems: WaiverProblem[] = [];
  const lines = value.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const text = raw.trim();
    if (text === '') continue;
    const parsed = parseLine(text, options);
    const line = i + 1;
    if ('problem' in parsed) problems.push({ resource, line, text: shorten(text), problem: parsed.problem });
    else waivers.push({ ...parsed, origin: { source: 'annotation', resource, line }, subject: { type: 'object', ref: resource } });
  }
  return { waivers, problems };
}

export interface AnnotationOptions {
  knownChecks: readonly string[];
  allowPermanent: boolean;
}

interface ParsedAnnotation {
  waivers: Waiver[];
  problems: WaiverProblem[];
}

/** A waiver annotation line that could not be read, with the object it is on. */
export interface WaiverProblem {
  resource: ResourceRef;
  line: number;
  text: string;
  problem: string;
}

/** Every waiver annotation on the objects of the inventory, sorted by object; problems likewise. */
export function annotationWaivers(inventory: Inventory, options: AnnotationOptions): ParsedAnnotation {
  const found: { ref: ResourceRef; parsed: ParsedAnnotation }[] = [];
  for (const [id, collection] of inventory.kinds) {
    for (const obj of collection.items) {
      const value = annotationOf(obj, WAIVER_ANNOTATION);
      if (value === undefined) continue;
      const ref = refOf(obj, itemKind(id, obj));
      found.push({ ref, parsed: parseWaiverAnnotation(value, ref, options) });
    }
  }
  found.sort((a, b) => compareRefs(a.ref, b.ref));
  return { waivers: found.flatMap((f) => f.parsed.waivers), problems: found.flatMap((f) => f.parsed.problems) };
}

const KEYS = new Set(['owner', 'expires', 'link']);
const SHAPE = 'expected "CHECK-ID: reason; owner=TEAM; expires=YYYY-MM-DD"';

type ParsedLine = Pick<Waiver, 'checks' | 'reason' | 'owner' | 'expires' | 'link'> | { problem: string };

function parseLine(text: string, options: AnnotationOptions): ParsedLine {
  const colon = text.indexOf(':');
  if (colon < 0) return { problem: `no check id before a colon: ${SHAPE}` };
  const checks: string[] = [];
  for (const given of text.slice(0, colon).split(',')) {
    const id = given.trim();
    if (id === '') return { problem: `an empty check id: ${SHAPE}` };
    const canonical = canonicalCheckId(id, options.knownChecks);
    if (!canonical) return { problem: `unknown check id "${shorten(id)}" (run \`kposture checks\` to list them)` };
    if (!checks.includes(canonical)) checks.push(canonical);
  }
  const [reasonPart, ...attributes] = text.slice(colon + 1).split(';');
  const reason = reasonPart!.trim();
  if (reason === '') return { problem: `the reason is empty: ${SHAPE}` };
  const values = new Map<string, string>();
  for (const attribute of attributes) {
    const pair = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(attribute.trim());
    if (!pair) return { problem: `expected key=value after ";", got "${shorten(attribute.trim())}"` };
    const key = pair[1]!;
    const value = pair[2]!.trim();
    if (!KEYS.has(key)) return { problem: `unknown key "${shorten(key)}" (owner, expires or link)` };
    if (values.has(key)) return { problem: `${key} is given twice` };
    if (value === '') return { problem: `${key} has no value` };
    values.set(key, value);
  }
  const expires = values.get('expires');
  if (expires !== undefined && !isIsoDate(expires)) return { problem: `expires "${shorten(expires)}" is not a date YYYY-MM-DD` };
  if (expires === undefined && !options.allowPermanent) return { problem: 'expires=YYYY-MM-DD is required (or run with --allow-permanent-waivers)' };
  const owner = values.get('owner');
  const link = values.get('link');
  return { checks, reason, ...(owner ? { owner } : {}), ...(expires ? { expires } : {}), ...(link ? { link } : {}) };
}

/** Annotation text is cluster data: what a problem quotes of it stays short. */
function shorten(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 119)}…`;
}
