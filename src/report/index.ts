import type { Report } from './model.js';
import { renderHtml } from './html.js';
import { renderJsonChunks } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderTable } from './table.js';

export interface RenderOptions {
  color: boolean;
  /** Table: list each waived finding with its waiver (the count is always shown). */
  showWaived?: boolean;
  /** Table only: the width of the terminal or log (80 when not given). */
  width?: number;
  /** Table only: also print how the score is computed. */
  verbose?: boolean;
  /** Table only: the summary alone. */
  quiet?: boolean;
}

/** A rendered report as pieces to write in order: a large JSON report is never one string. */
export type Reporter = (report: Report, options: RenderOptions) => Iterable<string>;

/** Reporters by format name, sorted. Each turns one report into text and prints nothing. */
export const REPORTERS: Readonly<Record<string, Reporter>> = {
  html: (r) => [renderHtml(r)],
  json: (r) => renderJsonChunks(r),
  junit: (r) => [renderJunit(r)],
  markdown: (r) => [renderMarkdown(r)],
  sarif: (r) => [renderSarif(r)],
  table: (r, o) => [renderTable(r, o)],
};

export const FORMATS = Object.keys(REPORTERS);
