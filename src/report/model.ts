import { compareRefs, type ResourceRef } from '../k8s/object.js';
import { fingerprintsOf } from './fingerprint.js';
import type { Inventory, SourceLocation } from '../k8s/inventory.js';
import { locateFinding } from './location.js';
import { renderMessage, type Finding, type Severity, type Subject, type Verdict } from '../engine/check.js';
import { byFinding } from '../engine/run.js';
import { SCORING_METHOD, type Grade, type ScoredCheck, type Scorecard } from '../engine/score.js';
import type { Waiver } from '../engine/waiver-model.js';
import type { ScopeSummary } from '../engine/scope.js';
import type { SkippedCheck } from '../engine/selection.js';

/** Bump the major part on any breaking change to the JSON report; documented in docs/report.md. */
export const REPORT_SCHEMA_VERSION = '1.3';

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
  /** With --baseline only (baseline.ts): whether the baseline had this finding. */
  baseline?: BaselineState;
  /** The waiver that accepted this finding: it is shown, not scored, and does not fail its check. */
  waived?: ReportWaiver;
  /**
   * Since 1.3: the checks whose findings report this finding's root causes (docs/scoring.md#one-root-cause-one-finding).
   * It is not counted as a finding of its own and is not shown as one; its subject is still scored.
   */
  explainedBy?: string[];
  /** Since 1.3: the checks whose findings this one stands for (their `explainedBy` names this check). */
  explains?: string[];
}

export interface ReportSubject {
  resource: ResourceRef;
  verdict: Verdict;
  details?: Record<string, unknown>;
  /** Left out of the check's score by a waiver. */
  waived?: true;
}

/** A waiver as the report shows it: where it is written, what it waives, why and until when. */
export type ReportWaiver = (
  { source: 'config'; file: string; index: number; match: ReportWaiverMatch } | { source: 'annotation'; resource: ResourceRef; line: number }
) & { checks: string[]; reason: string; owner?: string; expires?: string; link?: string };

export interface ReportWaiverMatch {
  kind?: string;
  namespace?: string;
  name?: string;
  /** The label selector as kubectl prints one: `app=web,tier notin (db)`. */
  selector?: string;
}

/** The audit's waivers that did not do their job, and annotations that could not be read. */
export interface ReportWaivers {
  /** Waivers read: the config file's and the annotations'. */
  count: number;
  expired: ReportWaiver[];
  unused: (ReportWaiver & { note?: string })[];
  problems: { resource: ResourceRef; line: number; text: string; problem: string }[];
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
  /**
   * Since 1.3: the check this one requires, which failed, and why that makes this one
   * not-applicable (docs/scoring.md#one-root-cause-one-finding).
   */
  failedPremise?: { check: string; because: string };
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
  source: 'live' | 'snapshot' | 'manifests';
  context?: string;
  server?: string;
  snapshots?: string[];
  /** Manifests only: the `--manifests` paths as given (`-` for stdin). */
  manifests?: string[];
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
  /**
   * `findings` counts the findings that stand; `waived` those waivers accepted; `explained` (since
   * 1.3) those folded into another check's finding of the same root cause.
   */
  summary: { pass: number; fail: number; unknown: number; notApplicable: number; findings: number; waived?: number; explained?: number };
  categories: ReportCategory[];
  checks: ReportCheck[];
  inventory: { kind: string; status: string; count: number; reason?: string }[];
  /** Checks that did not run, with the reason (since 1.2); the score was computed without them. */
  skipped: SkippedCheck[];
  /** Present when the audit was scoped to some namespaces (since 1.2). */
  scope?: ScopeSummary;
  gate?: ReportGate;
  /** With --baseline only: what the baseline was and what changed since (baseline.ts). */
  baseline?: ReportBaseline;
  /** The config file the audit read, as given with --config or found from the working directory. */
  config?: string;
  waivers?: ReportWaivers;
}

/**
 * `new`: the baseline evaluated the check and did not have the finding; `unchanged`: it had it;
 * `unknown`: the baseline did not evaluate the check (unknown or not run), so nobody can say.
 */
export type BaselineState = 'new' | 'unchanged' | 'unknown';

/** A finding named on its own, outside its report: what a baseline lists as fixed, a diff as new. */
export interface FindingSummary {
  checkId: string;
  severity: Severity;
  fingerprint: string;
  resource: ResourceRef;
  message: string;
  verify: string;
}

/** A check whose findings could not be compared: one of the two runs did not evaluate it. */
export interface NotComparedCheck {
  checkId: string;
  /** The check's status in the baseline (the old report), `not-run` when it has no entry there. */
  baselineStatus: ReportCheck['status'] | 'not-run';
  /** Its status in this run (the new report). */
  status: ReportCheck['status'] | 'not-run';
  /** Findings of this run not called new, and of the baseline not called fixed. */
  findings: number;
  baselineFindings: number;
}

export interface ReportBaseline {
  file: string;
  generatedAt: string;
  score: number | null;
  coverage: number;
  counts: { new: number; unchanged: number; fixed: number; unknown: number };
  fixed: FindingSummary[];
  notCompared: NotComparedCheck[];
}

