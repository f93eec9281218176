/**
 * `npm run bench`: audits synthetic clusters of growing size live and from a snapshot file, next
 * to kubectl listing the same cluster and to the floor (reading and parsing it with nothing else
 * done), and reports wall time, CPU time and peak RSS of each, measured alone in a child process.
 * With --repeat N each figure is the median of N runs with its spread (min–max), and kposture's
 * CPU time is divided by the floor's beside its wall time: kposture runs worker threads and the
 * floor does not, so on a busy machine the wall ratio moves more than the CPU ratio does
 * (docs/performance.md#reading-the-figures).
 *
 *   npm run bench                      # M, L, XL, XL-ns; kubectl at M and L
 *   npm run bench -- --sizes M         # a quick run
 *   npm run bench -- --with-kubectl-xl # kubectl at XL too (minutes, and GBs of RAM)
 *
 * Then image inspection on the loopback registry (bench/images.ts: 1,000 images, 50 ms per
 * request), when `docker-registry` is on PATH.
 *
 * Flags: --sizes LIST, --with-kubectl-xl, --no-kubectl, --repeat N (median of N runs),
 * --snapshot-style kposture|kubectl, --timeout SECONDS (per measurement), --out FILE, --keep,
 * --no-images.
 * Everything runs on 127.0.0.1. The table goes to stdout, the figures to bench/results/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { BUILTIN_CHECKS } from '../checks/index.js';
import { kindsToCollect } from '../src/engine/run.js';
import { kindSpec } from '../src/k8s/kinds.js';
import { gnuTimeAvailable, measure, type Measurement } from './measure.js';
import { writeSnapshotFile, type SnapshotStyle } from './snapshot-file.js';
import { KIND_GENERATORS, SIZES, deploymentCount, type ClusterSize } from './synth.js';
import { TLS_DIR } from './server.js';
import { imageBenchLines, type ImageBench } from './images.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST_BENCH = path.join(REPO_ROOT, 'dist', 'bench');
const KPOSTURE = path.join(REPO_ROOT, 'bin', 'kposture.js');
const DEFAULT_SIZES = ['M', 'L', 'XL', 'XL-ns'];
const KUBECTL_RESOURCES = 'nodes,namespaces,pods,networkpolicies';
/** Sizes where a whole-file JSON.parse is also measured (a V8 string holds at most ~512 MiB). */
const WHOLE_PARSE_MAX_BYTES = 400 * 1024 * 1024;

interface Options {
  sizes: string[];
  kubectlXl: boolean;
  kubectl: boolean;
  repeat: number;
  style: SnapshotStyle;
  timeoutMs: number;
  out?: string;
  keep: boolean;
  images: boolean;
}

function snapshotStyle(value: string): SnapshotStyle {
  if (value !== 'kposture' && value !== 'kubectl') throw new Error('--snapshot-style is kposture or kubectl');
  return value;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: DEFAULT_SIZES, kubectlXl: false, kubectl: true, repeat: 1, style: 'kposture', timeoutMs: 20 * 60_000, keep: false, images: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--sizes')
      o.sizes = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a === '--with-kubectl-xl') o.kubectlXl = true;
    else if (a === '--no-kubectl') o.kubectl = false;
    else if (a === '--repeat') o.repeat = Math.max(1, Number(value()));
    else if (a === '--snapshot-style') o.style = snapshotStyle(value());
    else if (a === '--timeout') o.timeoutMs = Number(value()) * 1000;
    else if (a === '--out') o.out = value();
    else if (a === '--keep') o.keep = true;
    else if (a === '--no-images') o.images = false;
    else throw new Error(`unknown flag ${a} (see the top of bench/run.ts)`);
  }
  for (const s of o.sizes) if (!SIZES[s]) throw new Error(`unknown size ${s}: one of ${Object.keys(SIZES).join(', ')}`);
  return o;
}

// ---------------------------------------------------------------------------------------------
// The server

interface RunningServer {
  url: string;
  token: string;
  startupMs: number;
  child: ChildProcess;
}

