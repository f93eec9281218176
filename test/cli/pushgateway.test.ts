/**
 * --pushgateway: what the CronJob sends after each audit. A loopback server of the test's own
 * records the request (method, path, credentials, body); the real Pushgateway (Debian package
 * `prometheus-pushgateway`, installed by .ci/run) accepts the push and serves the values back
 * when it is installed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { removeDir, runCli, tempDir, WEAK } from './run.js';
import { findTool } from '../support/tools.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const dir = tempDir('pushgateway');
const requests: Recorded[] = [];
let status = 200;
let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? '' : 'gateway is down for maintenance');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  removeDir(dir);
});

describe('--pushgateway', () => {
  it('replaces the group of the job with the metrics --report prometheus writes', async () => {
    requests.length = 0;
    status = 200;
    const file = path.join(dir, 'metrics.prom');
    const run = await runCli([
      'audit',
      '--snapshot',
      WEAK,
      '--quiet',
      '--report',
      `prometheus=${file}`,
      '--pushgateway',
      `http://kposture:s3cret-token@127.0.0.1:${port}/`,
      '--pushgateway-group',
      'cluster=prod-eu1',
      '--fail-under',
      '90',
    ]);
    expect(run.code).toBe(1);
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req!.method).toBe('PUT');
    expect(req!.url).toBe('/metrics/job/kposture/cluster/prod-eu1');
    expect(req!.headers.authorization).toBe(`Basic ${Buffer.from('kposture:s3cret-token').toString('base64')}`);
    expect(req!.body).toBe(readFileSync(file, 'utf8'));
    expect(req!.body).toMatch(/^kposture_score 16\.7$/m);
    expect(run.stderr).toContain(`pushed the metrics to 127.0.0.1:${port} (job kposture)`);
    // The gate's verdict stays the last line; the password is never printed.
    expect(run.stderr.trimEnd().split('\n').pop()).toMatch(/^gate failed: score 16\.7 < 90/);
    expect(`${run.stdout}${run.stderr}`).not.toContain('s3cret');
  });

  it('is exit 2 with one line when the gateway refuses, after the reports are written', async () => {
    requests.length = 0;
    status = 503;
    const file = path.join(dir, 'refused.prom');
    const run = await runCli([
      'audit',
      '--snapshot',
      WEAK,
      '--quiet',
      '--report',
      `prometheus=${file}`,
      '--pushgateway',
      `http://user:s3cret@127.0.0.1:${port}`,
      '--pushgateway-job',
      'posture',
    ]);
    expect(run.code).toBe(2);
    expect(requests.map((r) => r.url)).toEqual(['/metrics/job/posture']);
    expect(readFileSync(file, 'utf8')).toMatch(/^kposture_score /m);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('kposture:'));
    expect(errors).toEqual([
      `kposture: --pushgateway http://127.0.0.1:${port}/: the push failed: push failed with status 503, gateway is down for maintenance (check that the Pushgateway is reachable from here (docs/in-cluster.md); the report files were written)`,
    ]);
    expect(run.stderr).not.toContain('s3cret');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [['--pushgateway', 'pushgateway:9091'], /--pushgateway pushgateway:9091: only http and https are supported/],
    [['--pushgateway', 'not a url'], /--pushgateway not a url: not a URL/],
    [['--pushgateway', 'http://127.0.0.1:1', '--pushgateway-group', 'job=x'], /--pushgateway-group job=x: expected LABEL=VALUE/],
    [['--pushgateway', 'http://127.0.0.1:1', '--pushgateway-group', 'cluster'], /--pushgateway-group cluster: expected LABEL=VALUE/],
  ])('refuses %j before reading anything (exit 2)', async (args, message) => {
    requests.length = 0;
    const run = await runCli(['audit', '--snapshot', 'no/such/snapshot', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(requests).toHaveLength(0);
  });
});

const PUSHGATEWAY = findTool('prometheus-pushgateway') ?? findTool('pushgateway');

describe('--pushgateway against the real Pushgateway', () => {
  let gateway: ChildProcess | undefined;
  let base = '';

  beforeAll(async () => {
    if (!PUSHGATEWAY) return;
    // A free loopback port: the gateway cannot be asked for port 0 and tell which it took.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const free = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    base = `http://127.0.0.1:${free}`;
    gateway = spawn(PUSHGATEWAY, [`--web.listen-address=127.0.0.1:${free}`], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const ready = await fetch(`${base}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the Pushgateway did not start on ${base}`);
  }, 20_000);
  afterAll(() => {
    gateway?.kill();
  });

  it('accepts the push and serves the report numbers back', async () => {
    if (!PUSHGATEWAY) return console.log('prometheus-pushgateway is not installed (Debian: apt-get install prometheus-pushgateway): skipped');
    const run = await runCli(['audit', '--snapshot', WEAK, '--quiet', '--format', 'json', '--pushgateway', base, '--pushgateway-group', 'cluster=weak']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { score: number; coverage: number };
    type Family = { metrics: { labels: Record<string, string>; value: string }[] };
    const answer = (await (await fetch(`${base}/api/v1/metrics`)).json()) as { data: Record<string, Family>[] };
    const group = answer.data.find((g) => g.kposture_score?.metrics[0]?.labels.cluster === 'weak');
    expect(group).toBeDefined();
    expect(group!.kposture_score!.metrics[0]!.labels.job).toBe('kposture');
    expect(Number(group!.kposture_score!.metrics[0]!.value)).toBe(report.score);
    expect(Number(group!.kposture_coverage_ratio!.metrics[0]!.value)).toBeCloseTo(report.coverage / 100, 10);
    const findings = group!.kposture_findings!.metrics.reduce((n, m) => n + Number(m.value), 0);
    expect(findings).toBe(3);
  });
});
