import { Command, Option } from 'commander';
import { KpostureError } from '../../errors.js';
import { loadConfig, DEFAULT_SYSTEM_NAMESPACES, type Config } from '../../config/config.js';
import { loadBuiltinCatalogs } from '../../catalog/load.js';
import { mergeCatalogs } from '../../catalog/catalogs.js';
import { loadPlugins } from '../../engine/plugins.js';
import { kindsToCollect, runChecks } from '../../engine/run.js';
import { scoreResults } from '../../engine/score.js';
import { BUILTIN_CHECKS } from '../../../checks/index.js';
import type { Check } from '../../engine/check.js';
import { readInventory } from '../../inventory/read.js';
import type { Inventory } from '../../k8s/inventory.js';
import { buildReport, type Report } from '../../report/model.js';
import { FORMATS, REPORTERS } from '../../report/index.js';
import { VERSION } from '../../version.js';
import { checkDestinations, writeFilesAtomic, writeStdout, type Io } from '../io.js';
import { useColor, parsePercent, parseSeconds, collect, clusterOptions, liveReadOptions, printLine, terminalWidth, type ClusterFlags } from './shared.js';
import { describeCounts, progressOn, type Progress } from '../progress.js';

interface AuditFlags extends ClusterFlags {
  snapshot?: string[];
  format: string;
  output?: string;
  report?: string[];
  failUnder?: number;
  minCoverage?: number;
  config?: string;
  plugin?: string[];
  pluginTimeout?: number;
  check?: string[];
  skip?: string[];
  systemNamespaces?: string;
  color: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export function auditCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('audit')
    .description('audit a cluster (current kubeconfig context) or a snapshot, print a scored report')
    .option('-s, --snapshot <path>', 'audit a snapshot file or folder instead of a live cluster (repeatable)', collect, [])
    .addOption(new Option('-f, --format <format>', 'report format on stdout or -o').choices(FORMATS).default('table'))
    .option('-o, --output <file>', 'write the --format report to this file instead of stdout')
    .option('--report <format=file>', 'also write a report in another format, e.g. sarif=kposture.sarif (repeatable)', collect, [])
    .option('--fail-under <score>', 'exit 1 when the score is below this (0-100)', (v) => parsePercent(v, '--fail-under'))
    .option('--min-coverage <percent>', 'exit 1 when coverage is below this (0-100)', (v) => parsePercent(v, '--min-coverage'))
    .option('-c, --config <file>', 'configuration file (YAML or JSON)')
    .option('--plugin <file>', 'load extra checks from an ESM module (repeatable)', collect, [])
    .option('--plugin-timeout <seconds>', 'stop a plugin check that runs longer than this (default 30)', parseSeconds)
    .option('--check <id>', 'run only this check (repeatable)', collect, [])
    .option('--skip <id>', 'skip this check (repeatable)', collect, [])
    .option('--system-namespaces <list>', 'comma-separated namespaces excluded from tenant checks (default: kube-system,kube-public,kube-node-lease)')
    .option('--no-color', 'disable colors')
    .option('-q, --quiet', 'the table shows the summary alone; no progress on stderr')
    .option('--verbose', 'the table also shows how the score is computed');
  clusterOptions(cmd);
  cmd.action(async (flags: AuditFlags, command: Command) => {
    // --debug is also a program-level option, which commander may have taken before this command.
    const debug = Boolean(flags.debug ?? command.optsWithGlobals<{ debug?: boolean }>().debug);
    setExit(await runAudit({ ...flags, debug }, io));
  });
  return cmd;
}

function parseReportTargets(values: string[]): { format: string; file: string }[] {
  return values.map((v) => {
    const eq = v.indexOf('=');
    const format = eq > 0 ? v.slice(0, eq) : '';
    const file = eq > 0 ? v.slice(eq + 1) : '';
    if (!FORMATS.includes(format) || file === '') {
      throw new KpostureError('usage', `--report ${v}: expected FORMAT=FILE with FORMAT one of ${FORMATS.join(', ')}`, 'e.g. --report sarif=kposture.sarif');
    }
    return { format, file };
  });
}

function selectChecks(all: readonly Check[], config: Config, only: string[], skip: string[], configFile = 'the config file'): Check[] {
  const ids = new Set(all.map((c) => c.meta.id));
  const seen = new Set<string>();
  for (const c of all) {
    if (seen.has(c.meta.id)) throw new KpostureError('plugin', `check id ${c.meta.id} is defined twice`, 'give plugin checks their own ids');
    seen.add(c.meta.id);
  }
  const wanted = [...only, ...(config.checks?.only ?? [])];
  const skipped = [...skip, ...(config.checks?.disable ?? [])];
  const hint = 'run `kposture checks` to list them';
  for (const [flag, list] of [
    ['--check', only],
    ['--skip', skip],
  ] as const) {
    for (const id of list) if (!ids.has(id)) throw new KpostureError('usage', `${flag} ${id}: unknown check id`, hint);
  }
  const fromConfig: [string, string[]][] = [
    ['checks.only', config.checks?.only ?? []],
    ['checks.disable', config.checks?.disable ?? []],
    ['checks.options', Object.keys(config.checks?.options ?? {})],
  ];
  for (const [field, list] of fromConfig) {
    for (const [i, id] of list.entries()) {
      const where = field === 'checks.options' ? `${field}.${id}` : `${field}.${i}`;
      if (!ids.has(id)) throw new KpostureError('config', `config ${configFile}: field ${where}: unknown check id ${id}`, hint);
    }
  }
  return all.filter((c) => (wanted.length === 0 || wanted.includes(c.meta.id)) && !skipped.includes(c.meta.id));
}

