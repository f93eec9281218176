import { Command, Option } from 'commander';
import { KpostureError } from '../../errors.js';
import { loadConfig, DEFAULT_SYSTEM_NAMESPACES, type Config } from '../../config/config.js';
import { configToRead } from '../../config/discover.js';
import { configWaivers } from '../../config/waivers.js';
import { waiveResults } from '../../engine/waivers.js';
import { waiversSection, waiverWarnings, withStrictWaivers } from '../../report/waivers.js';
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
import { compareWithBaseline } from '../../report/baseline.js';
import { baselineGateRules, gateInputOf, type BaselineGateSettings } from '../../report/gate-rules.js';
import { readReportFile } from '../report-file.js';
import { VERSION } from '../../version.js';
import { checkDestinations, writeFilesAtomic, writeStdout, type Io } from '../io.js';
import { useColor, parsePercent, parseSeconds, collect, clusterOptions, liveReadOptions, printLine, type ClusterFlags } from './shared.js';

interface AuditFlags extends ClusterFlags {
  snapshot?: string[];
  format: string;
  output?: string;
  report?: string[];
  failUnder?: number;
  minCoverage?: number;
  config?: string | false;
  allowPermanentWaivers?: boolean;
  strictWaivers?: boolean;
  showWaived?: boolean;
  plugin?: string[];
  pluginTimeout?: number;
  check?: string[];
  skip?: string[];
  systemNamespaces?: string;
  baseline?: string;
  failOn?: string[];
  maxScoreDrop?: number;
  color: boolean;
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
    .option('--baseline <report.json>', 'compare with the JSON report of an earlier audit: findings new, unchanged or fixed')
    .option('--fail-on <what>', 'exit 1 on: new (a finding the --baseline did not have) (repeatable)', collect, [])
    .option('--max-score-drop <points>', "exit 1 when the score is more than this below the --baseline's", (v) => parsePercent(v, '--max-score-drop'))
    .option('-c, --config <file>', 'configuration file (YAML or JSON); default: .kposture.yaml found from the working directory upward')
    .option('--no-config', 'read no configuration file, not even a .kposture.yaml')
    .option('--allow-permanent-waivers', 'accept waivers without an expiry date')
    .option('--strict-waivers', 'fail the gate (exit 1) on a waiver that expired, matched no finding or cannot be read')
    .option('--show-waived', 'list the waived findings in the table, each with its waiver')
    .option('--plugin <file>', 'load extra checks from an ESM module (repeatable)', collect, [])
    .option('--plugin-timeout <seconds>', 'stop a plugin check that runs longer than this (default 30)', parseSeconds)
    .option('--check <id>', 'run only this check (repeatable)', collect, [])
    .option('--skip <id>', 'skip this check (repeatable)', collect, [])
    .option('--system-namespaces <list>', 'comma-separated namespaces excluded from tenant checks (default: kube-system,kube-public,kube-node-lease)')
    .option('--no-color', 'disable colors');
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
  // A bad baseline or gate flag is exit 2 now, not after reading the whole cluster.
  const gateSettings: BaselineGateSettings = { failOn: flags.failOn ?? [], ...(flags.maxScoreDrop !== undefined ? { maxScoreDrop: flags.maxScoreDrop } : {}) };
  baselineGateRules(gateSettings, flags.baseline !== undefined);
  const baseline = flags.baseline !== undefined ? readReportFile(flags.baseline, '--baseline') : undefined;
  const configFile = configToRead(flags.config, io.cwd);
  if (configFile && flags.debug) printLine(io, `config: ${configFile.shownAs}${configFile.found ? ' (found from the working directory)' : ''}`);
  const config = configFile ? loadConfig(configFile.path, configFile.shownAs) : {};
  const catalogs = mergeCatalogs(loadBuiltinCatalogs(), config.catalogs ?? {});
  const plugins = await loadPlugins(flags.plugin ?? [], io.cwd);
  const checks = selectChecks([...BUILTIN_CHECKS, ...plugins], config, flags.check ?? [], flags.skip ?? [], configFile?.shownAs);
  const knownChecks = [...BUILTIN_CHECKS, ...plugins].map((c) => c.meta.id);
  const allowPermanent = Boolean(flags.allowPermanentWaivers);
  const waivers = configWaivers(config.waivers ?? [], configFile?.shownAs ?? '', { knownChecks, allowPermanent });
  const now = io.now?.() ?? new Date();
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
  const report = await (async (): Promise<Report> => {
    const inventory = await gatherInventory(flags, io, checks);
    phases.done('read the inventory');
    const timings: [string, number][] = [];
    const results = runChecks({
      inventory,
      checks,
      catalogs,
      systemNamespaces,
      checkOptions: config.checks?.options ?? {},
      ...(flags.pluginTimeout ? { pluginTimeoutMs: flags.pluginTimeout * 1000 } : {}),
      onTimed: (id, ms) => timings.push([id, ms]),
    });
    phases.done(`ran ${results.length} checks (slowest: ${slowest(timings)})`);
    const waived = waiveResults(results, inventory, { configWaivers: waivers, knownChecks, allowPermanent, today: now.toISOString().slice(0, 10) });
    const scorecard = scoreResults(waived.results, config.categories);
    const shown = { ...(configFile ? { config: configFile.shownAs } : {}), waivers: waiversSection(waived) };
    const built = buildReport({ scorecard, inventory, version: VERSION, generatedAt: now.toISOString(), ...shown });
    return baseline ? compareWithBaseline(built, baseline, flags.baseline!) : built;
  })();
  for (const line of waiverWarnings(report.waivers)) printLine(io, line);
  const gate = withStrictWaivers(evaluateGate(report, flags.failUnder, flags.minCoverage, gateSettings), Boolean(flags.strictWaivers), report.waivers);
  if (gate) report.gate = gate;

