import type { ResourceRef } from '../k8s/object.js';
import { fingerprintsOf } from './fingerprint.js';
import type { Inventory, SourceLocation } from '../k8s/inventory.js';
import { locateFinding } from './location.js';
import { renderMessage, type Severity, type Verdict } from '../engine/check.js';
import { SCORING_METHOD, type Grade, type Scorecard } from '../engine/score.js';

/** Bump the major part on any breaking change to the JSON report; documented in docs/report.md. */
export const REPORT_SCHEMA_VERSION = '1.1';

export interface ReportFinding {
  /** The check, its severity and the object's namespace, so that a finding read alone needs no join. */
  checkId: string;
  severity: Severity;
  /** Stable across runs (fingerprint.ts): what baselines compare and SARIF's partialFingerprints carry. */
  fingerprint: string;
  namespace?: string;
  messageId: string;
  message: string;
  resource: ResourceRef;
  field: string;
  evidence: string;
  verify: string;
  data: Record<string, string | number>;
  affected?: ResourceRef[];
  location: SourceLocation;
}

export interface ReportSubject {
  resource: ResourceRef;
  verdict: Verdict;
  details?: Record<string, unknown>;
}

export interface ReportCheck {
  id: string;
  title: string;
  category: string;
  severity: Severity;
  status: 'pass' | 'fail' | 'unknown' | 'not-applicable';
  score: number | null;
  weight: number;
  reason?: string;
  findings: ReportFinding[];
  subjects: ReportSubject[];
  rationale: string;
  remediation: string;
  references: string[];
}

export interface ReportCategory {
  id: string;
  title: string;
  score: number | null;
  inTotal: boolean;
  checks: string[];
}

export interface ReportTarget {
  source: 'live' | 'snapshot';
  context?: string;
  server?: string;
  snapshots?: string[];
  serverVersion?: string;
}

export interface Report {
  schemaVersion: string;
  tool: { name: 'kposture'; version: string };
  generatedAt: string;
  target: ReportTarget;
  score: number | null;
  grade: Grade | null;
  coverage: number;
  scoring: { method: string[] };
  summary: { pass: number; fail: number; unknown: number; notApplicable: number; findings: number };
  categories: ReportCategory[];
  checks: ReportCheck[];
  inventory: { kind: string; status: string; count: number; reason?: string }[];
  gate?: { failUnder?: number; minCoverage?: number; passed: boolean; reasons: string[] };
}

export interface BuildReportInput {
  scorecard: Scorecard;
  inventory: Inventory;
  version: string;
  generatedAt: string;
}

export function buildReport({ scorecard, inventory, version, generatedAt }: BuildReportInput): Report {
  const checks = scorecard.checks.map((c): ReportCheck => {
    const meta = c.check.meta;
    const outcome = c.outcome;
    const base = {
      id: meta.id,
      title: meta.title,
      category: meta.category,
      severity: meta.severity,
      status: outcome.status,
      score: c.score,
      weight: c.weight,
      rationale: meta.rationale,
      remediation: meta.remediation,
      references: [...meta.references],
    };
    const subjects = outcome.status === 'not-applicable' ? [] : (outcome.subjects ?? []).map(toSubject);
    if (outcome.status === 'unknown' || outcome.status === 'not-applicable') {
      return { ...base, reason: outcome.reason, findings: [], subjects };
    }
    const fingerprints = fingerprintsOf(meta.id, outcome.findings);
    return {
      ...base,
      findings: outcome.findings.map((f, i) => ({
        checkId: meta.id,
        severity: meta.severity,
        fingerprint: fingerprints[i]!,
        ...(f.resource.namespace ? { namespace: f.resource.namespace } : {}),
        messageId: f.messageId,
        message: renderMessage(meta.messages[f.messageId] ?? f.messageId, f.data),
        resource: f.resource,
        field: f.field,
        evidence: f.evidence,
        verify: f.verify,
        data: f.data,
        ...(f.affected && f.affected.length > 0 ? { affected: f.affected } : {}),
        location: locateFinding(inventory, f),
      })),
      subjects,
    };
  });
  const count = (s: ReportCheck['status']): number => checks.filter((c) => c.status === s).length;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'kposture', version },
    generatedAt,
    target: targetOf(inventory),
    score: scorecard.score,
    grade: scorecard.grade,
    coverage: scorecard.coverage,
    scoring: { method: [...SCORING_METHOD] },
    summary: {
      pass: count('pass'),
      fail: count('fail'),
      unknown: count('unknown'),
      notApplicable: count('not-applicable'),
      findings: checks.reduce((n, c) => n + c.findings.length, 0),
    },
    categories: scorecard.categories.map((cat) => ({
      id: cat.id,
      title: cat.title,
      score: cat.score,
      inTotal: cat.inTotal,
      checks: checks.filter((c) => c.category === cat.id).map((c) => c.id),
    })),
    checks,
    inventory: [...inventory.kinds.entries()]
      .sort(([a], [b]) => a.localeCompare(b, 'en'))
      .map(([kind, col]) => ({ kind, status: col.status, count: col.items.length, ...(col.reason ? { reason: col.reason } : {}) })),
  };
}

/**
 * The subject as the report shows it: resource, verdict and details (no `credit`, nothing else a
 * plugin may have added). Most subjects have just those and are shown as they are, not copied:
 * 150,000 fewer objects in the report of a 150,000-pod cluster.
 */
function toSubject(s: ReturnedSubject): ReportSubject {
  if (isShownAsIs(s)) return s;
  return s.details ? { resource: s.resource, verdict: s.verdict, details: s.details } : { resource: s.resource, verdict: s.verdict };
}

/** A subject as a check returned it: a plugin is not type-checked and may give `details: null`. */
interface ReturnedSubject {
  resource: ResourceRef;
  verdict: Verdict;
  details?: Record<string, unknown> | null;
}

/** Only the fields the report shows, and no empty details (the copy in toSubject leaves them out). */
function isShownAsIs(s: ReturnedSubject): s is ReportSubject {
  for (const key in s) if (key !== 'resource' && key !== 'verdict' && key !== 'details') return false;
  return s.details === undefined || Boolean(s.details);
}

function targetOf(inventory: Inventory): ReportTarget {
  const src = inventory.source;
  const target: ReportTarget =
    src.type === 'live' ? { source: 'live', context: src.context, server: src.server } : { source: 'snapshot', snapshots: src.paths };
  if (inventory.serverVersion) target.serverVersion = inventory.serverVersion;
  return target;
}
