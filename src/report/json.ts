import type { Report } from './model.js';
import { jsonChunks } from '../util/json-chunks.js';

/**
 * The JSON report in pieces, one examined subject at a time: the report of a large cluster, as
 * one string (and its UTF-8 copy), set the audit's peak memory
 * (docs/performance.md#what-the-heap-holds). The bytes are those of
 * `JSON.stringify(report, null, 2)` plus a newline.
 */
export function renderJsonChunks(report: Report): Iterable<string> {
  // Levels: the report, its checks, a check, its subjects (or findings): each of those is one piece.
  return jsonChunks(report, 4, '', '\n');
}

export function renderJson(report: Report): string {
  return [...renderJsonChunks(report)].join('');
}