async function startServer(size: ClusterSize): Promise<RunningServer> {
  // The server holds the whole cluster serialised (~1 GB at XL) in buffers outside the heap.
  const child = spawn(process.execPath, [path.join(DIST_BENCH, 'server.js'), '--size', size.name], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the bench server exited with ${code}`)));
  });
  const ready = JSON.parse(first) as { url: string; token: string; startupMs: number };
  return { ...ready, child };
}

async function stopServer(server: RunningServer): Promise<void> {
  server.child.stdin?.end();
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function serverStats(
  server: RunningServer,
): Promise<{ listPages: number; bytes: number; byPath: Record<string, { pages: number; bytes: number; limits: number[] }> }> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    https
      .get(`${server.url}/_bench/stats`, { ca: readFileSync(path.join(TLS_DIR, 'ca.crt')), headers: { Authorization: `Bearer ${server.token}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve(JSON.parse(body) as never));
      })
      .on('error', reject);
  });
}

function writeKubeconfig(dir: string, server: RunningServer): string {
  const file = path.join(dir, 'kubeconfig');
  const ca = readFileSync(path.join(TLS_DIR, 'ca.crt')).toString('base64');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'bench', cluster: { server: server.url, 'certificate-authority-data': ca } }],
      users: [{ name: 'bench', user: { token: server.token } }],
      contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench' } }],
      'current-context': 'bench',
    }),
    { mode: 0o600 },
  );
  return file;
}

