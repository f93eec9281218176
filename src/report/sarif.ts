import type { Severity } from '../engine/check.js';
import type { ResourceRef } from '../k8s/object.js';
import { FINGERPRINT_VERSION } from './fingerprint.js';
import type { Report, ReportCheck, ReportFinding } from './model.js';
import { sarifSuppressions, waiverNotifications, type SarifSuppression } from './sarif-waivers.js';
import { describeScope } from './audit-notes.js';
import { isScored } from './view.js';

/**
 * SARIF 2.1.0 for GitHub code scanning. Every choice here, and the GitHub and OASIS
 * facts behind it, is documented in docs/sarif.md.
 */

const SARIF_VERSION = '2.1.0';
/** The schema URI GitHub's own examples use. */
export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://www.npmjs.com/package/kposture';
/** Our own fingerprint (fingerprint.ts). */
export const FINGERPRINT_KEY = FINGERPRINT_VERSION;
/** The one partialFingerprints key GitHub code scanning reads. */
export const GITHUB_FINGERPRINT_KEY = 'primaryLocationLineHash';
/** GitHub rejects a run with more results than this. */
export const MAX_RESULTS = 25_000;
/** GitHub truncates rule descriptions beyond this many characters. */
const MAX_DESCRIPTION = 1024;
const MAX_RULE_NAME = 255;
const AFFECTED_IN_MESSAGE = 10;

type Level = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, Level> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

/**
 * GitHub maps security-severity to a label: over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium,
 * 0.1–3.9 low. Each value sits inside its band; info checks carry none (not a security result).
 */
const SECURITY_SEVERITY: Record<Severity, string | undefined> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  info: undefined,
};

const LEVEL_ORDER: Record<Level, number> = { error: 0, warning: 1, note: 2 };

/**
 * A check's level: from its severity when it counts in the score; `note` when it does not (info
 * checks, and categories outside the total such as DIE), so that code scanning does not show
 * what the score and the gate ignore as errors.
 */
function levelFor(report: Report, check: ReportCheck): Level {
  return isScored(report, check) ? LEVEL[check.severity] : 'note';
}

function securitySeverityFor(severity: Severity): string | undefined {
  return SECURITY_SEVERITY[severity];
}

