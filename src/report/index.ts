import type { Report } from './model.js';
import { renderJson } from './json.js';
import { renderSarif } from './sarif.js';
import { renderTable } from './table.js';

export interface RenderOptions {
  color: boolean;
}

export type Reporter = (report: Report, options: RenderOptions) => string;

/** Reporters by format name, sorted. Each turns one report into bytes and prints nothing. */
export const REPORTERS: Readonly<Record<string, Reporter>> = {
  json: (r) => renderJson(r),
  sarif: (r) => renderSarif(r),
  table: (r, o) => renderTable(r, o),
};

export const FORMATS = Object.keys(REPORTERS);
