import { Command, Option } from 'commander';
import { KpostureError } from '../../errors.js';
import { loadConfig, DEFAULT_SYSTEM_NAMESPACES } from '../../config/config.js';
import { configToRead } from '../../config/discover.js';
import { configWaivers } from '../../config/waivers.js';
import { waiveResults } from '../../engine/waivers.js';
import { explainResults } from '../../engine/causes.js';
import { waiversSection, waiverWarnings } from '../../report/waivers.js';
import { loadBuiltinCatalogs } from '../../catalog/load.js';
import { mergeCatalogs } from '../../catalog/catalogs.js';
import { loadPlugins } from '../../engine/plugins.js';
import { kindsToCollect, premisesOf, runChecks } from '../../engine/run.js';
import { scoreResults } from '../../engine/score.js';
import { BUILTIN_CHECKS } from '../../../checks/index.js';
import type { Check } from '../../engine/check.js';
import { CheckIds, selectChecks } from '../../engine/selection.js';
import { validateCheckOptions } from '../../engine/options.js';
import { isNamespaceName, kindsForScope, resolveScope, summarizeScope, type NamespaceScope, type ResolvedScope } from '../../engine/scope.js';
import { parseSelectorString } from '../../k8s/selector-string.js';
import { evaluateGate, FAIL_ON_VALUES, gateRules } from '../../report/gate.js';
import { readInventory, type ReadRequest } from '../../inventory/read.js';
import type { LiveOptions } from '../../inventory/live.js';
import type { Inventory } from '../../k8s/inventory.js';
import { KINDS } from '../../k8s/kinds.js';
import { buildReport, type Report } from '../../report/model.js';
import { FORMATS, REPORTERS } from '../../report/index.js';
import { pushMetrics, pushTarget } from '../pushgateway.js';
import { compareWithBaseline } from '../../report/baseline.js';
import { readReportFile } from '../report-file.js';
import { VERSION } from '../../version.js';
import { inspectInventoryImages } from '../../images/audit.js';
import { describeInspection } from './image.js';
import { checkDestinations, readProcessStdin, writeFilesAtomic, writeStdout, type Io } from '../io.js';
import { useColor, parsePercent, parseSeconds, collect, clusterOptions, liveReadOptions, printLine, terminalWidth, type ClusterFlags } from './shared.js';
import { describeCounts, describeSnapshotProgress, progressOn, type Progress } from '../progress.js';
import { checkFleetFlags, DEFAULT_PARALLEL, fleetContexts, fleetOptions, runFleet, type FleetFlags } from './fleet.js';

interface AuditFlags extends ClusterFlags, FleetFlags {
  context?: string[];
  snapshot?: string[];
  manifests?: string[];
  defaultNamespace?: string;
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
  namespace?: string[];
  excludeNamespace?: string[];
  namespaceSelector?: string;
  failOn?: string[];
  systemNamespaces?: string;
  baseline?: string;
  maxScoreDrop?: number;
  color: boolean;
  quiet?: boolean;
  verbose?: boolean;
  pushgateway?: string;
  pushgatewayJob: string;
  pushgatewayGroup?: string[];
  inspectImages?: boolean;
  insecureRegistry?: string[];
  offline?: boolean;
}

/** A --report format that is not a --format: Prometheus metrics, rendered by prom-client (async). */
const METRICS_FORMAT = 'prometheus';

