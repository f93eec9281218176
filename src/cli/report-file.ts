import { readFileSync } from 'node:fs';
import { KpostureError } from '../errors.js';
import type { Report } from '../report/model.js';
import { parseReport } from '../report/read.js';

/**
 * Reads a kposture JSON report given on the command line (`--baseline`, `kposture diff`); every
 * problem is one line naming the file: missing, unreadable, not JSON, not a report, unknown major
 * version.
 */
export function readReportFile(file: string, label?: string): Report {
  const named = label ? `${label} ${file}` : file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new KpostureError('input', `${named}: cannot read: ${code}`, 'give the path of a JSON report written by `kposture audit --format json`');
  }
  return parseReport(text, named);
}
