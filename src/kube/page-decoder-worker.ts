/**
 * A page decoder worker (page-decoder.ts): parses a list page and answers with its items, each
 * reduced to the slim record the audit keeps. One projection per worker, so the pods of one
 * ReplicaSet in a page share their common parts, as on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { slimProjection } from '../k8s/slim.js';
import { pageRecords } from './list-page.js';
import type { DecodeAnswer, DecodeRequest } from './page-decoder.js';

const project = slimProjection();

parentPort!.on('message', (request: DecodeRequest) => {
  // The page's memory goes back with the answer, to be read into again (body-buffers.ts).
  const answer: DecodeAnswer = { ...decode(request), body: request.body };
  parentPort!.postMessage(answer, [request.body]);
});

function decode({
  seq,
  body,
  length,
  kind,
}: DecodeRequest): { seq: number; items: unknown[] } | { seq: number; error: string } | { seq: number; problem: string } {
  let page: unknown;
  try {
    page = JSON.parse(Buffer.from(body, 0, length).toString('utf8'));
  } catch {
    return { seq, error: 'the page is not valid JSON' };
  }
  const taken = pageRecords(page, kind, project);
  return 'problem' in taken ? { seq, problem: taken.problem } : { seq, items: taken.records };
}