export function auditCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('audit')
    .description('audit a cluster (current kubeconfig context) or a snapshot, print a scored report')
    .option('-s, --snapshot <path>', 'audit a snapshot file or folder instead of a live cluster (repeatable)', collect, [])
    .option('--manifests <path>', 'audit rendered manifests (a file, a folder, - for stdin) instead of a cluster (repeatable)', collect, [])
    .option('--default-namespace <namespace>', 'with --manifests: the namespace of objects that name none (default: default)')
    .addOption(new Option('-f, --format <format>', 'report format on stdout or -o').choices(FORMATS).default('table'))
    .option('-o, --output <file>', 'write the --format report to this file instead of stdout')
    .option('--report <format=file>', 'also write a report in another format, e.g. sarif=kposture.sarif or prometheus=kposture.prom (repeatable)', collect, [])
    .option('--pushgateway <url>', 'push the Prometheus metrics to this Pushgateway (docs/in-cluster.md)')
    .option('--pushgateway-job <name>', 'job name of the pushed metrics', 'kposture')
    .option('--pushgateway-group <label=value>', 'grouping label of the pushed metrics, e.g. cluster=prod-eu1 (repeatable)', collect, [])
    .option('--fail-under <score>', 'exit 1 when the score is below this (0-100)', (v) => parsePercent(v, '--fail-under'))
    .option(
      '--fail-on <what>',
      `exit 1 on any finding at or above a severity, or on new findings (new, with --baseline): ${FAIL_ON_VALUES.join(', ')} (repeatable)`,
      collect,
      [],
    )
    .option('--min-coverage <percent>', 'exit 1 when coverage is below this (0-100); with --fail-under or --fail-on it defaults to 80', (v) =>
      parsePercent(v, '--min-coverage'),
    )
    .option('--baseline <report.json>', 'compare with the JSON report of an earlier audit: findings new, unchanged or fixed')
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
    .option('-n, --namespace <namespace>', 'tenant checks see only this namespace (repeatable); cluster-wide checks see everything', collect, [])
    .option('--exclude-namespace <namespace>', 'tenant checks leave this namespace out (repeatable)', collect, [])
    .option('--namespace-selector <selector>', 'tenant checks see only namespaces whose labels match, e.g. "team=a,env in (prod,stage),!legacy"')
    .option('--system-namespaces <list>', 'comma-separated namespaces excluded from tenant checks (default: kube-system,kube-public,kube-node-lease)')
    .option('--no-color', 'disable colors')
    .option('-q, --quiet', 'the table shows the summary alone; no progress on stderr')
    .option('--verbose', 'the table also shows how the score is computed')
    .option('--inspect-images', 'classify images by their content, read from their registries (docs/images.md)')
    .option(
      '--insecure-registry <host[:port]>',
      'with --inspect-images: reach this registry over plain HTTP or an unverified certificate (repeatable)',
      collect,
      [],
    )
    .option('--offline', 'with --inspect-images: send no request, use only the cache of earlier inspections');
  clusterOptions(cmd, { several: true });
  fleetOptions(cmd);
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
    if (!(FORMATS.includes(format) || format === METRICS_FORMAT) || file === '') {
      throw new KpostureError(
        'usage',
        `--report ${v}: expected FORMAT=FILE with FORMAT one of ${[...FORMATS, METRICS_FORMAT].join(', ')}`,
        'e.g. --report sarif=kposture.sarif',
      );
    }
    return { format, file };
  });
}

/** The namespaces tenant checks see, from --namespace, --exclude-namespace and --namespace-selector. */
function scopeFromFlags(flags: AuditFlags): NamespaceScope | undefined {
  const names = (flag: string, values: string[]): string[] =>
    values.map((v) => {
      if (isNamespaceName(v)) return v;
      throw new KpostureError(
        'usage',
        `${flag} ${v}: not a namespace name`,
        `namespace names are lowercase letters, digits and '-'; repeat the flag for several, e.g. ${flag} a ${flag} b`,
      );
    });
  const namespaces = names('--namespace', flags.namespace ?? []);
  const exclude = names('--exclude-namespace', flags.excludeNamespace ?? []);
  let selector: NamespaceScope['selector'];
  if (flags.namespaceSelector !== undefined) {
    const parsed = parseSelectorString(flags.namespaceSelector);
    if (!parsed.ok) {
      throw new KpostureError(
        'usage',
        `--namespace-selector ${JSON.stringify(flags.namespaceSelector)}: ${parsed.reason}`,
        'the syntax is kubectl\'s -l, e.g. "team=a,env in (prod,stage),!legacy"',
      );
    }
    selector = parsed.selector;
  }
  if (namespaces.length === 0 && exclude.length === 0 && !selector) return undefined;
  return { namespaces, exclude, ...(selector ? { selector } : {}) };
}

