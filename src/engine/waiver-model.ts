import { kindSpec, type KindId } from '../k8s/kinds.js';
import type { CompiledSelector } from '../k8s/labels.js';
import { asString, type K8sObject, type ResourceRef } from '../k8s/object.js';

/**
 * A waiver: "this check's finding on these objects is accepted, for this reason, until then".
 * Waivers come from the config file (`waivers:`) or from an annotation on the object itself
 * (waiver-annotations.ts); docs/config.md#waivers describes both and what a waiver matches.
 */
export interface Waiver {
  origin: WaiverOrigin;
  /** Canonical check ids (as the checks spell them). */
  checks: readonly string[];
  subject: WaiverSubject;
  reason: string;
  owner?: string;
  /** Last day (UTC) the waiver applies, `YYYY-MM-DD`; absent for a permanent waiver. */
  expires?: string;
  link?: string;
}

export type WaiverOrigin =
  /** Entry `index` (0-based) of `waivers:` in the config file `file` (as shown to the user). */
  | { source: 'config'; file: string; index: number }
  /** Line `line` (1-based) of the annotation on `resource`. */
  | { source: 'annotation'; resource: ResourceRef; line: number };

/**
 * What objects a waiver covers: a pattern from the config file (each given field must match;
 * globs with `*` and `?`; kind case-insensitive), or, for an annotation, the annotated object.
 */
export type WaiverSubject =
  { type: 'pattern'; kind?: string; namespace?: string; name?: string; selector?: CompiledSelector } | { type: 'object'; ref: ResourceRef };

/** The annotation that carries inline waivers. */
export const WAIVER_ANNOTATION = 'kposture.io/waive';

/**
 * The check id as the check spells it, for an id given in any case (`mt-05` → `MT-05`);
 * undefined when no check has it.
 */
export function canonicalCheckId(id: string, known: readonly string[]): string | undefined {
  if (known.includes(id)) return id;
  const lower = id.toLowerCase();
  return known.find((k) => k.toLowerCase() === lower);
}

/** `.kposture.yaml#0` or `annotation on ClusterRoleBinding/x (line 1)`: how messages name a waiver. */
export function describeOrigin(origin: WaiverOrigin): string {
  if (origin.source === 'config') return `${origin.file} waivers.${origin.index}`;
  const r = origin.resource;
  const object = r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
  return `${WAIVER_ANNOTATION} on ${object} line ${origin.line}`;
}

/** A real calendar date written `YYYY-MM-DD` (2027-02-30 is not one). */
export function isIsoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** The kind of an item of the inventory's collection `id`: the collection's, or the object's own for dynamic kinds. */
export function itemKind(id: KindId, obj: K8sObject): string {
  const kind = kindSpec(id)?.kind;
  return kind && kind !== '*' ? kind : (asString(obj.kind) ?? id.split('.')[0]!);
}