export interface ReportGate {
  failUnder?: number;
  minCoverage?: number;
  /** Set when minCoverage is the default a score or findings gate applies (report/gate.ts). */
  minCoverageDefault?: boolean;
  /** The --fail-on values. */
  failOn?: string[];
  /** The --max-score-drop value. */
  maxScoreDrop?: number;
  /** --strict-waivers was given. */
  strictWaivers?: true;
  passed: boolean;
  reasons: string[];
  /** The one line the CLI prints on stderr: `gate failed: score 58.1 < 80; coverage 100%`. */
  verdict?: string;
}

export interface BuildReportInput {
  scorecard: Scorecard;
  inventory: Inventory;
  version: string;
  generatedAt: string;
  config?: string;
  waivers?: ReportWaivers;
  skipped?: SkippedCheck[];
  scope?: ScopeSummary;
}

export function buildReport({ scorecard, inventory, version, generatedAt, config, waivers, skipped, scope }: BuildReportInput): Report {
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
    if (outcome.status === 'unknown' || outcome.status === 'not-applicable') {
      const subjects = outcome.status === 'not-applicable' ? [] : (outcome.subjects ?? []).map(toSubject);
      return { ...base, reason: outcome.reason, ...(c.failedPremise ? { failedPremise: { ...c.failedPremise } } : {}), findings: [], subjects };
    }
    const { findings, waivers: waivedBy, explainedBy } = allFindings(c);
    const subjects = allSubjects(c);
    // Over every finding, waived or not: a waiver never changes another finding's fingerprint.
    const fingerprints = fingerprintsOf(meta.id, findings);
    return {
      ...base,
      findings: findings.map((f, i): ReportFinding => ({
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
        ...waivedField(waivedBy[i]),
        ...(explainedBy[i] ? { explainedBy: explainedBy[i] } : {}),
        ...explainsField(c.explains?.get(f)),
      })),
      subjects,
    };
  });
  const waivedFindings = checks.reduce((n, c) => n + c.findings.filter((f) => f.waived).length, 0);
  const explainedFindings = checks.reduce((n, c) => n + c.findings.filter((f) => f.explainedBy).length, 0);
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
      findings: checks.reduce((n, c) => n + c.findings.length, 0) - waivedFindings - explainedFindings,
      waived: waivedFindings,
      explained: explainedFindings,
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
    ...(config !== undefined ? { config } : {}),
    ...(waivers ? { waivers } : {}),
    skipped: [...(skipped ?? [])],
    ...(scope ? { scope } : {}),
  };
}

/**
 * The check's findings, standing, waived and explained, in the engine's order, with the waiver
 * of each waived one and the explaining checks of each explained one.
 */
function allFindings(c: ScoredCheck): { findings: Finding[]; waivers: (Waiver | undefined)[]; explainedBy: (string[] | undefined)[] } {
  const standing = c.outcome.status === 'pass' || c.outcome.status === 'fail' ? c.outcome.findings : [];
  const waived = c.waived?.findings ?? [];
  const explained = c.explained ?? [];
  if (waived.length === 0 && explained.length === 0) return { findings: standing, waivers: [], explainedBy: [] };
  const all: { finding: Finding; waiver?: Waiver; by?: string[] }[] = [...standing.map((finding) => ({ finding })), ...waived, ...explained];
  all.sort((a, b) => byFinding(a.finding, b.finding));
  return { findings: all.map((x) => x.finding), waivers: all.map((x) => x.waiver), explainedBy: all.map((x) => x.by) };
}

function explainsField(checks: string[] | undefined): { explains?: string[] } {
  return checks && checks.length > 0 ? { explains: [...checks] } : {};
}

function allSubjects(c: ScoredCheck): ReportSubject[] {
  const scored = (c.outcome.status === 'pass' || c.outcome.status === 'fail' ? c.outcome.subjects : []).map(toSubject);
  if (!c.waived || c.waived.subjects.length === 0) return scored;
  const waived = c.waived.subjects.map((s: Subject): ReportSubject => ({ ...toSubject(s), waived: true }));
  return [...scored, ...waived].sort((a, b) => compareRefs(a.resource, b.resource));
}

function waivedField(waiver: Waiver | undefined): { waived?: ReportWaiver } {
  return waiver ? { waived: toReportWaiver(waiver) } : {};
}

export function toReportWaiver(w: Waiver): ReportWaiver {
  const about = {
    checks: [...w.checks],
    reason: w.reason,
    ...(w.owner !== undefined ? { owner: w.owner } : {}),
    ...(w.expires !== undefined ? { expires: w.expires } : {}),
    ...(w.link !== undefined ? { link: w.link } : {}),
  };
  if (w.origin.source === 'annotation') return { source: 'annotation', resource: w.origin.resource, line: w.origin.line, ...about };
  const s = w.subject;
  const match: ReportWaiverMatch =
    s.type === 'object'
      ? { kind: s.ref.kind, ...(s.ref.namespace ? { namespace: s.ref.namespace } : {}), name: s.ref.name }
      : {
          ...(s.kind !== undefined ? { kind: s.kind } : {}),
          ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
          ...(s.name !== undefined ? { name: s.name } : {}),
          ...(s.selector ? { selector: s.selector.text } : {}),
        };
  return { source: 'config', file: w.origin.file, index: w.origin.index, match, ...about };
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
    src.type === 'live'
      ? { source: 'live', context: src.context, server: src.server }
      : src.type === 'manifests'
        ? { source: 'manifests', manifests: src.paths }
        : { source: 'snapshot', snapshots: src.paths };
  if (inventory.serverVersion) target.serverVersion = inventory.serverVersion;
  return target;
}