async function runAudit(given: AuditFlags, io: Io): Promise<number> {
  const started = performance.now();
  // Several contexts: a fleet audit (fleet.ts); one context, however chosen: the audit as ever.
  const contexts = await fleetContexts(given, io);
  const fleet = contexts && contexts.length > 1 ? contexts : undefined;
  if (fleet) checkFleetFlags(given);
  const flags: AuditFlags = contexts?.length === 1 ? { ...given, context: contexts } : given;
  const extraReports = parseReportTargets(flags.report ?? []);
  const push = flags.pushgateway !== undefined ? pushTarget(flags.pushgateway, flags.pushgatewayJob, flags.pushgatewayGroup ?? []) : undefined;
  const rules = gateRules(flags);
  const scope = scopeFromFlags(flags);
  const manifests = await manifestsFromFlags(flags, io);
  // A path that cannot be written is exit 2 now, not after reading the whole cluster.
  checkDestinations([...(flags.output ? [flags.output] : []), ...extraReports.map((r) => r.file)]);
  const baseline = flags.baseline !== undefined ? readReportFile(flags.baseline, '--baseline') : undefined;
  const configFile = configToRead(flags.config, io.cwd);
  if (configFile && flags.debug) printLine(io, `config: ${configFile.shownAs}${configFile.found ? ' (found from the working directory)' : ''}`);
  const config = configFile ? loadConfig(configFile.path, configFile.shownAs) : {};
  const configName = configFile?.shownAs ?? 'the config file';
  const catalogs = mergeCatalogs(loadBuiltinCatalogs(), config.catalogs ?? {});
  const plugins = await loadPlugins(flags.plugin ?? [], io.cwd);
  const all = [...BUILTIN_CHECKS, ...plugins];
  const { checks, skipped } = selectChecks(all, {
    check: flags.check ?? [],
    skip: flags.skip ?? [],
    only: config.checks?.only ?? [],
    disable: config.checks?.disable ?? [],
    configFile: configName,
  });
  const checkOptions = validateCheckOptions(new CheckIds(all), config.checks?.options ?? {}, configName);
  const knownChecks = all.map((c) => c.meta.id);
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
  // --debug logs every step instead; --quiet wants nothing.
  // One cluster's report, before the gate: the audit's own, or each of a fleet's (its own context).
  const auditCluster = async (cluster: AuditFlags, progress: Progress | undefined, resolve?: LiveOptions['resolve']): Promise<Report> => {
    const images = config.images ?? {};
    const inspectImages = Boolean(flags.inspectImages || images.inspect);
    // Checks the selected ones require but that were not selected still decide their premise.
    const premises = premisesOf(checks, all);
    const inventory = await gatherInventory(
      cluster,
      io,
      [...checks, ...premises],
      scope,
      progress,
      manifests && { ...manifests, cnis: catalogs.cnis },
      inspectImages,
      resolve,
    );
    phases.done('read the inventory');
    if (inspectImages) {
      inventory.imageContents = await inspectInventoryImages(inventory, {
        env: io.env,
        insecureRegistries: [...(images.insecureRegistries ?? []), ...(flags.insecureRegistry ?? [])],
        offline: Boolean(flags.offline || images.offline),
        now: () => Date.now(),
        ...(images.maxMiB !== undefined ? { maxBytes: images.maxMiB * (1 << 20) } : {}),
        ...(images.timeLimitSeconds !== undefined ? { timeLimitMs: images.timeLimitSeconds * 1000 } : {}),
        ...(progress ? { onProgress: (done: number, total: number, bytes: number) => progress.status(describeInspection(done, total, bytes)) } : {}),
      });
      phases.done('inspected the images');
    }
    const resolved = scope ? resolveScope(scope, inventory, (ns) => systemNamespaces.has(ns)) : undefined;
    if (resolved) for (const line of scopeWarnings(resolved, inventory.source.type)) printLine(io, `warning: ${line}`);
    const timings: [string, number][] = [];
    const results = runChecks({
      inventory,
      checks,
      catalogs,
      systemNamespaces,
      checkOptions,
      premises,
      ...(resolved ? { scope: resolved } : {}),
      ...(flags.pluginTimeout ? { pluginTimeoutMs: flags.pluginTimeout * 1000 } : {}),
      onTimed: (id, ms) => {
        timings.push([id, ms]);
        progress?.status(`running checks: ${timings.length}/${checks.length}`);
      },
    });
    phases.done(`ran ${results.length} checks (slowest: ${slowest(timings)})`);
    const waived = waiveResults(results, inventory, { configWaivers: waivers, knownChecks, allowPermanent, today: now.toISOString().slice(0, 10) });
    // One root cause, one finding: after waivers, so that a waived finding explains nothing (causes.ts).
    const scorecard = scoreResults(explainResults(waived.results), config.categories);
    const built = buildReport({
      scorecard,
      inventory,
      version: VERSION,
      generatedAt: now.toISOString(),
      ...(configFile ? { config: configFile.shownAs } : {}),
      waivers: waiversSection(waived),
      skipped,
      ...(resolved ? { scope: summarizeScope(resolved, checks) } : {}),
    });
    return baseline ? compareWithBaseline(built, baseline, flags.baseline!) : built;
  };
  if (fleet) {
    return runFleet(
      {
        contexts: fleet,
        parallel: flags.parallel ?? DEFAULT_PARALLEL,
        audit: (context, resolve) => auditCluster({ ...flags, context: [context] }, undefined, resolve),
        rules,
        format: flags.format,
        ...(flags.output ? { output: flags.output } : {}),
        reports: extraReports,
        color: useColor(flags.color, io, true),
        quiet: Boolean(flags.quiet),
        debug: Boolean(flags.debug),
        now,
      },
      io,
    );
  }
  const progress = flags.quiet || flags.debug ? undefined : progressOn(io, () => performance.now());
  const report = await auditCluster(flags, progress).finally(() => progress?.done());
  for (const line of waiverWarnings(report.waivers)) printLine(io, line);
  const gate = evaluateGate(report, rules);
  if (gate) report.gate = gate;

  // Files are written all or none (temp files, then renames); each report is rendered as it is
  // written, in pieces, so a 150,000-pod JSON report is never one string in memory.
  const shape = { verbose: Boolean(flags.verbose), quiet: Boolean(flags.quiet), showWaived: Boolean(flags.showWaived) };
  const wantMetrics = push !== undefined || extraReports.some((r) => r.format === METRICS_FORMAT);
  // prom-client is loaded only when metrics are asked for: other audits are spared its load time and memory.
  const durationSeconds = (performance.now() - started) / 1000;
  const metrics = wantMetrics ? (await import('../../report/prometheus.js')).metricsRegistry(report, { durationSeconds }) : undefined;
  const metricsText = metrics ? await metrics.metrics() : '';
  const files = extraReports.map(({ format, file }) => ({
    file,
    content: format === METRICS_FORMAT ? metricsText : REPORTERS[format]!(report, { color: false, ...shape }),
  }));
  if (flags.output) files.unshift({ file: flags.output, content: REPORTERS[flags.format]!(report, { color: false, ...shape }) });
  writeFilesAtomic(files);
  if (!flags.output) writeStdout(io, REPORTERS[flags.format]!(report, { color: useColor(flags.color, io, true), width: terminalWidth(io), ...shape }));
  phases.done('wrote the report');
  for (const f of files) printLine(io, `wrote ${f.file}`);
  if (push && metrics) {
    await pushMetrics(push, metrics);
    printLine(io, `pushed the metrics to ${push.url.host} (job ${push.job})`);
  }
  // The verdict is one line on stderr whatever the format and wherever the report went.
  if (gate?.verdict) printLine(io, gate.verdict);
  return gate && !gate.passed ? 1 : 0;
}

