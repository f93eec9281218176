/**
 * What the pager and the page decoder workers both know of a list page: whether it is a list,
 * its metadata read from the first bytes, and the record kept of each item. One definition, so
 * that a page parsed in a worker and one parsed on the main thread give the same records.
 */
import { isRecord, type K8sObject } from '../k8s/object.js';
import type { KindId } from '../k8s/kinds.js';
import { TOO_DEEP, describeObject, isTooDeep } from '../k8s/depth.js';
import type { Projection } from '../k8s/slim.js';

/** The kind of a page's items: the API leaves apiVersion and kind out of a typed list's items. */
export interface PageKind {
  id: KindId;
  apiVersion: string;
  kind: string;
}

/**
 * An answer that came with status 200 but is not what was asked for: a body that is not the
 * list of the kind, a discovery document of the wrong shape. Never read as "there are none":
 * the kind it decides becomes `error`, and its checks `unknown` (docs/reliability.md).
 */
export class MalformedAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedAnswerError';
  }
}

/**
 * Why `doc` is not an object of `kind`: not an object, a `Status` object (a failure sent with
 * 200, named with what it says), or an object of another kind.
 */
export function documentProblem(doc: unknown, kind: string): string | undefined {
  if (!isRecord(doc)) return `the answer is ${describeValue(doc)}, not a ${kind} object`;
  if (doc.kind === 'Status' && kind !== 'Status') {
    const said = [doc.status, doc.reason, doc.message].filter((x) => typeof x === 'string' && x !== '').join(' ');
    return `the answer is a Status object${said ? ` (${said.slice(0, 200)})` : ''}, not a ${kind}`;
  }
  if (doc.kind !== kind) return `kind is ${describeValue(doc.kind)}, not "${kind}"`;
  return undefined;
}

/** `items is null`, `kind is "Status"`: how a value looks, in a few words, for a reason. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Why `page` is not a page of `kind`'s list, or undefined when it is one: an object whose `kind`
 * is `<Kind>List`, whose `items` is an array, and whose `metadata.continue`, if any, is a string.
 * A `Status` object sent with 200 is named as such. Items are judged one by one (listItemProblem).
 */
function listPageProblem(page: unknown, kind: string): string | undefined {
  const wrong = documentProblem(page, `${kind}List`);
  if (wrong) return wrong;
  const list = page as Record<string, unknown>;
  if (!Array.isArray(list.items)) return `items is ${describeValue(list.items)}, not an array`;
  return listMetaProblem(list.metadata);
}

/** Why a list's `metadata` cannot be paged on: absent or an object whose `continue` is a string. */
export function listMetaProblem(meta: unknown): string | undefined {
  if (meta === undefined) return undefined;
  if (!isRecord(meta)) return `metadata is ${describeValue(meta)}, not an object`;
  if (meta.continue !== undefined && typeof meta.continue !== 'string') return `metadata.continue is ${describeValue(meta.continue)}, not a string`;
  return undefined;
}

/**
 * Why item `index` of a `kind` list cannot be taken: not an object, an object of another kind
 * (typed lists leave `kind` out of built-in items; custom resources carry their own), or one
 * nested deeper than any real object.
 */
function listItemProblem(item: unknown, index: number, kind: string): string | undefined {
  if (!isRecord(item)) return `items[${index}] is ${describeValue(item)}, not an object`;
  if (item.kind !== undefined && item.kind !== kind) return `items[${index}].kind is ${describeValue(item.kind)}, not "${kind}"`;
  // As in snapshots: every later copy of the object would recurse once per level (k8s/depth.ts).
  if (isTooDeep(item)) return `items[${index}] (${describeObject({ kind, ...item })}) ${TOO_DEEP}`;
  return undefined;
}

/** What is kept of one item of a page (checked with listItemProblem first). */
function listItemRecord(item: Record<string, unknown>, kind: PageKind, project: Projection): K8sObject | undefined {
  if (typeof item.apiVersion !== 'string') item.apiVersion = kind.apiVersion;
  if (typeof item.kind !== 'string') item.kind = kind.kind;
  return project(kind.id, item);
}

/**
 * The records kept of a parsed page's items, or the problem that makes the page unusable: one
 * definition for the main thread and the page decoder workers.
 */
export function pageRecords(page: unknown, kind: PageKind, project: Projection): { records: unknown[] } | { problem: string } {
  const problem = listPageProblem(page, kind.kind);
  if (problem) return { problem };
  const items = (page as { items: unknown[] }).items;
  const records: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    const itemProblem = listItemProblem(items[i], i, kind.kind);
    if (itemProblem) return { problem: itemProblem };
    const record = listItemRecord(items[i] as Record<string, unknown>, kind, project);
    if (record !== undefined) records.push(record);
  }
  return { records };
}

const HEAD_BYTES = 4096;
const METADATA_KEY = Buffer.from('"metadata":');

/**
 * The `metadata` of a list page (resourceVersion, continue), read from the first bytes without
 * parsing the page: the API server writes `{"kind":…,"apiVersion":…,"metadata":{…},"items":[`.
 * Undefined when the page is laid out otherwise (then it is parsed whole, on the main thread),
 * or does not end like an object (a cut body is read again).
 */
export function listMetadataOf(body: Buffer): Record<string, unknown> | undefined {
  let end = body.length - 1;
  while (end >= 0 && isSpace(body[end]!)) end--;
  if (end < 0 || body[end] !== 0x7d) return undefined;
  const head = body.subarray(0, Math.min(body.length, HEAD_BYTES));
  const at = head.indexOf(METADATA_KEY);
  if (at < 0) return undefined;
  // Every member before metadata must be a plain string (kind, apiVersion): no items before it.
  const before = head.toString('latin1', 0, at);
  if (!/^\s*\{\s*(?:"(?:kind|apiVersion)"\s*:\s*"[^"\\]*"\s*,\s*)*$/.test(before)) return undefined;
  const open = at + METADATA_KEY.length;
  const close = head.indexOf(0x7d, open);
  if (close < 0) return undefined;
  // ListMeta holds only scalars; a nested object (or a brace inside a string) is not this layout.
  const text = head.toString('utf8', open, close + 1);
  if (text.indexOf('{', text.indexOf('{') + 1) >= 0) return undefined;
  try {
    const meta: unknown = JSON.parse(text);
    return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}
