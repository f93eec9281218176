/**
 * The audit deadline (`--timeout`): whatever the server does, `audit` and `snapshot` finish by
 * it. Kinds still being read then are `error` ("audit deadline reached"), their checks unknown,
 * everything read before is reported; a server that never answered at all is exit 3.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { KINDS } from '../../src/k8s/kinds.js';
import type { Report } from '../../src/report/model.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer, type FixtureServerOptions } from '../support/fixture-server.js';
import { writeSyntheticCluster } from '../support/fixture-cluster.js';
import { runMain } from '../support/fixture-cli.js';
import { FaultPlan, startSilentServer } from '../support/faults.js';
import { readOnlyViolations } from '../support/read-only.js';

const servers: FixtureServer[] = [];
const plans: FaultPlan[] = [];
let cluster: string;

beforeAll(() => {
  cluster = writeSyntheticCluster({ namespaces: 3, podsPerNamespace: 2 });
});

afterAll(async () => {
  for (const p of plans) p.close();
  expect(readOnlyViolations(servers.flatMap((s) => s.requests))).toEqual([]);
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(plan: FaultPlan, extra: FixtureServerOptions = {}): Promise<FixtureServer> {
  plans.push(plan);
  const s = await startFixtureServer({ snapshot: [cluster], intercept: plan.intercept, ...extra });
  servers.push(s);
  return s;
}

const DEADLINE_REASON = 'audit deadline reached (--timeout): the list did not finish in time';

describe('--timeout', () => {
  test('a list that would take longer than the deadline: that kind is an error, the rest is reported, in time', async () => {
    // Pods answer after 20 s, well within the 30 s request timeout: only the deadline can stop it.
    const server = await serve(new FaultPlan([{ fault: 'slow', kind: KINDS.Pod, delayMs: 20_000 }]));
    const kc = writeKubeconfig(server);
    const healthy = await serve(new FaultPlan([]));
    const baseline = JSON.parse((await runMain(['audit', '--kubeconfig', writeKubeconfig(healthy).file, '--format', 'json'])).stdout) as Report;
    const run = await runMain(['audit', '--kubeconfig', kc.file, '--format', 'json', '--request-timeout', '30', '--timeout', '1.5']);
    expect(run.code).toBe(0);
    // Well before the 20 s the pods would take (a bound loose enough for a loaded machine).
    expect(run.ms).toBeLessThan(10_000);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.inventory.find((k) => k.kind === KINDS.Pod)).toEqual({ kind: KINDS.Pod, status: 'error', count: 0, reason: DEADLINE_REASON });
    expect(report.inventory.filter((k) => k.kind !== KINDS.Pod && (k.status === 'error' || k.status === 'forbidden'))).toEqual([]);
    const podReaders = BUILTIN_CHECKS.filter((c) => c.meta.reads.includes(KINDS.Pod)).map((c) => c.meta.id);
    for (const check of report.checks) {
      if (podReaders.includes(check.id))
        expect({ id: check.id, status: check.status, reason: check.reason }).toEqual({
          id: check.id,
          status: 'unknown',
          reason: `listing Pod failed: ${DEADLINE_REASON}`,
        });
      else
        expect({ id: check.id, status: check.status, score: check.score }).toEqual({
          id: check.id,
          status: baseline.checks.find((c) => c.id === check.id)!.status,
          score: baseline.checks.find((c) => c.id === check.id)!.score,
        });
    }
  });

  test('snapshot: the kind not read in time is left out and said so; the file is written', async () => {
    const server = await serve(new FaultPlan([{ fault: 'slow', kind: KINDS.Node, delayMs: 20_000 }]));
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'kposture-deadline-')), 'snap.json');
    const run = await runMain(['snapshot', '-o', out, '--kubeconfig', writeKubeconfig(server).file, '--timeout', '1.5']);
    expect(run.code).toBe(0);
    expect(run.ms).toBeLessThan(10_000);
    expect(run.stderr).toContain(`left out Node: error: ${DEADLINE_REASON}`);
    const written = JSON.parse(readFileSync(out, 'utf8')) as { items: { kind: string }[] };
    expect(written.items.map((l) => l.kind)).not.toContain('NodeList');
    expect(written.items.map((l) => l.kind)).toContain('PodList');
  });

  test('a server that throttles with a Retry-After past the deadline is not waited for', async () => {
    const server = await serve(new FaultPlan([{ fault: 'throttle', kind: KINDS.Namespace, retryAfterSeconds: 5 }]));
    const run = await runMain(['audit', '--kubeconfig', writeKubeconfig(server).file, '--format', 'json', '--timeout', '2']);
    expect(run.code).toBe(0);
    // Not the 5 s the server asked for; the reason below says why it did not wait at all.
    expect(run.ms).toBeLessThan(5000);
    const ns = (JSON.parse(run.stdout) as Report).inventory.find((k) => k.kind === KINDS.Namespace)!;
    expect(ns.status).toBe('error');
    expect(ns.reason).toMatch(/^429 TooManyRequests: .*\(no time left before the audit deadline to try again\)$/);
  });

  test('a Retry-After longer than kposture waits fails the kind at once, without waiting', async () => {
    const server = await serve(new FaultPlan([{ fault: 'throttle', kind: KINDS.Namespace, retryAfterSeconds: 3600 }]));
    const run = await runMain(['audit', '--kubeconfig', writeKubeconfig(server).file, '--format', 'json']);
    expect(run.code).toBe(0);
    expect(run.ms).toBeLessThan(10_000);
    const ns = (JSON.parse(run.stdout) as Report).inventory.find((k) => k.kind === KINDS.Namespace)!;
    expect(ns.reason).toMatch(/\(the server asked to wait 3600s, longer than kposture waits\)$/);
  });

  test('the deadline reached during discovery: every kind is an error, the audit still reports', async () => {
    const server = await serve(new FaultPlan([{ fault: 'slow', match: (r) => r.path === '/api/v1' || r.path === '/apis', delayMs: 20_000 }]));
    const run = await runMain(['audit', '--kubeconfig', writeKubeconfig(server).file, '--format', 'json', '--timeout', '1']);
    expect(run.code).toBe(0);
    expect(run.ms).toBeLessThan(10_000);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.coverage).toBe(0);
    expect(report.score).toBeNull();
    expect(new Set(report.inventory.map((k) => `${k.status}: ${k.reason}`))).toEqual(
      new Set(['error: API discovery: audit deadline reached (--timeout): the list did not finish in time']),
    );
    expect(report.checks.every((c) => c.status === 'unknown' || c.status === 'not-applicable')).toBe(true);
  });

  test('with --fail-under, a deadline-shortened audit fails the gate on the numbers it printed', async () => {
    const server = await serve(new FaultPlan([{ fault: 'slow', kind: KINDS.Pod, delayMs: 20_000 }]));
    const kc = writeKubeconfig(server).file;
    const run = await runMain(['audit', '--kubeconfig', kc, '--format', 'json', '--timeout', '1', '--min-coverage', '100']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.gate).toMatchObject({ passed: false, reasons: [`coverage ${report.coverage}% is below --min-coverage 100`] });
  });

  test('a server that accepts TCP and never answers: exit 3 by the deadline, for audit and snapshot, one connection each', async () => {
    for (const command of ['audit', 'snapshot']) {
      const silent = await startSilentServer();
      try {
        const kc = writeKubeconfig({ url: silent.url, token: 'unused-token' }, { context: 'mute' });
        const out = path.join(kc.dir, 'snap.json');
        const args = command === 'audit' ? ['audit', '--kubeconfig', kc.file] : ['snapshot', '-o', out, '--kubeconfig', kc.file];
        const run = await runMain([...args, '--request-timeout', '30', '--timeout', '1']);
        expect(run.code).toBe(3);
        // Not the 30 s request timeout.
        expect(run.ms).toBeLessThan(10_000);
        expect(run.stdout).toBe('');
        expect(run.stderr).toBe(
          `kposture: context "mute" (${silent.url}): no answer before the audit deadline (check the network or VPN, or raise --timeout)\n`,
        );
        // A connection that never came up is not tried again.
        expect(silent.connections()).toBe(1);
      } finally {
        await silent.close();
      }
    }
  });

  test('the request timeout alone: a silent server is given up after one timeout, not retried', async () => {
    const silent = await startSilentServer();
    try {
      const kc = writeKubeconfig({ url: silent.url, token: 'unused-token' }, { context: 'mute' });
      const run = await runMain(['snapshot', '-o', path.join(kc.dir, 's.json'), '--kubeconfig', kc.file, '--request-timeout', '0.5']);
      expect(run.code).toBe(3);
      expect(run.ms).toBeLessThan(10_000);
      expect(run.stderr).toBe(`kposture: context "mute" (${silent.url}): no answer within 0.5s (check the network or VPN, or raise --request-timeout)\n`);
      expect(silent.connections()).toBe(1);
    } finally {
      await silent.close();
    }
  });

  test('--timeout takes seconds above 0', async () => {
    for (const bad of ['0', '-1', 'soon', '']) {
      const run = await runMain(['audit', '--timeout', bad]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--timeout');
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});
