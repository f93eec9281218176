import { renderFleetHtml } from './html.js';
import { renderFleetMarkdown } from './markdown.js';
import type { FleetReport } from './model.js';
import { renderFleetTable, type FleetRenderOptions } from './table.js';

/** Renderers of the fleet report, by format name, sorted. Each turns one fleet report into text and prints nothing. */
export const FLEET_RENDERERS: Readonly<Record<string, (report: FleetReport, options: FleetRenderOptions) => string>> = {
  html: (r) => renderFleetHtml(r),
  json: (r) => `${JSON.stringify(r, null, 2)}\n`,
  markdown: (r) => renderFleetMarkdown(r),
  table: (r, o) => renderFleetTable(r, o),
};

export const FLEET_FORMATS = Object.keys(FLEET_RENDERERS);
