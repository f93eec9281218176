import type { Report } from './model.js';

/** SARIF 2.1.0 for GitHub code scanning. */
export function renderSarif(report: Report): string {
  return `${JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'kposture', version: report.tool.version, rules: [] } }, results: [] }] }, null, 2)}\n`;
}
