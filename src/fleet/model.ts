/**
 * The fleet report: several clusters audited in one run (`kposture audit --context A --context B`,
 * `--all-contexts`, `--contexts GLOB`), one row per cluster and the drift between them. Each
 * cluster's report is reduced to its row (clusterRow) as soon as it is done, so a fleet holds no
 * inventory and no full report beyond the clusters in flight. Pure: the command does the I/O.
 */
import { ExitCode } from '../errors.js';
import type { Grade } from '../engine/score.js';
import type { Report } from '../report/model.js';
import { clusterFacts, type ClusterFacts } from './facts.js';
import { findDrift, type Drift } from './drift.js';

/** Bump the major part on any breaking change to the fleet JSON report; documented in docs/fleet.md. */
export const FLEET_SCHEMA_VERSION = '1.0';

/**
 * Exit codes from least to most serious: a fleet exits with its worst cluster's. A cluster that
 * could not be audited because of its own configuration (2) outranks one that could not be
 * reached (3), which outranks a failed gate (1); an internal error (4) outranks everything.
 */
const EXIT_ORDER: readonly ExitCode[] = [ExitCode.ok, ExitCode.gateFailed, ExitCode.cluster, ExitCode.usage, ExitCode.internal];

export type ClusterStatus = 'audited' | 'unreachable' | 'error';

export interface FleetCategory {
  id: string;
  title: string;
  score: number | null;
  inTotal: boolean;
}

export interface FleetCluster {
  context: string;
  status: ClusterStatus;
  /** What this cluster alone would have made `kposture audit --context` exit with. */
  exitCode: ExitCode;
  server?: string;
  serverVersion?: string;
  /** Not audited: the one line the single-cluster audit would have printed. */
  error?: string;
  score?: number | null;
  grade?: Grade | null;
  coverage?: number;
  categories?: FleetCategory[];
  summary?: Report['summary'];
  /** Kinds that could not be listed (`forbidden`, `error`), which is what lowers coverage. */
  unread?: { kind: string; status: string; reason?: string }[];
  gate?: { passed: boolean; reasons: string[] };
  facts?: ClusterFacts;
}

export interface FleetReport {
  schemaVersion: string;
  tool: { name: 'kposture'; version: string };
  generatedAt: string;
  /** The fleet's exit code: the worst of the clusters' (EXIT_ORDER). */
  exitCode: ExitCode;
  summary: { clusters: number; audited: number; unreachable: number; errors: number; gateFailed: number };
  /** Sorted by context name. */
  clusters: FleetCluster[];
  drift: Drift;
}

/** A cluster's row, from its finished report (gate included); the report can be dropped after. */
export function clusterRow(context: string, report: Report): FleetCluster {
  const gate = report.gate;
  const unread = report.inventory
    .filter((k) => k.status === 'forbidden' || k.status === 'error')
    .map((k) => ({ kind: k.kind, status: k.status, ...(k.reason ? { reason: k.reason } : {}) }));
  return {
    context,
    status: 'audited',
    exitCode: gate && !gate.passed ? ExitCode.gateFailed : ExitCode.ok,
    ...(report.target.server ? { server: report.target.server } : {}),
    ...(report.target.serverVersion ? { serverVersion: report.target.serverVersion } : {}),
    score: report.score,
    grade: report.grade,
    coverage: report.coverage,
    categories: report.categories.map((c) => ({ id: c.id, title: c.title, score: c.score, inTotal: c.inTotal })),
    summary: { ...report.summary },
    unread,
    ...(gate ? { gate: { passed: gate.passed, reasons: [...gate.reasons] } } : {}),
    facts: clusterFacts(report),
  };
}

/** A cluster that could not be audited: unreachable (exit 3) or another error, with its exit code. */
export function failedRow(context: string, exitCode: ExitCode, error: string): FleetCluster {
  return { context, status: exitCode === ExitCode.cluster ? 'unreachable' : 'error', exitCode, error };
}

export function worstExit(codes: readonly ExitCode[]): ExitCode {
  return codes.reduce<ExitCode>((worst, c) => (EXIT_ORDER.indexOf(c) > EXIT_ORDER.indexOf(worst) ? c : worst), ExitCode.ok);
}

export function buildFleetReport(rows: readonly FleetCluster[], meta: { version: string; generatedAt: string }): FleetReport {
  const clusters = [...rows].sort((a, b) => a.context.localeCompare(b.context, 'en'));
  return {
    schemaVersion: FLEET_SCHEMA_VERSION,
    tool: { name: 'kposture', version: meta.version },
    generatedAt: meta.generatedAt,
    exitCode: worstExit(clusters.map((c) => c.exitCode)),
    summary: {
      clusters: clusters.length,
      audited: clusters.filter((c) => c.status === 'audited').length,
      unreachable: clusters.filter((c) => c.status === 'unreachable').length,
      errors: clusters.filter((c) => c.status === 'error').length,
      gateFailed: clusters.filter((c) => c.gate && !c.gate.passed).length,
    },
    clusters,
    drift: findDrift(clusters),
  };
}
