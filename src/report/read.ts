import { KpostureError } from '../errors.js';
import { compileSchema, formatAjvError } from '../util/schemas.js';
import { fingerprintsOf } from './fingerprint.js';
import { REPORT_SCHEMA_VERSION, type Report, type ReportCheck, type ReportFinding } from './model.js';

const HINT = 'give a report written by `kposture audit --format json`';

/**
 * A kposture JSON report read back (a baseline, one side of a diff), or a one-line error naming
 * the file and the problem. Any 1.x report is accepted: the schema validates it, and findings of
 * a 1.0 report, which had no `checkId`, `severity` or `fingerprint`, get them computed exactly as
 * buildReport computes them (fingerprint.ts), so old reports compare like new ones.
 */
export function parseReport(text: string, file: string): Report {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new KpostureError('input', `${file}: not a kposture JSON report: invalid JSON: ${(err as Error).message.split('\n')[0]}`, HINT);
  }
  const version = schemaVersionOf(data);
  if (version === undefined) throw new KpostureError('input', `${file}: not a kposture JSON report (no tool "kposture" and schemaVersion)`, HINT);
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const [ownMajor, ownMinor] = REPORT_SCHEMA_VERSION.split('.').map(Number) as [number, number];
  if (major !== ownMajor) {
    throw new KpostureError(
      'input',
      `${file}: report schemaVersion ${version} is not supported (this kposture reads ${ownMajor}.x)`,
      'write both reports with the same major version of kposture',
    );
  }
  const validate = compileSchema('report.schema.json');
  if (!validate(data)) {
    // A newer minor version may add fields this schema does not know yet: say so, not just "unknown field".
    const newer = minor > ownMinor ? ` (schemaVersion ${version} is newer than this kposture's ${REPORT_SCHEMA_VERSION})` : '';
    throw new KpostureError(
      'input',
      `${file}: not a valid kposture JSON report${newer}: ${formatAjvError(validate.errors)}`,
      newer ? 'write both reports with the same kposture version' : HINT,
    );
  }
  const report = data as Report;
  return { ...report, checks: report.checks.map(withFindingIdentity) };
}

function schemaVersionOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const { schemaVersion, tool } = data as { schemaVersion?: unknown; tool?: unknown };
  if (typeof tool !== 'object' || tool === null || (tool as { name?: unknown }).name !== 'kposture') return undefined;
  return typeof schemaVersion === 'string' && /^\d+\.\d+$/.test(schemaVersion) ? schemaVersion : undefined;
}

/** The 1.1 identity fields of each finding, computed where a 1.0 report lacks them. */
function withFindingIdentity(check: ReportCheck): ReportCheck {
  const findings = check.findings as (Omit<ReportFinding, 'checkId' | 'severity' | 'fingerprint'> & Partial<ReportFinding>)[];
  if (findings.every((f) => f.fingerprint !== undefined && f.checkId !== undefined && f.severity !== undefined)) return check;
  // Ordinals in fingerprints count within the check's list, so the whole list is fingerprinted as buildReport does.
  const fingerprints = fingerprintsOf(check.id, findings);
  return {
    ...check,
    findings: findings.map((f, i) => ({
      ...f,
      checkId: f.checkId ?? check.id,
      severity: f.severity ?? check.severity,
      fingerprint: f.fingerprint ?? fingerprints[i]!,
      ...(f.namespace === undefined && f.resource.namespace ? { namespace: f.resource.namespace } : {}),
    })),
  };
}
