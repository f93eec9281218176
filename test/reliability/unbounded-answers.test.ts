/**
 * A server that sends without end: pages with fresh continue tokens forever, a body larger than
 * any list page, a declared length of gigabytes. The built CLI runs in a child with a small heap
 * (--max-old-space-size), as a hostile server would leave it: every run ends with a report whose
 * Pod kind is an error naming the limit that stopped it and how to raise it, the checks that read
 * pods are unknown, and nothing is read twice. Before these limits, the first run grew to 4.7 GB
 * and Node aborted out of heap; the second read 600 MB four times.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KINDS } from '../../src/k8s/kinds.js';
import type { Report } from '../../src/report/model.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer, type RecordedRequest } from '../support/fixture-server.js';
import { syntheticCluster, writeSyntheticCluster } from '../support/fixture-cluster.js';
import { expectExit, runBuiltCli } from '../support/fixture-cli.js';
import { requestsKind } from '../support/faults.js';

/** The child's old generation: far below what an endless list would take. */
const HEAP_MIB = 160;

let dir: string;
let clusterFile: string;
let podPage: { head: string; tail: string };

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-unbounded-'));
  clusterFile = writeSyntheticCluster({ namespaces: 3, podsPerNamespace: 4 }, dir);
  // 500 realistic pods, as one page of a PodList; each answer gets a continue token of its own.
  const cluster = syntheticCluster({ namespaces: 10, podsPerNamespace: 50 }) as { items: { kind: string; items: Record<string, unknown>[] }[] };
  const pods = cluster.items.find((l) => l.kind === 'PodList')!.items.map(({ apiVersion: _a, kind: _k, ...pod }) => pod);
  podPage = { head: '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9","continue":"', tail: `"},"items":${JSON.stringify(pods)}}` };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Intercept = (req: RecordedRequest, res: http.ServerResponse) => boolean;

interface Run {
  report: Report;
  podRequests: number;
  stderr: string;
}

async function auditAgainst(intercept: Intercept, args: string[] = []): Promise<Run> {
  const server: FixtureServer = await startFixtureServer({
    snapshot: [clusterFile],
    intercept: (req, res) => requestsKind(KINDS.Pod, req) && intercept(req, res),
  });
  try {
    const kc = writeKubeconfig(server, { dir: mkdtempSync(path.join(dir, 'kc-')) });
    const run = await runBuiltCli(process.execPath, ['audit', '--kubeconfig', kc.file, '--format', 'json', '--timeout', '240', ...args], {
      NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}`,
    });
    expectExit(run, 0);
    expect(run.stderr).not.toMatch(/heap|\n\s+at /i);
    return { report: JSON.parse(run.stdout) as Report, podRequests: server.requests.filter((r) => requestsKind(KINDS.Pod, r)).length, stderr: run.stderr };
  } finally {
    await server.close();
  }
}

function expectPodsLost(report: Report, reason: RegExp): void {
  const pods = report.inventory.find((e) => e.kind === KINDS.Pod)!;
  expect(pods).toMatchObject({ status: 'error' });
  expect(pods.reason).toMatch(reason);
  const readsPods = report.checks.filter((c) => c.reason?.includes(`listing ${KINDS.Pod} failed`));
  expect(readsPods.length).toBeGreaterThan(3);
  for (const c of readsPods) expect(c).toMatchObject({ status: 'unknown', score: null });
  // The other kinds were read as usual, and their checks evaluated.
  expect(report.inventory.filter((e) => e.kind !== KINDS.Pod && e.status === 'error')).toEqual([]);
  expect(report.checks.filter((c) => c.status === 'pass' || c.status === 'fail').length).toBeGreaterThan(5);
}

describe('a server that never ends a list', () => {
  test('fresh continue tokens and 500 pods a page forever: reading pods stops before the heap is full', async () => {
    let served = 0;
    const run = await auditAgainst((_req, res) => {
      const text = `${podPage.head}endless-${++served}${podPage.tail}`;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return true;
    });
    expectPodsLost(run.report, /^stopped reading Pod after \d+ pages: the heap holds \d+ of its \d+ MiB limit \(give Node more heap/);
    expect(run.podRequests).toBeGreaterThan(20);
  }, 300_000);

  test('fresh continue tokens and empty pages forever: the list ends at --max-pages', async () => {
    let served = 0;
    const run = await auditAgainst(
      (_req, res) => {
        const text = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { continue: `empty-${++served}` }, items: [] });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
        return true;
      },
      ['--max-pages', '300'],
    );
    expectPodsLost(run.report, /^the list of Pod did not end after 300 pages \(raise --max-pages/);
    expect(run.podRequests).toBe(300);
  }, 300_000);
});

describe('an answer larger than any list page', () => {
  const MIB = 2 ** 20;

  test('a body streamed without a length is cut at the page limit, read once, never retried', async () => {
    let sent = 0;
    const chunk = Buffer.alloc(MIB, 0x20);
    const run = await auditAgainst(
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"kind":"PodList","items":[');
        // Up to 600 MiB, written as the client takes it; the client hangs up long before.
        const pump = (): void => {
          while (sent < 600 * MIB && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end(']}');
        };
        res.on('close', () => undefined);
        pump();
        return true;
      },
      ['--max-page-mib', '8'],
    );
    expectPodsLost(run.report, /^the answer to GET \/api\/v1\/pods is larger than 8 MiB \(raise --max-page-mib/);
    expect(run.podRequests).toBe(1);
    expect(sent).toBeLessThan(100 * MIB);
  }, 300_000);

  test('a declared length of 3 GB is refused before a byte of the body is read', async () => {
    const run = await auditAgainst((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(3 * 2 ** 30) });
      res.write('{"kind":"PodList","items":[');
      return true;
    });
    // The default limit (256 MiB) is lowered to a tenth of this small heap.
    expectPodsLost(run.report, /^the answer to GET \/api\/v1\/pods is larger than \d+ MiB \(raise --max-page-mib \(at most a tenth of the heap limit/);
    expect(Number(/larger than (\d+) MiB/.exec(run.report.inventory.find((e) => e.kind === KINDS.Pod)!.reason!)![1])).toBeLessThan(HEAP_MIB);
    expect(run.podRequests).toBe(1);
  }, 300_000);
});
