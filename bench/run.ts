/**
 * `npm run bench`: audits synthetic clusters of growing size live and from a snapshot file, next
 * to kubectl listing the same cluster and to the floor (reading and parsing it with nothing else
 * done), and reports wall time, CPU time and peak RSS of each, measured alone in a child process.
 *
 *   npm run bench                      # M, L, XL, XL-ns; kubectl at M and L
 *   npm run bench -- --sizes M         # a quick run
 *   npm run bench -- --with-kubectl-xl # kubectl at XL too (minutes, and GBs of RAM)
 *
 * Flags: --sizes LIST, --with-kubectl-xl, --no-kubectl, --repeat N (median of N runs),
 * --snapshot-style kposture|kubectl, --timeout SECONDS (per measurement), --out FILE, --keep.
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
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: DEFAULT_SIZES, kubectlXl: false, kubectl: true, repeat: 1, style: 'kposture', timeoutMs: 20 * 60_000, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--sizes') o.sizes = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--with-kubectl-xl') o.kubectlXl = true;
    else if (a === '--no-kubectl') o.kubectl = false;
    else if (a === '--repeat') o.repeat = Math.max(1, Number(value()));
    else if (a === '--snapshot-style') o.style = value() as SnapshotStyle;
    else if (a === '--timeout') o.timeoutMs = Number(value()) * 1000;
    else if (a === '--out') o.out = value();
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown flag ${a} (see the top of bench/run.ts)`);
  }
  for (const s of o.sizes) if (!SIZES[s]) throw new Error(`unknown size ${s}: one of ${Object.keys(SIZES).join(', ')}`);
  if (o.style !== 'kposture' && o.style !== 'kubectl') throw new Error('--snapshot-style is kposture or kubectl');
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
  const lines = createInterface({ input: child.stdout! });
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

async function serverStats(server: RunningServer): Promise<{ listPages: number; bytes: number; byPath: Record<string, { pages: number; bytes: number; limits: number[] }> }> {
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

interface Row {
  size: string;
  what: string;
  m: Measurement;
  note?: string;
}

async function repeat(n: number, run: () => Promise<Measurement>): Promise<Measurement> {
  const runs: Measurement[] = [];
  for (let i = 0; i < n; i++) runs.push(await run());
  const ok = runs.filter((r) => r.ok);
  if (ok.length === 0) return runs[runs.length - 1]!;
  ok.sort((a, b) => a.wallMs - b.wallMs);
  return ok[Math.floor(ok.length / 2)]!;
}

function reportSummary(file: string): { score: unknown; coverage: unknown; checks: Record<string, string> } | undefined {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as { score?: unknown; coverage?: unknown; checks?: { id: string; status: string }[] };
    return { score: r.score, coverage: r.coverage, checks: Object.fromEntries((r.checks ?? []).map((c) => [c.id, c.status])) };
  } catch {
    return undefined;
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
function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r, i) => {
    const line = r.map((cell, c) => (c === 0 || c === 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

async function benchSize(size: ClusterSize, o: Options, work: string, kubectl: string | undefined, log: (s: string) => void): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
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
      measure(node, [path.join(DIST_BENCH, 'floor.js'), 'live', '--server', server.url, '--token', server.token, '--ca', path.join(TLS_DIR, 'ca.crt'), '--paths', floorPaths().join(','), '--limit', '500'], { ...timeout, stdout: 'capture' }),
    );
    rows.push({ size: size.name, what: 'live floor', m: floor });
    await serverStats(server);

    log(`${size.name}: kposture audit, live…`);
    // -o to a file, never /dev/null: the report is written to a temp file then renamed.
    const live = await repeat(o.repeat, () => measure(node, [KPOSTURE, 'audit', '--format', 'json', '-o', report('live'), '--kubeconfig', kubeconfig], timeout));
    rows.push({ size: size.name, what: 'kposture live', m: live });
    extra.liveRequests = await serverStats(server);
    extra.liveReport = reportSummary(report('live'));

    const wantKubectl = o.kubectl && (!size.name.startsWith('XL') || o.kubectlXl);
    if (!o.kubectl) {
      rows.push({ size: size.name, what: 'kubectl', m: skipped(), note: 'skipped (--no-kubectl)' });
    } else if (!kubectl) {
      rows.push({ size: size.name, what: 'kubectl', m: skipped(), note: 'kubectl is not on PATH' });
    } else if (!wantKubectl) {
      rows.push({ size: size.name, what: 'kubectl', m: skipped(), note: 'not run at XL without --with-kubectl-xl' });
    } else {
      log(`${size.name}: kubectl get ${KUBECTL_RESOURCES} -A -o json --chunk-size=500…`);
      const kubectl = await repeat(o.repeat, () => measure('kubectl', ['--kubeconfig', kubeconfig, 'get', KUBECTL_RESOURCES, '-A', '-o', 'json', '--chunk-size=500'], { ...timeout, stdout: 'discard' }));
      rows.push({ size: size.name, what: 'kubectl', m: kubectl });
      extra.kubectlRequests = await serverStats(server);
    }

    log(`${size.name}: snapshot floor (item-by-item parse)…`);
    rows.push({ size: size.name, what: 'snapshot floor', m: await repeat(o.repeat, () => measure(node, [path.join(DIST_BENCH, 'floor.js'), 'snapshot', snapshotFile], { ...timeout, stdout: 'capture' })) });
    if (written.bytes <= WHOLE_PARSE_MAX_BYTES) {
      rows.push({ size: size.name, what: 'whole-file JSON.parse', m: await repeat(o.repeat, () => measure(node, [path.join(DIST_BENCH, 'floor.js'), 'snapshot-whole', snapshotFile], { ...timeout, stdout: 'capture' })) });
    }

    log(`${size.name}: kposture audit --snapshot…`);
    const snap = await repeat(o.repeat, () => measure(node, [KPOSTURE, 'audit', '--format', 'json', '-o', report('snapshot'), '--snapshot', snapshotFile], timeout));
    rows.push({ size: size.name, what: 'kposture snapshot', m: snap });
    extra.snapshotReport = reportSummary(report('snapshot'));
  } finally {
    await stopServer(server);
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
  return { rows, extra };
}

function skipped(): Measurement {
  return { ok: false, exitCode: null, wallMs: 0, stdout: '', stderrTail: '' };
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
      for (const r of rows) if (!r.m.ok && !r.note) log(`${name} ${r.what} failed (exit ${r.m.exitCode}${r.m.timedOut ? ', timed out' : ''}): ${r.m.stderrTail}`);
    }
  } finally {
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }

  const get = (size: string, what: string): Measurement | undefined => {
    const m = all.find((r) => r.size === size && r.what === what)?.m;
    return m?.ok ? m : undefined;
  };
  const header = ['size', 'measured', 'wall', 'CPU', 'peak RSS', 'wall ÷ floor', 'wall ÷ kubectl'];
  const lines: string[][] = [header];
  for (const r of all) {
    const floorName = r.what.includes('snapshot') || r.what.includes('whole') ? 'snapshot floor' : 'live floor';
    const m = r.m.ok ? r.m : undefined;
    lines.push([
      r.size,
      r.what,
      r.note ?? (m ? fmtS(m.wallMs) : r.m.timedOut ? 'timed out' : 'failed'),
      r.note ? '' : fmtS(m?.cpuMs),
      r.note ? '' : fmtMiB(m?.rssMiB),
      r.what.startsWith('kposture') || r.what.startsWith('whole') ? ratio(m?.wallMs, get(r.size, floorName)?.wallMs) : '',
      r.what === 'kposture live' ? ratio(m?.wallMs, get(r.size, 'kubectl')?.wallMs) : '',
    ]);
  }
  const growth: Record<string, string> = {};
  for (const what of ['kposture live', 'kposture snapshot', 'live floor', 'snapshot floor', 'kubectl']) {
    const w = (s: string): number | undefined => get(s, what)?.wallMs;
    const c = (s: string): number | undefined => get(s, what)?.cpuMs;
    growth[what] = `L/M ${ratio(w('L'), w('M'))}, XL/L ${ratio(w('XL'), w('L'))} (CPU ${ratio(c('XL'), c('L'))}), XL-ns/XL ${ratio(w('XL-ns'), w('XL'))}`;
  }
  process.stdout.write(`${table(lines)}\n`);
  if (o.sizes.length > 1) {
    process.stdout.write('\nGrowth (wall time; objects grow 10× from M to L, 5× from L to XL):\n');
    for (const [what, g] of Object.entries(growth)) process.stdout.write(`  ${what.padEnd(18)} ${g}\n`);
  }
  const result = {
    when: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))) },
    options: { ...o, timeoutMs: o.timeoutMs },
    rows: all.map((r) => ({
      size: r.size,
      what: r.what,
      ok: r.m.ok,
      ...(r.note ? { note: r.note } : {}),
      wallMs: Math.round(r.m.wallMs),
      cpuMs: r.m.cpuMs === undefined ? null : Math.round(r.m.cpuMs),
      rssMiB: r.m.rssMiB === undefined ? null : Math.round(r.m.rssMiB),
      ...(r.m.timedOut ? { timedOut: true } : {}),
      ...(!r.m.ok && !r.note ? { error: r.m.stderrTail } : {}),
    })),
    growth,
    sizes: extras,
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
