import type { Report } from './model.js';
import { renderJsonChunks } from './json.js';
import { renderSarif } from './sarif.js';
import { renderTable } from './table.js';

export interface RenderOptions {
  color: boolean;
  /** Table: list each waived finding with its waiver (the count is always shown). */
  showWaived?: boolean;
}

/** A rendered report as pieces to write in order: a large JSON report is never one string. */
export type Reporter = (report: Report, options: RenderOptions) => Iterable<string>;

/** Reporters by format name, sorted. Each turns one report into text and prints nothing. */
export const REPORTERS: Readonly<Record<string, Reporter>> = {
  json: (r) => renderJsonChunks(r),
  sarif: (r) => [renderSarif(r)],
  table: (r, o) => [renderTable(r, o)],
};

export const FORMATS = Object.keys(REPORTERS);
