import { isRecord } from '../k8s/object.js';

const STATUSES = new Set(['pass', 'fail', 'unknown', 'not-applicable']);
const VERDICTS = new Set(['pass', 'fail', 'partial', 'unknown', 'info']);

/**
 * Checks what a check (built-in or plugin) returned against the Outcome contract.
 * Returns a description of the first problem, or undefined when the outcome is valid.
 */
export function validateOutcome(value: unknown, messages: Record<string, string>): string | undefined {
  if (!isRecord(value)) return 'not an object';
  if (typeof value.status !== 'string' || !STATUSES.has(value.status))
    return `status ${JSON.stringify(value.status)} is not one of pass, fail, unknown, not-applicable`;
  if (value.status === 'unknown' || value.status === 'not-applicable') {
    if (typeof value.reason !== 'string' || value.reason === '') return `${value.status} needs a reason`;
  }
  if (value.status === 'not-applicable') return undefined;
  if (value.subjects !== undefined || value.status !== 'unknown') {
    if (!Array.isArray(value.subjects)) return 'subjects must be an array';
    for (let i = 0; i < value.subjects.length; i++) {
      const s: unknown = value.subjects[i];
      if (!isRecord(s)) return `subjects[${i}] is not an object`;
      const problem = refProblem(s.resource);
      if (problem) return `subjects[${i}].resource ${problem}`;
      if (typeof s.verdict !== 'string' || !VERDICTS.has(s.verdict)) return `subjects[${i}].verdict is invalid`;
      if (s.credit !== undefined && (typeof s.credit !== 'number' || !(s.credit >= 0 && s.credit <= 1))) return `subjects[${i}].credit must be within 0..1`;
    }
  }
  if (value.status === 'unknown') return undefined;
  if (!Array.isArray(value.findings)) return 'findings must be an array';
  if (value.status === 'fail' && value.findings.length === 0) return 'a fail outcome needs at least one finding';
  for (let i = 0; i < value.findings.length; i++) {
    const f: unknown = value.findings[i];
    if (!isRecord(f)) return `findings[${i}] is not an object`;
    if (typeof f.messageId !== 'string' || !(f.messageId in messages)) return `findings[${i}].messageId ${JSON.stringify(f.messageId)} is not in meta.messages`;
    const problem = refProblem(f.resource);
    if (problem) return `findings[${i}].resource ${problem}`;
    for (const key of ['field', 'evidence', 'verify'] as const) {
      if (typeof f[key] !== 'string') return `findings[${i}].${key} must be a string`;
    }
    if (!isRecord(f.data)) return `findings[${i}].data must be an object`;
    if (f.causes !== undefined) {
      if (!Array.isArray(f.causes)) return `findings[${i}].causes must be an array`;
      for (let j = 0; j < f.causes.length; j++) {
        const c: unknown = f.causes[j];
        if (!isRecord(c) || typeof c.key !== 'string' || c.key === '') return `findings[${i}].causes[${j}] needs a resource and a non-empty key`;
        const causeProblem = refProblem(c.resource);
        if (causeProblem) return `findings[${i}].causes[${j}].resource ${causeProblem}`;
      }
    }
  }
  return undefined;
}

function refProblem(ref: unknown): string | undefined {
  if (!isRecord(ref)) return 'is not an object';
  if (typeof ref.kind !== 'string' || typeof ref.name !== 'string') return 'needs string kind and name';
  if (ref.namespace !== undefined && typeof ref.namespace !== 'string') return 'namespace must be a string';
  return undefined;
}
