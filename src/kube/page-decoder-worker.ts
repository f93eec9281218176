/**
 * A page decoder worker (page-decoder.ts): parses a list page and answers with its items, each
 * reduced to the slim record the audit keeps. One projection per worker, so the pods of one
 * ReplicaSet in a page share their common parts, as on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { slimProjection } from '../inventory/slim.js';
import type { KindId } from '../k8s/kinds.js';
import type { DecodeAnswer, DecodeRequest } from './page-decoder.js';

const project = slimProjection();

parentPort!.on('message', (request: DecodeRequest) => {
  parentPort!.postMessage(decode(request));
});

function decode({ seq, body, length, kind }: DecodeRequest): DecodeAnswer {
  let page: unknown;
  try {
    page = JSON.parse(Buffer.from(body, 0, length).toString('utf8'));
  } catch {
    return { seq, error: 'the page is not valid JSON' };
  }
  const items = (page as { items?: unknown } | null)?.items;
  if (typeof page !== 'object' || page === null || (items !== undefined && items !== null && !Array.isArray(items))) {
    return { seq, error: 'the page is not a list' };
  }
  const kept: unknown[] = [];
  for (const item of (items as unknown[] | null | undefined) ?? []) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const obj = item as Record<string, unknown>;
    if (typeof obj.apiVersion !== 'string') obj.apiVersion = kind.apiVersion;
    if (typeof obj.kind !== 'string') obj.kind = kind.kind;
    kept.push(project(kind.id as KindId, obj));
  }
  return { seq, items: kept };
}
