/**
 * The peak memory of a fleet audit: N synthetic clusters, each served by its own benchmark API
 * server (bench/server.ts) in this process, one kubeconfig with a context per cluster, and
 * `kposture audit --all-contexts` run as a child process and measured alone (bench/measure.ts).
 * For comparison it also audits one of the clusters alone. The figures go in docs/performance.md
 * ("Fleets").
 *
 *   nice -n 10 node dist/bench/fleet.js --size M --clusters 20 [--parallel N]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, type Measurement } from './measure.js';
import { startBenchServer, TLS_DIR, type BenchServer } from './server.js';
import { SIZES } from './synth.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KPOSTURE = path.join(REPO_ROOT, 'bin', 'kposture.js');

function writeFleetKubeconfig(dir: string, servers: readonly BenchServer[]): string {
  const file = path.join(dir, 'kubeconfig');
  const ca = readFileSync(path.join(TLS_DIR, 'ca.crt')).toString('base64');
  const name = (i: number): string => `bench-${String(i + 1).padStart(2, '0')}`;
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: servers.map((s, i) => ({ name: name(i), cluster: { server: s.url, 'certificate-authority-data': ca } })),
      users: servers.map((s, i) => ({ name: name(i), user: { token: s.token } })),
      contexts: servers.map((_, i) => ({ name: name(i), context: { cluster: name(i), user: name(i) } })),
      'current-context': name(0),
    }),
    { mode: 0o600 },
  );
  return file;
}

function line(label: string, m: Measurement): string {
  const rss = m.rssMiB === undefined ? 'n/a' : `${m.rssMiB.toFixed(0)} MiB`;
  const status = m.ok ? '' : `  (exit ${m.exitCode}: ${m.stderrTail.split('\n').at(-1) ?? ''})`;
  return `${label.padEnd(34)} wall ${(m.wallMs / 1000).toFixed(1).padStart(6)} s   peak RSS ${rss.padStart(8)}${status}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { size: { type: 'string', default: 'M' }, clusters: { type: 'string', default: '20' }, parallel: { type: 'string' } },
  });
  const size = SIZES[values.size];
  const count = Number(values.clusters);
  if (!size || !Number.isInteger(count) || count < 2)
    throw new Error(`usage: node dist/bench/fleet.js --size ${Object.keys(SIZES).join('|')} --clusters N (N ≥ 2) [--parallel P]`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-bench-fleet-'));
  const servers: BenchServer[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await startBenchServer(size));
    const kubeconfig = writeFleetKubeconfig(dir, servers);
    const timeout = { timeoutMs: 30 * 60_000 };
    console.log(`${count} clusters of size ${size.name} (${size.nodes} nodes, ${size.pods} pods each), Node ${process.version}`);
    const single = await measure(
      process.execPath,
      [KPOSTURE, 'audit', '--format', 'json', '-o', path.join(dir, 'one.json'), '--kubeconfig', kubeconfig],
      timeout,
    );
    console.log(line('one cluster alone', single));
    const fleet = await measure(
      process.execPath,
      [
        KPOSTURE,
        'audit',
        '--all-contexts',
        ...(values.parallel ? ['--parallel', values.parallel] : []),
        '--format',
        'json',
        '-o',
        path.join(dir, 'fleet.json'),
        '--kubeconfig',
        kubeconfig,
      ],
      timeout,
    );
    console.log(line(`fleet of ${count}, --parallel ${values.parallel ?? '(default)'}`, fleet));
    if (fleet.ok) {
      const report = JSON.parse(readFileSync(path.join(dir, 'fleet.json'), 'utf8')) as { summary: { audited: number } };
      console.log(`fleet report: ${report.summary.audited} of ${count} clusters audited`);
    }
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
