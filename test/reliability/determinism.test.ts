/**
 * Determinism of live audits: the same cluster gives byte-identical JSON, SARIF and table output,
 * the timestamp aside (JSON `generatedAt`, SARIF `endTimeUtc`, one field each), however the
 * answers arrive: in another order within each page, with random latencies (so kinds finish in
 * another order), through retried faults. (test/report/sarif.test.ts covers renderer-level
 * determinism for in-memory inventories.)
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KINDS } from '../../src/k8s/kinds.js';
import { startFixtureServer, writeKubeconfig, REPO_ROOT, type FixtureServer, type FixtureServerOptions } from '../support/fixture-server.js';
import { runMain } from '../support/fixture-cli.js';
import { FaultPlan } from '../support/faults.js';
import { readOnlyViolations } from '../support/read-only.js';

type Mode = 'plain' | 'shuffled' | 'faulty';

let mode: Mode = 'plain';
let plan: FaultPlan | undefined;
let server: FixtureServer;
let kubeconfig: string;
const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-determinism-'));

/** A seeded generator, so a failure can be replayed. */
let state = 12345;
function random(): number {
  state = (state * 1103515245 + 12345) & 0x7fffffff;
  return state / 0x7fffffff;
}

const intercept: NonNullable<FixtureServerOptions['intercept']> = (req, res, answer) => {
  if (mode === 'plain') return false;
  if (mode === 'faulty' && plan!.intercept(req, res, answer)) return true;
  const { status, body } = answer();
  const b = body as { items?: unknown[] };
  if (Array.isArray(b.items)) {
    for (let i = b.items.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [b.items[i], b.items[j]] = [b.items[j], b.items[i]];
    }
  }
  setTimeout(
    () => {
      if (res.destroyed) return;
      const text = JSON.stringify(b);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    },
    Math.floor(random() * 25),
  );
  return true;
};

beforeAll(async () => {
  // The demo cluster: every category has findings, subjects and evidence lists to keep in order.
  server = await startFixtureServer({ snapshot: [path.join(REPO_ROOT, 'fixtures', 'clusters', 'demo', 'snapshot')], intercept });
  kubeconfig = writeKubeconfig(server, { context: 'demo' }).file;
});

afterAll(async () => {
  plan?.close();
  expect(readOnlyViolations(server.requests)).toEqual([]);
  await server.close();
});

async function audit(tag: string): Promise<{ json: string; sarif: string; table: string }> {
  const files = { json: path.join(dir, `${tag}.json`), sarif: path.join(dir, `${tag}.sarif`), table: path.join(dir, `${tag}.txt`) };
  const run = await runMain([
    'audit',
    '--kubeconfig',
    kubeconfig,
    '--format',
    'json',
    '-o',
    files.json,
    '--report',
    `sarif=${files.sarif}`,
    '--report',
    `table=${files.table}`,
    '--request-timeout',
    '2',
  ]);
  expect({
    code: run.code,
    stderr: run.stderr
      .split('\n')
      .filter((l) => !l.startsWith('wrote '))
      .join(''),
  }).toEqual({ code: 0, stderr: '' });
  return { json: readFileSync(files.json, 'utf8'), sarif: readFileSync(files.sarif, 'utf8'), table: readFileSync(files.table, 'utf8') };
}

/** The lines that differ between two texts of the same length in lines. */
function differing(a: string, b: string): string[] {
  const x = a.split('\n');
  const y = b.split('\n');
  expect(y.length).toBe(x.length);
  return x.flatMap((line, i) => (line === y[i] ? [] : [`${line.trim()} | ${y[i]!.trim()}`]));
}

describe('live audits of the same cluster', () => {
  let first: { json: string; sarif: string; table: string };

  beforeAll(async () => {
    first = await audit('plain-1');
    // Let the clock move, so that the timestamps differ.
    await new Promise((r) => setTimeout(r, 5));
  });

  test.each<[Mode, string]>([
    ['plain', 'again'],
    ['shuffled', 'items in another order within each page, random latencies'],
    ['faulty', '429, 503, resets and truncated bodies on the way, retried'],
  ])('%s (%s): byte-identical but for one timestamp field per file', async (m) => {
    mode = m;
    if (m === 'faulty') {
      plan?.close();
      plan = new FaultPlan([
        { fault: 'throttle', kind: KINDS.Namespace, times: 1, retryAfterSeconds: 0 },
        { fault: 'unavailable', kind: KINDS.Pod, times: 2 },
        { fault: 'reset', kind: KINDS.Node, times: 1 },
        { fault: 'truncated', kind: KINDS.NetworkPolicy, times: 1 },
      ]);
    }
    const next = await audit(m);
    mode = 'plain';
    if (m === 'faulty') expect(plan!.injected).toBe(5);
    const json = differing(first.json, next.json);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatch(/^"generatedAt": "[^"]+",? \| "generatedAt": "[^"]+",?$/);
    const sarif = differing(first.sarif, next.sarif);
    expect(sarif).toHaveLength(1);
    expect(sarif[0]).toMatch(/^"endTimeUtc": "[^"]+",? \| "endTimeUtc": "[^"]+",?$/);
    expect(next.table).toBe(first.table);
    // The reports hold enough to have been able to differ.
    expect(first.json.length).toBeGreaterThan(20_000);
    expect((JSON.parse(first.sarif) as { runs: { results: unknown[] }[] }).runs[0]!.results.length).toBeGreaterThan(5);
  });
});
