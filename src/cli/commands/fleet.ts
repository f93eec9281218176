/**
 * `kposture audit` over several clusters: `--context A --context B`, `--all-contexts`, `--contexts
 * GLOB`. Each cluster is audited as `audit --context` would (its own deadline, retries, coverage
 * and gate), at most `--parallel` at once, and reduced to its row of the fleet report as soon as it
 * is done: no inventory and no full report outlives its cluster. One cluster that cannot be read
 * is reported, the others complete; the fleet exits with the worst cluster's code (docs/fleet.md).
 */
import { Command, InvalidArgumentError } from 'commander';
import { ExitCode, KpostureError, describeError } from '../../errors.js';
import type { LiveOptions } from '../../inventory/live.js';
import { listContexts, resolveTarget } from '../../kube/kubeconfig.js';
import { mapBounded, oneAtATime } from '../../kube/limit.js';
import { evaluateGate, type GateRule } from '../../report/gate.js';
import type { Report } from '../../report/model.js';
import { waiverWarnings } from '../../report/waivers.js';
import { FLEET_FORMATS, FLEET_RENDERERS } from '../../fleet/index.js';
import { buildFleetReport, clusterRow, failedRow, type FleetCluster } from '../../fleet/model.js';
import { fleetHeadline } from '../../fleet/view.js';
import { selectContexts } from '../../fleet/select.js';
import { VERSION } from '../../version.js';
import { writeFilesAtomic, writeStdout, type Io } from '../io.js';
import { progressOn } from '../progress.js';
import { collect, printLine, terminalWidth } from './shared.js';

/** Clusters audited at once unless --parallel says otherwise: each one in flight holds its inventory. */
export const DEFAULT_PARALLEL = 4;

export interface FleetFlags {
  context?: string[];
  contexts?: string[];
  allContexts?: boolean;
  parallel?: number;
  kubeconfig?: string;
  snapshot?: string[];
  manifests?: string[];
  baseline?: string;
  pushgateway?: string;
  format: string;
  report?: string[];
}

export function fleetOptions(cmd: Command): Command {
  return cmd
    .option('--all-contexts', 'audit every context of the kubeconfig: a fleet report, one row per cluster, and their drift')
    .option('--contexts <glob>', "audit the contexts whose name matches, e.g. 'prod-*' (repeatable; quote it)", collect, [])
    .option('--parallel <n>', `clusters audited at once in a fleet audit (default ${DEFAULT_PARALLEL})`, parseParallel);
}

function parseParallel(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('--parallel takes a whole number from 1 to 64');
  return n;
}

/**
 * The contexts to audit when the flags ask for more than one cluster (sorted), or undefined when
 * they ask for one: then the audit is today's single-cluster audit, untouched. A selection that
 * comes down to one context gives that one.
 */
export async function fleetContexts(flags: FleetFlags, io: Io): Promise<string[] | undefined> {
  const named = flags.context ?? [];
  const patterns = flags.contexts ?? [];
  const all = Boolean(flags.allContexts);
  if (!all && patterns.length === 0 && named.length <= 1) return undefined;
  for (const [flag, given] of [
    ['--snapshot', flags.snapshot ?? []],
    ['--manifests', flags.manifests ?? []],
  ] as const) {
    if (given.length > 0) {
      throw new KpostureError(
        'usage',
        `${flag} cannot be combined with several contexts, --contexts or --all-contexts`,
        `audit either ${flag.slice(2)} or live clusters`,
      );
    }
  }
  const { names, origin } = await listContexts({ ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), env: io.env });
  return selectContexts(names, { named, patterns, all }, origin);
}

