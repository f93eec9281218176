import { createHash } from 'node:crypto';
import { refKey, type ResourceRef } from '../k8s/object.js';

/**
 * A finding's fingerprint: sha256 (hex) of check id + object + message id, stable across runs and
 * blind to line numbers and wording. It is what a baseline compares and what SARIF's
 * `partialFingerprints` carry (docs/sarif.md); bump FINGERPRINT_VERSION if its inputs ever change.
 */
export const FINGERPRINT_VERSION = 'kposture/v1';

interface Fingerprinted {
  resource: ResourceRef;
  messageId: string;
  field: string;
}

/**
 * One fingerprint per finding of a check. Check + object + message id identify a finding; when a
 * check reports the same object twice with one message id, the field and then an ordinal tell
 * them apart.
 */
export function fingerprintsOf(checkId: string, findings: readonly Fingerprinted[]): string[] {
  const base = findings.map((f) => fingerprint(checkId, f));
  const counts = countBy(base);
  const withField = findings.map((f, i) => (counts.get(base[i]!)! > 1 ? fingerprint(checkId, f, [f.field]) : base[i]!));
  const fieldCounts = countBy(withField);
  const seen = new Map<string, number>();
  return findings.map((f, i) => {
    const fp = withField[i]!;
    if (fieldCounts.get(fp)! === 1) return fp;
    const n = (seen.get(fp) ?? 0) + 1;
    seen.set(fp, n);
    return fingerprint(checkId, f, [f.field, String(n)]);
  });
}

function fingerprint(checkId: string, finding: Fingerprinted, extra: string[] = []): string {
  const key = [`${checkId}:${refKey(finding.resource)}`, finding.messageId, ...extra].join('\u0000');
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