async function runAudit(flags: AuditFlags, io: Io): Promise<number> {
  const extraReports = parseReportTargets(flags.report ?? []);
  // A path that cannot be written is exit 2 now, not after reading the whole cluster.
  checkDestinations([...(flags.output ? [flags.output] : []), ...extraReports.map((r) => r.file)]);
  const config = flags.config ? loadConfig(flags.config) : {};
  const catalogs = mergeCatalogs(loadBuiltinCatalogs(), config.catalogs ?? {});
  const plugins = await loadPlugins(flags.plugin ?? [], io.cwd);
  const checks = selectChecks([...BUILTIN_CHECKS, ...plugins], config, flags.check ?? [], flags.skip ?? [], flags.config);
  const systemNamespaces = new Set(
    flags.systemNamespaces !== undefined
      ? flags.systemNamespaces
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : (config.systemNamespaces ?? DEFAULT_SYSTEM_NAMESPACES),
  );

  // The inventory lives only inside this function: it, and what checks cache on it, can be
  // collected before the report is rendered (docs/performance.md#what-the-heap-holds).
  // With --debug: how long each phase took, and which checks took longest (tuning large clusters).
  const phases = phaseTimer(flags.debug ? (line) => printLine(io, line) : undefined);
  // --debug logs every step instead; --quiet wants nothing.
  const progress = flags.quiet || flags.debug ? undefined : progressOn(io, () => performance.now());
  const report = await (async (): Promise<Report> => {
    const inventory = await gatherInventory(flags, io, checks, progress);
    phases.done('read the inventory');
    const timings: [string, number][] = [];
    const results = runChecks({
      inventory,
      checks,
      catalogs,
      systemNamespaces,
      checkOptions: config.checks?.options ?? {},
      ...(flags.pluginTimeout ? { pluginTimeoutMs: flags.pluginTimeout * 1000 } : {}),
      onTimed: (id, ms) => {
        timings.push([id, ms]);
        progress?.status(`running checks: ${timings.length}/${checks.length}`);
      },
    });
    phases.done(`ran ${results.length} checks (slowest: ${slowest(timings)})`);
    const scorecard = scoreResults(results, config.categories);
    return buildReport({ scorecard, inventory, version: VERSION, generatedAt: new Date().toISOString() });
  })().finally(() => progress?.done());
  const gate = evaluateGate(report, flags.failUnder, flags.minCoverage);
  if (gate) report.gate = gate;

  // Files are written all or none (temp files, then renames); each report is rendered as it is
  // written, in pieces, so a 150,000-pod JSON report is never one string in memory.
  const shape = { verbose: Boolean(flags.verbose), quiet: Boolean(flags.quiet) };
  const files = extraReports.map(({ format, file }) => ({ file, content: REPORTERS[format]!(report, { color: false, ...shape }) }));
  if (flags.output) files.unshift({ file: flags.output, content: REPORTERS[flags.format]!(report, { color: false, ...shape }) });
  writeFilesAtomic(files);
  if (!flags.output) writeStdout(io, REPORTERS[flags.format]!(report, { color: useColor(flags.color, io, true), width: terminalWidth(io), ...shape }));
  phases.done('wrote the report');
  for (const f of files) printLine(io, `wrote ${f.file}`);
  return gate && !gate.passed ? 1 : 0;
}

/**
 * Logs each phase's wall time, and the heap in use and the process's resident memory after it,
 * when a log is given. The heap counts garbage not yet collected; RSS is what the OS sees.
 */
function phaseTimer(log: ((line: string) => void) | undefined): { done: (what: string) => void } {
  let last = performance.now();
  return {
    done: (what) => {
      if (!log) return;
      const now = performance.now();
      const { heapUsed, rss } = process.memoryUsage();
      log(`${what} in ${((now - last) / 1000).toFixed(2)} s (heap ${Math.round(heapUsed / 2 ** 20)} MiB, RSS ${Math.round(rss / 2 ** 20)} MiB)`);
      last = now;
    },
  };
}

function slowest(timings: [string, number][]): string {
  return [...timings]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([id, ms]) => `${id} ${(ms / 1000).toFixed(2)} s`)
    .join(', ');
}

function gatherInventory(flags: AuditFlags, io: Io, checks: Check[], progress: Progress | undefined): Promise<Inventory> {
  const say = (line: string): void => printLine(io, line);
  return readInventory({
    snapshots: flags.snapshot ?? [],
    cwd: io.cwd,
    live: { ...liveReadOptions(flags), env: io.env },
    kinds: kindsToCollect(checks),
    // Built-in checks read only what the slim projection keeps (test/k8s/slim.test.ts); a plugin
    // may read any field, so with one loaded objects are kept whole.
    slim: checks.every((c) => BUILTIN_CHECKS.includes(c)),
    ownsProcess: Boolean(io.ownsProcess),
    ...(progress ? { progress: progress.note, counts: (counts) => progress.status(describeCounts(counts)) } : {}),
    ...(flags.debug ? { debug: say } : {}),
  });
}

export function evaluateGate(report: Report, failUnder: number | undefined, minCoverage: number | undefined): Report['gate'] {
  if (failUnder === undefined && minCoverage === undefined) return undefined;
  const reasons: string[] = [];
  if (failUnder !== undefined) {
    if (report.score === null) reasons.push(`no score could be computed (coverage ${report.coverage}%), --fail-under ${failUnder}`);
    else if (report.score < failUnder) reasons.push(`score ${report.score} is below --fail-under ${failUnder}`);
  }
  if (minCoverage !== undefined && report.coverage < minCoverage) {
    reasons.push(`coverage ${report.coverage}% is below --min-coverage ${minCoverage}`);
  }
  return {
    ...(failUnder !== undefined ? { failUnder } : {}),
    ...(minCoverage !== undefined ? { minCoverage } : {}),
    passed: reasons.length === 0,
    reasons,
  };
}
