/**
 * A page decoder worker (page-decoder.ts): parses a list page and answers with its items, each
 * reduced to the slim record the audit keeps. One projection per worker, so the pods of one
 * ReplicaSet in a page share their common parts, as on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { slimProjection } from '../inventory/slim.js';
import { isListPage, listItemRecord } from './list-page.js';
import type { DecodeAnswer, DecodeRequest } from './page-decoder.js';

const project = slimProjection();

parentPort!.on('message', (request: DecodeRequest) => {
  // The page's memory goes back with the answer, to be read into again (body-buffers.ts).
  const answer: DecodeAnswer = { ...decode(request), body: request.body };
  parentPort!.postMessage(answer, [request.body]);
});

function decode({ seq, body, length, kind }: DecodeRequest): { seq: number; items: unknown[] } | { seq: number; error: string } {
  let page: unknown;
  try {
    page = JSON.parse(Buffer.from(body, 0, length).toString('utf8'));
  } catch {
    return { seq, error: 'the page is not valid JSON' };
  }
  if (!isListPage(page)) return { seq, error: 'the page is not a list' };
  const kept: unknown[] = [];
  for (const item of page.items ?? []) {
    const record = listItemRecord(item, kind, project);
    if (record !== undefined) kept.push(record);
  }
  return { seq, items: kept };
}