/** `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects. */
function qualifiedName(ref: ResourceRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/** Percent-encodes each path segment, so a file name with spaces or `#` is still a valid URI reference. */
function toUriReference(filePath: string): string {
  return filePath
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

export function renderSarif(report: Report): string {
  return `${JSON.stringify(buildSarif(report), null, 2)}\n`;
}

export function buildSarif(report: Report): SarifLog {
  const checks = [...report.checks].sort((a, b) => a.id.localeCompare(b.id, 'en'));
  const ruleIndex = new Map(checks.map((c, i) => [c.id, i]));
  const all = checks.flatMap((check) => resultsFor(check, ruleIndex.get(check.id)!, levelFor(report, check)));
  const kept = all.length > MAX_RESULTS ? keepMostSevere(all, MAX_RESULTS) : all;

  const notifications: SarifNotification[] = checks
    .filter((c) => c.status === 'unknown')
    .map((c) => ({
      level: 'warning',
      message: { text: sentence(`${c.id} could not be evaluated and is excluded from the score: ${c.reason ?? 'no reason given'}`) },
      associatedRule: { id: c.id, index: ruleIndex.get(c.id)! },
    }));
  notifications.push(...waiverNotifications(report));
  if (kept.length < all.length) {
    notifications.push({
      level: 'warning',
      message: {
        text:
          `${all.length} findings exceed the ${MAX_RESULTS} results GitHub code scanning accepts in one run; ` +
          `the ${MAX_RESULTS} most severe are included and the JSON report has all of them.`,
      },
    });
  }

  // How the audit was set up: the namespaces it saw, the checks it did not run.
  const scope = describeScope(report);
  const configuration: SarifNotification[] = [
    ...(scope ? [{ level: 'note' as const, message: { text: scope } }] : []),
    ...report.skipped.map((s) => ({
      level: 'note' as const,
      message: { text: sentence(`${s.id} (${s.title}) was not run: ${s.reason}; the score was computed without it`) },
      properties: { checkId: s.id, reason: s.reason },
    })),
  ];

  const driver: SarifDriver = {
    name: 'kposture',
    version: report.tool.version,
    informationUri: INFORMATION_URI,
    ...(isSemver(report.tool.version) ? { semanticVersion: report.tool.version } : {}),
    rules: checks.map((check) => ruleFor(check, levelFor(report, check))),
  };
  return {
    $schema: SARIF_SCHEMA_URI,
    version: SARIF_VERSION,
    runs: [
      {
        tool: { driver },
        invocations: [
          {
            executionSuccessful: true,
            exitCode: report.gate && !report.gate.passed ? 1 : 0,
            endTimeUtc: report.generatedAt,
            toolExecutionNotifications: notifications,
            ...(configuration.length > 0 ? { toolConfigurationNotifications: configuration } : {}),
          },
        ],
        results: kept,
        properties: { kposture: runSummary(report) },
      },
    ],
  };
}

function ruleFor(check: ReportCheck, level: Level): SarifRule {
  const securitySeverity = securitySeverityFor(check.severity);
  const references = check.references;
  return {
    id: check.id,
    name: ruleName(check),
    shortDescription: { text: limit(sentence(check.title), MAX_DESCRIPTION) },
    fullDescription: { text: limit(sentence(check.rationale), MAX_DESCRIPTION) },
    help: {
      text: [
        `How to fix: ${check.remediation}`,
        ...(references.length > 0 ? ['', 'References:', ...references.map((r) => `- ${r}`)] : []),
        '',
        `Run \`kposture explain ${check.id}\` for the full explanation.`,
      ].join('\n'),
      markdown: [
        `**Why.** ${check.rationale}`,
        '',
        `**How to fix.** ${check.remediation}`,
        ...(references.length > 0 ? ['', '**References**', '', ...references.map((r) => `- <${r}>`)] : []),
        '',
        `Run \`kposture explain ${check.id}\` for the full explanation.`,
      ].join('\n'),
    },
    ...(references[0] ? { helpUri: references[0] } : {}),
    defaultConfiguration: { level },
    properties: {
      category: check.category,
      severity: check.severity,
      tags: ['security', 'kubernetes', check.category],
      ...(securitySeverity ? { 'security-severity': securitySeverity } : {}),
    },
  };
}

function resultsFor(check: ReportCheck, index: number, level: Level): SarifResult[] {
  // An explained finding is the result of another rule already (docs/scoring.md#one-root-cause-one-finding).
  return check.findings
    .filter((finding) => !finding.explainedBy)
    .map((finding) => {
      const fingerprint = finding.fingerprint;
      return {
        ruleId: check.id,
        ruleIndex: index,
        level,
        message: { text: resultMessage(finding) },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: toUriReference(finding.location.uri) },
              region: { startLine: Math.max(1, finding.location.startLine) },
            },
            logicalLocations: [{ name: finding.resource.name, fullyQualifiedName: qualifiedName(finding.resource), kind: 'resource' }],
          },
        ],
        partialFingerprints: { [FINGERPRINT_KEY]: fingerprint, [GITHUB_FINGERPRINT_KEY]: fingerprint },
        // SARIF's own baseline vocabulary; a finding the baseline could not judge gets none.
        ...(finding.baseline === 'new' || finding.baseline === 'unchanged' ? { baselineState: finding.baseline } : {}),
        suppressions: sarifSuppressions(finding),
        properties: {
          messageId: finding.messageId,
          field: finding.field,
          evidence: finding.evidence,
          verify: finding.verify,
          ...(Object.keys(finding.data).length > 0 ? { data: finding.data } : {}),
          ...(finding.affected ? { affected: finding.affected.map(qualifiedName) } : {}),
        },
      };
    });
}