  // Files are written all or none (temp files, then renames); each report is rendered as it is
  // written, in pieces, so a 150,000-pod JSON report is never one string in memory.
  const showWaived = Boolean(flags.showWaived);
  const files = extraReports.map(({ format, file }) => ({ file, content: REPORTERS[format]!(report, { color: false, showWaived }) }));
  if (flags.output) files.unshift({ file: flags.output, content: REPORTERS[flags.format]!(report, { color: false, showWaived }) });
  writeFilesAtomic(files);
  if (!flags.output) writeStdout(io, REPORTERS[flags.format]!(report, { color: useColor(flags.color, io, true), showWaived }));
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

function gatherInventory(flags: AuditFlags, io: Io, checks: Check[]): Promise<Inventory> {
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
    ...(io.stderrIsTTY ? { progress: say } : {}),
    ...(flags.debug ? { debug: say } : {}),
  });
}

export function evaluateGate(
  report: Report,
  failUnder: number | undefined,
  minCoverage: number | undefined,
  baselineGate: BaselineGateSettings = {},
): Report['gate'] {
  const rules = baselineGateRules(baselineGate, report.baseline !== undefined);
  if (failUnder === undefined && minCoverage === undefined && rules.length === 0) return undefined;
  const reasons: string[] = [];
  if (failUnder !== undefined) {
    if (report.score === null) reasons.push(`no score could be computed (coverage ${report.coverage}%), --fail-under ${failUnder}`);
    else if (report.score < failUnder) reasons.push(`score ${report.score} is below --fail-under ${failUnder}`);
  }
  if (minCoverage !== undefined && report.coverage < minCoverage) {
    reasons.push(`coverage ${report.coverage}% is below --min-coverage ${minCoverage}`);
  }
  for (const rule of rules) reasons.push(...rule(gateInputOf(report)));
  const { failOn = [], maxScoreDrop } = baselineGate;
  return {
    ...(failUnder !== undefined ? { failUnder } : {}),
    ...(minCoverage !== undefined ? { minCoverage } : {}),
    ...(failOn.length > 0 ? { failOn: [...new Set(failOn.map((v) => v.toLowerCase()))] } : {}),
    ...(maxScoreDrop !== undefined ? { maxScoreDrop } : {}),
    passed: reasons.length === 0,
    reasons,
  };
}
