/**
 * What the pager and the page decoder workers both know of a list page: whether it is a list,
 * its metadata read from the first bytes, and the record kept of each item. One definition, so
 * that a page parsed in a worker and one parsed on the main thread give the same records.
 */
import { isRecord, type K8sObject } from '../k8s/object.js';
import type { KindId } from '../k8s/kinds.js';
import type { Projection } from '../inventory/slim.js';

/** The kind of a page's items: the API leaves apiVersion and kind out of a typed list's items. */
export interface PageKind {
  id: KindId;
  apiVersion: string;
  kind: string;
}

/** An object whose `items`, if any, are an array. */
export function isListPage(page: unknown): page is { items?: unknown[] | null; metadata?: unknown } {
  return isRecord(page) && (page.items === null || page.items === undefined || Array.isArray(page.items));
}

/** What is kept of one item of a page: undefined for an item that is not an object. */
export function listItemRecord(item: unknown, kind: PageKind, project: Projection): K8sObject | undefined {
  if (!isRecord(item)) return undefined;
  if (typeof item.apiVersion !== 'string') item.apiVersion = kind.apiVersion;
  if (typeof item.kind !== 'string') item.kind = kind.kind;
  return project(kind.id, item);
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