/** Flags a single-cluster audit takes that a fleet audit cannot: refused before any cluster is read. */
export function checkFleetFlags(flags: FleetFlags): void {
  const formats = FLEET_FORMATS.join(', ');
  if (flags.baseline !== undefined) {
    throw new KpostureError(
      'usage',
      '--baseline compares one cluster with its earlier report, not a fleet',
      'audit the cluster alone with --context NAME --baseline FILE',
    );
  }
  if (flags.pushgateway !== undefined) {
    throw new KpostureError(
      'usage',
      "--pushgateway pushes one cluster's metrics, not a fleet's",
      'audit each cluster alone with --context NAME --pushgateway URL',
    );
  }
  if (!FLEET_FORMATS.includes(flags.format)) {
    throw new KpostureError(
      'usage',
      `--format ${flags.format}: a fleet report is one of ${formats}`,
      'audit one cluster with --context NAME for its own report in this format',
    );
  }
  for (const r of flags.report ?? []) {
    const format = r.slice(0, Math.max(0, r.indexOf('=')));
    if (!FLEET_FORMATS.includes(format)) {
      throw new KpostureError('usage', `--report ${r}: a fleet report is one of ${formats}`, 'e.g. --report json=fleet.json');
    }
  }
}

export interface FleetRun {
  contexts: string[];
  parallel: number;
  /**
   * Audits one context as `audit --context` would, and returns its report (gate not yet applied),
   * resolving its kubeconfig entry with `resolve`.
   */
  audit: (context: string, resolve: LiveOptions['resolve']) => Promise<Report>;
  rules: readonly GateRule[];
  format: string;
  output?: string;
  reports: { format: string; file: string }[];
  color: boolean;
  quiet: boolean;
  debug: boolean;
  now: Date;
}

export async function runFleet(run: FleetRun, io: Io): Promise<number> {
  const progress = run.quiet || run.debug ? undefined : progressOn(io, () => performance.now());
  // A line to keep: above the status line on a terminal, a plain line in a log.
  const say = (line: string): void => (progress && io.stderrIsTTY && io.stderrRaw ? progress.note(line) : printLine(io, line));
  const running = new Set<string>();
  let done = 0;
  const tell = (): void =>
    progress?.status(`auditing ${run.contexts.length} clusters: ${done} done${running.size > 0 ? `, now ${[...running].join(', ')}` : ''}`);
  // One cluster's credentials at a time: each may load client-node into a worker for a moment.
  const resolve = oneAtATime(resolveTarget);
  const auditOne = async (context: string): Promise<FleetCluster> => {
    try {
      const report = await run.audit(context, resolve);
      for (const line of waiverWarnings(report.waivers)) say(`${context}: ${line}`);
      const gate = evaluateGate(report, run.rules);
      if (gate) report.gate = gate;
      // The report is dropped here: only its row (scores, coverage, gate, facts) is kept.
      return clusterRow(context, report);
    } catch (err) {
      if (err instanceof KpostureError) {
        say(`kposture: ${context}: ${err.oneLine()}`);
        if (run.debug && err.stack) printLine(io, err.stack);
        return failedRow(context, err.exitCode, err.oneLine());
      }
      const message = `internal error: ${describeError(err).split('\n')[0]!} (please report it; rerun with --debug for details)`;
      say(`kposture: ${context}: ${message}`);
      if (run.debug && err instanceof Error && err.stack) printLine(io, err.stack);
      return failedRow(context, ExitCode.internal, message);
    }
  };
  const rows = await mapBounded(run.contexts, run.parallel, async (context) => {
    running.add(context);
    tell();
    try {
      return await auditOne(context);
    } finally {
      running.delete(context);
      done++;
      tell();
    }
  }).finally(() => progress?.done());

  const fleet = buildFleetReport(rows, { version: VERSION, generatedAt: run.now.toISOString() });
  const files = run.reports.map(({ format, file }) => ({ file, content: FLEET_RENDERERS[format]!(fleet, { color: false }) }));
  if (run.output) files.unshift({ file: run.output, content: FLEET_RENDERERS[run.format]!(fleet, { color: false }) });
  writeFilesAtomic(files);
  if (!run.output) writeStdout(io, [FLEET_RENDERERS[run.format]!(fleet, { color: run.color, width: terminalWidth(io), quiet: run.quiet })]);
  for (const f of files) printLine(io, `wrote ${f.file}`);
  // Each failed gate on its own line, then the fleet's verdict last, as a single audit's is.
  for (const c of fleet.clusters) if (c.gate && !c.gate.passed) printLine(io, `${c.context}: gate failed: ${c.gate.reasons.join('; ')}`);
  if (run.rules.length > 0 || fleet.exitCode !== ExitCode.ok) printLine(io, `fleet: ${fleetHeadline(fleet)}`);
  return fleet.exitCode;
}