/** What a user should know about a scope that may not say what they meant. */
function scopeWarnings(resolved: ResolvedScope, source: Inventory['source']['type']): string[] {
  const where = source === 'live' ? 'the cluster has' : source === 'manifests' ? 'the manifests have' : 'the snapshot has';
  const lines = resolved.notFound.map((ns) => `--namespace ${ns}: ${where} no such namespace`);
  if (!resolved.unresolved && resolved.tenantNamespaces?.length === 0) lines.push('the scope holds no tenant namespace: tenant checks have nothing to examine');
  return lines;
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

/** What --manifests and --default-namespace ask for, standard input read when a path is `-`. */
async function manifestsFromFlags(flags: AuditFlags, io: Io): Promise<ReadRequest['manifests']> {
  const paths = flags.manifests ?? [];
  if (paths.length === 0) {
    if (flags.defaultNamespace !== undefined)
      throw new KpostureError('usage', '--default-namespace applies only with --manifests', 'drop it, or add --manifests PATH');
    return undefined;
  }
  if (flags.defaultNamespace !== undefined && !isNamespaceName(flags.defaultNamespace)) {
    throw new KpostureError(
      'usage',
      `--default-namespace ${flags.defaultNamespace}: not a namespace name`,
      "namespace names are lowercase letters, digits and '-'",
    );
  }
  if (paths.filter((p) => p === '-').length > 1) throw new KpostureError('usage', '--manifests - is given twice', 'standard input can be read once');
  const text = paths.includes('-') ? await (io.readStdin ?? readProcessStdin)() : undefined;
  return {
    paths,
    ...(text !== undefined ? { stdin: () => text } : {}),
    ...(flags.defaultNamespace !== undefined ? { defaultNamespace: flags.defaultNamespace } : {}),
    note: (line) => printLine(io, line),
  };
}

function gatherInventory(
  flags: AuditFlags,
  io: Io,
  checks: Check[],
  scope: NamespaceScope | undefined,
  progress: Progress | undefined,
  manifests: ReadRequest['manifests'],
  inspectImages = false,
  resolve?: LiveOptions['resolve'],
): Promise<Inventory> {
  const say = (line: string): void => printLine(io, line);
  return readInventory({
    snapshots: flags.snapshot ?? [],
    ...(manifests ? { manifests } : {}),
    cwd: io.cwd,
    live: { ...liveReadOptions(flags), env: io.env, ...(resolve ? { resolve } : {}) },
    // The whole cluster is read, scoped or not: cluster-wide checks need every namespace (engine/scope.ts).
    kinds: [...new Set([...kindsToCollect(checks), ...kindsForScope(scope), ...(inspectImages ? [KINDS.Pod, KINDS.Node] : [])])].sort(),
    // Built-in checks read only what the slim projection keeps (test/k8s/slim.test.ts); a plugin
    // may read any field, so with one loaded objects are kept whole.
    // Image inspection reads pods' container statuses and nodes, which the slim projection drops.
    slim: checks.every((c) => BUILTIN_CHECKS.includes(c)) && !inspectImages,
    ownsProcess: Boolean(io.ownsProcess),
    ...(progress
      ? {
          progress: progress.note,
          counts: (counts) => progress.status(describeCounts(counts)),
          snapshotCounts: (read) => progress.status(describeSnapshotProgress(read)),
        }
      : {}),
    ...(flags.debug ? { debug: say } : {}),
  });
}