function resultMessage(finding: ReportFinding): string {
  const lines = [sentence(finding.message), `Evidence: ${finding.field} = ${finding.evidence}.`];
  if (finding.affected && finding.affected.length > 0) {
    const shown = finding.affected.slice(0, AFFECTED_IN_MESSAGE).map(qualifiedName).join(', ');
    const rest = finding.affected.length - AFFECTED_IN_MESSAGE;
    lines.push(`Affects ${finding.affected.length} objects: ${shown}${rest > 0 ? ` and ${rest} more` : ''}.`);
  }
  lines.push(`Verify with: ${finding.verify}`);
  return lines.join('\n');
}

function keepMostSevere(results: SarifResult[], max: number): SarifResult[] {
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => LEVEL_ORDER[a.r.level] - LEVEL_ORDER[b.r.level] || a.i - b.i)
    .slice(0, max)
    .sort((a, b) => a.i - b.i)
    .map(({ r }) => r);
}

function runSummary(report: Report): Record<string, unknown> {
  return {
    schemaVersion: report.schemaVersion,
    target: report.target,
    score: report.score,
    grade: report.grade,
    coverage: report.coverage,
    summary: report.summary,
    checks: report.checks.map((c) => ({ id: c.id, status: c.status, score: c.score, ...(c.reason ? { reason: c.reason } : {}) })),
    ...(report.skipped.length > 0 ? { skipped: report.skipped } : {}),
    ...(report.scope ? { scope: report.scope } : {}),
    ...(report.gate ? { gate: report.gate } : {}),
  };
}

const ARTICLES = new Set(['a', 'an', 'the']);

/**
 * A PascalCase friendly name from the title, as the SARIF validator's rule SARIF2012 expects:
 * `A policy engine is installed` → `PolicyEngineIsInstalled`, `OS` → `Os`.
 */
export function ruleName(check: Pick<ReportCheck, 'id' | 'title'>): string {
  const words = (check.title.match(/[A-Za-z0-9]+/g) ?? []).filter((w) => !ARTICLES.has(w.toLowerCase()));
  const pascal = (w: string): string => {
    const rest = w.slice(1);
    return w[0]!.toUpperCase() + (rest === rest.toUpperCase() ? rest.toLowerCase() : rest);
  };
  const name = words.map(pascal).join('');
  return (/^[A-Z]/.test(name) ? name : `Check${check.id.replace(/[^A-Za-z0-9]/g, '')}${name}`).slice(0, MAX_RULE_NAME);
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function limit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function isSemver(version: string): boolean {
  return /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(version);
}

export interface SarifLog {
  $schema: string;
  version: typeof SARIF_VERSION;
  runs: SarifRun[];
}

export interface SarifRun {
  tool: { driver: SarifDriver };
  invocations: {
    executionSuccessful: boolean;
    exitCode: number;
    endTimeUtc: string;
    toolExecutionNotifications: SarifNotification[];
    /** How the audit was set up: its namespace scope, the checks it did not run. */
    toolConfigurationNotifications?: SarifNotification[];
  }[];
  results: SarifResult[];
  properties: Record<string, unknown>;
}

export interface SarifDriver {
  name: string;
  version: string;
  informationUri: string;
  semanticVersion?: string;
  rules: SarifRule[];
}

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri?: string;
  defaultConfiguration: { level: Level };
  properties: { category: string; severity: Severity; tags: string[]; 'security-severity'?: string };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: Level;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
    logicalLocations: { name: string; fullyQualifiedName: string; kind: 'resource' }[];
  }[];
  partialFingerprints: Record<string, string>;
  baselineState?: 'new' | 'unchanged';
  /** Empty for a finding that stands: SARIF wants it on every result or on none. */
  suppressions: SarifSuppression[];
  properties: Record<string, unknown>;
}

export interface SarifNotification {
  level: 'warning' | 'error' | 'note';
  message: { text: string };
  associatedRule?: { id: string; index: number };
  properties?: Record<string, unknown>;
}