/** The list paths kposture reads that hold objects: the floor reads exactly these. */
function floorPaths(): string[] {
  const wanted = new Set(kindsToCollect(BUILTIN_CHECKS));
  const paths: string[] = [];
  for (const k of KIND_GENERATORS) {
    const slash = k.apiVersion.indexOf('/');
    const group = slash < 0 ? '' : k.apiVersion.slice(0, slash);
    const kind = k.listKind.slice(0, -'List'.length);
    const id = group ? `${kind}.${group}` : kind;
    if (!wanted.has(id) || !kindSpec(id)) continue;
    paths.push(`${group ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`}/${k.resource}`);
  }
  return paths;
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** The median of a figure over the runs that succeeded, and its spread. */
interface Stat {
  median: number;
  min: number;
  max: number;
}

/** One thing measured --repeat times. */
interface Sample {
  ok: boolean;
  runs: number;
  okRuns: number;
  wallMs?: Stat;
  cpuMs?: Stat;
  rssMiB?: Stat;
  /** The last run, for its exit code and error when no run succeeded. */
  last: Measurement;
}

interface Row {
  size: string;
  what: string;
  s: Sample;
  note?: string;
}

function stat(values: (number | undefined)[]): Stat | undefined {
  const v = values.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]! };
}

function summarise(runs: Measurement[]): Sample {
  const ok = runs.filter((r) => r.ok);
  const s: Sample = { ok: ok.length > 0, runs: runs.length, okRuns: ok.length, last: runs[runs.length - 1]! };
  const wall = stat(ok.map((r) => r.wallMs));
  const cpu = stat(ok.map((r) => r.cpuMs));
  const rss = stat(ok.map((r) => r.rssMiB));
  if (wall) s.wallMs = wall;
  if (cpu) s.cpuMs = cpu;
  if (rss) s.rssMiB = rss;
  return s;
}

async function repeat(n: number, run: () => Promise<Measurement>): Promise<Sample> {
  const runs: Measurement[] = [];
  for (let i = 0; i < n; i++) runs.push(await run());
  return summarise(runs);
}

function reportSummary(file: string): { score: unknown; coverage: unknown; checks: Record<string, string> } | undefined {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as { score?: unknown; coverage?: unknown; checks?: { id: string; status: string }[] };
    return { score: r.score, coverage: r.coverage, checks: Object.fromEntries((r.checks ?? []).map((c) => [c.id, c.status])) };
  } catch {
    return undefined;
  }
}

function registryInstalled(): boolean {
  try {
    execFileSync('docker-registry', ['--version'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

function kubectlVersion(): string | undefined {
  try {
    const out = execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 });
    return (JSON.parse(out) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
  } catch {
    return undefined;
  }
}

function fmtS(ms: number | undefined): string {
  return ms === undefined ? '—' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}
function fmtMiB(m: number | undefined): string {
  return m === undefined ? '—' : `${Math.round(m)} MiB`;
}
/** A median, followed by its spread when the runs differ: `1.51s (1.48–1.60)`. */
function fmtStat(st: Stat | undefined, fmt: (n: number) => string, bare: (n: number) => string): string {
  if (!st) return '—';
  const [min, max] = [bare(st.min), bare(st.max)];
  return min === max ? fmt(st.median) : `${fmt(st.median)} (${min}–${max})`;
}
const fmtSeconds = (st: Stat | undefined): string =>
  fmtStat(
    st,
    (n) => fmtS(n),
    (n) => fmtS(n).slice(0, -1),
  );
const fmtRss = (st: Stat | undefined): string =>
  fmtStat(
    st,
    (n) => fmtMiB(n),
    (n) => String(Math.round(n)),
  );

/** a ÷ b of the medians, and the widest range the runs allow (a's lowest ÷ b's highest to a's highest ÷ b's lowest). */
interface Ratio {
  median: number;
  low: number;
  high: number;
}
function ratioOf(a: Stat | undefined, b: Stat | undefined): Ratio | undefined {
  if (!a || !b || b.median === 0 || b.min === 0 || b.max === 0) return undefined;
  return { median: a.median / b.median, low: a.min / b.max, high: a.max / b.min };
}
function fmtRatio(r: Ratio | undefined): string {
  if (!r) return '—';
  const x = (n: number): string => n.toFixed(2);
  return x(r.low) === x(r.high) ? `${x(r.median)}×` : `${x(r.median)}× (${x(r.low)}–${x(r.high)})`;
}
function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`;
}
function round(st: Stat | undefined): Stat | null {
  return st ? { median: Math.round(st.median), min: Math.round(st.min), max: Math.round(st.max) } : null;
}
function roundRatio(r: Ratio | undefined): Ratio | null {
  const x = (n: number): number => Number(n.toFixed(3));
  return r ? { median: x(r.median), low: x(r.low), high: x(r.high) } : null;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c === 0 || c === 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

async function benchSize(
  size: ClusterSize,
  o: Options,
  work: string,
  kubectl: string | undefined,
  log: (s: string) => void,
): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const rows: Row[] = [];
  const extra: Record<string, unknown> = {};
  const dir = path.join(work, size.name);
  mkdirSync(dir, { recursive: true });
  const timeout = { timeoutMs: o.timeoutMs };

  log(`${size.name}: writing the snapshot file (${o.style} style)…`);
  const snapshotFile = path.join(dir, 'cluster.json');
  const t0 = Date.now();
  const written = writeSnapshotFile(size, snapshotFile, o.style);
  extra.snapshot = { style: o.style, bytes: written.bytes, objects: written.objects, writeMs: Date.now() - t0 };

  log(`${size.name}: starting the bench API server…`);
  const server = await startServer(size);
  extra.serverStartupMs = server.startupMs;
  try {
    const kubeconfig = writeKubeconfig(dir, server);
    const node = process.execPath;
    const report = (name: string): string => path.join(dir, `${name}.json`);

    log(`${size.name}: floor (paged GET + JSON.parse)…`);
    const floor = await repeat(o.repeat, () =>
      measure(
        node,
        [
          path.join(DIST_BENCH, 'floor.js'),
          'live',
          '--server',
          server.url,
          '--token',
          server.token,
          '--ca',
          path.join(TLS_DIR, 'ca.crt'),
          '--paths',
          floorPaths().join(','),
          '--limit',
          '500',
        ],
        { ...timeout, stdout: 'capture' },
      ),
    );
    rows.push({ size: size.name, what: 'live floor', s: floor });
    await serverStats(server);

    log(`${size.name}: kposture audit, live…`);
    // -o to a file, never /dev/null: the report is written to a temp file then renamed.
    const live = await repeat(o.repeat, () =>
      measure(node, [KPOSTURE, 'audit', '--format', 'json', '-o', report('live'), '--kubeconfig', kubeconfig], timeout),
    );
    rows.push({ size: size.name, what: 'kposture live', s: live });
    extra.liveRequests = await serverStats(server);
    extra.liveReport = reportSummary(report('live'));

    const wantKubectl = o.kubectl && (!size.name.startsWith('XL') || o.kubectlXl);
    if (!o.kubectl) {
      rows.push({ size: size.name, what: 'kubectl', s: skipped(), note: 'skipped (--no-kubectl)' });
    } else if (!kubectl) {
      rows.push({ size: size.name, what: 'kubectl', s: skipped(), note: 'kubectl is not on PATH' });
    } else if (!wantKubectl) {
      rows.push({ size: size.name, what: 'kubectl', s: skipped(), note: 'not run at XL without --with-kubectl-xl' });
    } else {
      log(`${size.name}: kubectl get ${KUBECTL_RESOURCES} -A -o json --chunk-size=500…`);
      const kubectl = await repeat(o.repeat, () =>
        measure('kubectl', ['--kubeconfig', kubeconfig, 'get', KUBECTL_RESOURCES, '-A', '-o', 'json', '--chunk-size=500'], { ...timeout, stdout: 'discard' }),
      );
      rows.push({ size: size.name, what: 'kubectl', s: kubectl });
      extra.kubectlRequests = await serverStats(server);
    }

    log(`${size.name}: snapshot floor (item-by-item parse)…`);
    rows.push({
      size: size.name,
      what: 'snapshot floor',
      s: await repeat(o.repeat, () => measure(node, [path.join(DIST_BENCH, 'floor.js'), 'snapshot', snapshotFile], { ...timeout, stdout: 'capture' })),
    });
    if (written.bytes <= WHOLE_PARSE_MAX_BYTES) {
      rows.push({
        size: size.name,
        what: 'whole-file JSON.parse',
        s: await repeat(o.repeat, () => measure(node, [path.join(DIST_BENCH, 'floor.js'), 'snapshot-whole', snapshotFile], { ...timeout, stdout: 'capture' })),
      });
    }

    log(`${size.name}: kposture audit --snapshot…`);
    const snap = await repeat(o.repeat, () =>
      measure(node, [KPOSTURE, 'audit', '--format', 'json', '-o', report('snapshot'), '--snapshot', snapshotFile], timeout),
    );
    rows.push({ size: size.name, what: 'kposture snapshot', s: snap });
    extra.snapshotReport = reportSummary(report('snapshot'));
  } finally {
    await stopServer(server);
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
  return { rows, extra };
}

function skipped(): Sample {
  return summarise([{ ok: false, exitCode: null, wallMs: 0, stdout: '', stderrTail: '' }]);
}

/** Image inspection on the loopback registry, in a child process; undefined (and why, on stderr) when it cannot run. */
async function imageBench(log: (s: string) => void): Promise<ImageBench | undefined> {
  if (!registryInstalled()) {
    log('image inspection skipped: docker-registry is not on PATH (apt-get install docker-registry), or pass --no-images');
    return undefined;
  }
  log('image inspection: 1,000 images on the loopback registry');
  const child = spawn(process.execPath, [path.join(DIST_BENCH, 'images.js'), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) {
    log(`image inspection failed (exit ${code})`);
    return undefined;
  }
  return JSON.parse(out.trim().split('\n').pop()!) as ImageBench;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  if (!existsSync(KPOSTURE) || !existsSync(path.join(DIST_BENCH, 'server.js'))) throw new Error('build first: npm run build (npm run bench does)');
  const kubectl = o.kubectl ? kubectlVersion() : undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'kposture-bench-'));
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    kubectl: kubectl ?? null,
    measuredWith: gnuTimeAvailable() ? '/usr/bin/time -v' : 'process.resourceUsage (kubectl: wall time only)',
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  const all: Row[] = [];
  const extras: Record<string, unknown> = {};
  try {
    for (const name of o.sizes) {
      const size = SIZES[name]!;
      const { rows, extra } = await benchSize(size, o, work, kubectl, log);
      all.push(...rows);
      extras[name] = { shape: { ...size, deployments: deploymentCount(size) }, ...extra };
      for (const r of rows) {
        if (r.note) continue;
        if (!r.s.ok) log(`${name} ${r.what} failed (exit ${r.s.last.exitCode}${r.s.last.timedOut ? ', timed out' : ''}): ${r.s.last.stderrTail}`);
        else if (r.s.okRuns < r.s.runs) log(`${name} ${r.what}: ${r.s.runs - r.s.okRuns} of ${r.s.runs} runs failed; the figures are of the others`);
      }
    }
  } finally {
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }

  const get = (size: string, what: string): Sample | undefined => {
    const s = all.find((r) => r.size === size && r.what === what)?.s;
    return s?.ok ? s : undefined;
  };
  const floorOf = (what: string): string => (what.includes('snapshot') || what.includes('whole') ? 'snapshot floor' : 'live floor');
  const againstFloor = (r: Row): boolean => r.what.startsWith('kposture') || r.what.startsWith('whole');
  const wallRatio = (r: Row): Ratio | undefined => (againstFloor(r) && r.s.ok ? ratioOf(r.s.wallMs, get(r.size, floorOf(r.what))?.wallMs) : undefined);
  const cpuRatio = (r: Row): Ratio | undefined => (againstFloor(r) && r.s.ok ? ratioOf(r.s.cpuMs, get(r.size, floorOf(r.what))?.cpuMs) : undefined);
  const kubectlRatio = (r: Row): Ratio | undefined => (r.what === 'kposture live' && r.s.ok ? ratioOf(r.s.wallMs, get(r.size, 'kubectl')?.wallMs) : undefined);

  const header = ['size', 'measured', 'wall', 'CPU', 'peak RSS', 'wall ÷ floor', 'CPU ÷ floor', 'wall ÷ kubectl'];
  const lines: string[][] = [header];
  for (const r of all) {
    const s = r.s.ok ? r.s : undefined;
    lines.push([
      r.size,
      r.what,
      r.note ?? (s ? fmtSeconds(s.wallMs) : r.s.last.timedOut ? 'timed out' : 'failed'),
      r.note ? '' : fmtSeconds(s?.cpuMs),
      r.note ? '' : fmtRss(s?.rssMiB),
      againstFloor(r) ? fmtRatio(wallRatio(r)) : '',
      againstFloor(r) ? fmtRatio(cpuRatio(r)) : '',
      r.what === 'kposture live' ? fmtRatio(kubectlRatio(r)) : '',
    ]);
  }
  const growth: Record<string, string> = {};
  for (const what of ['kposture live', 'kposture snapshot', 'live floor', 'snapshot floor', 'kubectl']) {
    const w = (s: string): number | undefined => get(s, what)?.wallMs?.median;
    const c = (s: string): number | undefined => get(s, what)?.cpuMs?.median;
    growth[what] = `L/M ${ratio(w('L'), w('M'))}, XL/L ${ratio(w('XL'), w('L'))} (CPU ${ratio(c('XL'), c('L'))}), XL-ns/XL ${ratio(w('XL-ns'), w('XL'))}`;
  }
  const loadAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
  process.stdout.write(`${table(lines)}\n`);
  const images = o.images ? await imageBench(log) : undefined;
  process.stdout.write(
    `\n${o.repeat > 1 ? `Medians of ${o.repeat} runs, (min–max) of the runs; a ratio's range is the lowest ÷ highest to the highest ÷ lowest.` : 'One run each (--repeat N for medians and their spread).'}\n` +
      `CPU is user + system time of the whole process, worker threads included. Load average ${machine.loadAverageAtStart[0]} at the start, ${loadAtEnd[0]} at the end, on ${machine.cpus} CPUs:\n` +
      'wall ÷ floor depends on how many cores are free (kposture runs worker threads, the floors do not); CPU ÷ floor counts the work done on any core.\n',
  );
  if (o.sizes.length > 1) {
    process.stdout.write('\nGrowth (median wall time; objects grow 10× from M to L, 5× from L to XL):\n');
    for (const [what, g] of Object.entries(growth)) process.stdout.write(`  ${what.padEnd(18)} ${g}\n`);
  }
  if (images)
    process.stdout.write(
      `\nImage inspection (bench/images.ts):\n${imageBenchLines(images)
        .map((l) => `  ${l}\n`)
        .join('')}`,
    );
  const result = {
    when: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadAtEnd },
    options: { ...o, timeoutMs: o.timeoutMs },
    rows: all.map((r) => ({
      size: r.size,
      what: r.what,
      ok: r.s.ok,
      ...(r.note ? { note: r.note } : {}),
      runs: r.note ? 0 : r.s.runs,
      okRuns: r.note ? 0 : r.s.okRuns,
      // Medians, as before; their spread below.
      wallMs: r.s.wallMs ? Math.round(r.s.wallMs.median) : null,
      cpuMs: r.s.cpuMs ? Math.round(r.s.cpuMs.median) : null,
      rssMiB: r.s.rssMiB ? Math.round(r.s.rssMiB.median) : null,
      spread: { wallMs: round(r.s.wallMs), cpuMs: round(r.s.cpuMs), rssMiB: round(r.s.rssMiB) },
      ...(againstFloor(r) ? { wallRatioToFloor: roundRatio(wallRatio(r)), cpuRatioToFloor: roundRatio(cpuRatio(r)) } : {}),
      ...(r.what === 'kposture live' ? { wallRatioToKubectl: roundRatio(kubectlRatio(r)) } : {}),
      ...(r.s.last.timedOut ? { timedOut: true } : {}),
      ...(!r.s.ok && !r.note ? { error: r.s.last.stderrTail } : {}),
    })),
    growth,
    sizes: extras,
    ...(images ? { images } : {}),
  };
  const out = o.out ?? path.join(REPO_ROOT, 'bench', 'results', `bench-${result.when.replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(path.dirname(out), 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
