/**
 * End to end: the built CLI (`node bin/kposture.js`), on every Node in KPOSTURE_E2E_NODES, audits
 * the fixture API server through a generated kubeconfig (TLS with the test CA, bearer token,
 * paged lists) and must print the same report as an audit of the same data as a snapshot.
 * The first Node (this one) does so for every fixture cluster; the others for the first three
 * (the synthetic cluster, demo and one more): the runtime's part — TLS, workers, streams — is the
 * same for every cluster, and each set costs a dozen CLI processes per Node.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { asString, field, type K8sObject } from '../../src/k8s/object.js';
import type { Report } from '../../src/report/model.js';
import { closedPort, startFixtureServer, writeKubeconfig, type FixtureServer } from '../support/fixture-server.js';
import { e2eNodes, expectExit, runBuiltCli } from '../support/fixture-cli.js';
import { comparable, dataSets, inventoryByKind, kindToForbid, mirrorLacking, nodeLabel } from '../support/fixture-e2e.js';

const run = promisify(execFile);
const servers: FixtureServer[] = [];
const sets = dataSets();
const OTHER_NODE_SETS = 3;
const nodes = e2eNodes().map((bin, i) => ({ bin, label: nodeLabel(bin), sets: i === 0 ? sets : sets.slice(0, OTHER_NODE_SETS) }));

afterAll(async () => {
  const all = servers.flatMap((s) => s.requests);
  expect(all.filter((r) => r.method !== 'GET' || /secrets/i.test(r.path))).toEqual([]);
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(...args: Parameters<typeof startFixtureServer>): Promise<FixtureServer> {
  const s = await startFixtureServer(...args);
  servers.push(s);
  return s;
}

function parseReport(stdout: string, stderr: string): Report {
  try {
    return JSON.parse(stdout) as Report;
  } catch {
    throw new Error(`not a JSON report; stderr: ${stderr}`);
  }
}

describe.each(nodes)('$label', ({ bin, sets: mine }) => {
  describe.each(mine)('$name', (source) => {
    test('a live audit gives the same report as an audit of the same data as a snapshot', async () => {
      const set = source.prepare();
      const server = await serve({ snapshot: set.serve, ...mirrorLacking(set) });
      const kc = writeKubeconfig(server, { context: 'e2e-cluster' });
      const live = await runBuiltCli(bin, ['audit', '--format', 'json'], { KUBECONFIG: kc.file });
      const snap = await runBuiltCli(bin, ['audit', '--format', 'json', ...set.snapshot.flatMap((p) => ['--snapshot', p])], {});
      expect({ code: live.code, stderr: live.stderr }).toEqual({ code: snap.code, stderr: snap.stderr });
      const liveReport = parseReport(live.stdout, live.stderr);
      const snapReport = parseReport(snap.stdout, snap.stderr);

      expect(liveReport.target).toEqual({
        source: 'live',
        context: 'e2e-cluster',
        server: server.url,
        serverVersion: snapReport.target.serverVersion ?? 'v1.31.2',
      });
      expect(comparable(liveReport)).toEqual(comparable(snapReport));
      expect(liveReport.checks.length).toBe(BUILTIN_CHECKS.length);

      // Per kind the live inventory agrees with the snapshot's (which also lists kinds no check reads).
      const snapKinds = inventoryByKind(snapReport);
      for (const [kind, entry] of inventoryByKind(liveReport)) {
        if (set.lacking.includes(kind)) expect(entry.status).toBe('forbidden');
        else expect({ kind, ...entry }).toEqual({ kind, ...(snapKinds.get(kind) ?? { status: 'missing', count: 0 }) });
      }
      // Only GETs, and every one authenticated.
      expect(server.requests.length).toBeGreaterThan(3);
      expect(server.requests.filter((r) => r.status === 401)).toEqual([]);
      expect(server.requests.some((r) => r.query.limit === '500')).toBe(true);
    });

    test('a 403 on one kind turns only the checks that read it unknown and lowers coverage', async () => {
      const { kind, readers } = kindToForbid();
      const set = source.prepare();
      const mirror = mirrorLacking(set);
      const baseServer = await serve({ snapshot: set.serve, ...mirror });
      const deniedServer = await serve({ snapshot: set.serve, extra: mirror.extra ?? [], forbidden: [...(mirror.forbidden ?? []), kind] });
      const base = await runBuiltCli(bin, ['audit', '--format', 'json'], { KUBECONFIG: writeKubeconfig(baseServer).file });
      const denied = await runBuiltCli(bin, ['audit', '--format', 'json'], { KUBECONFIG: writeKubeconfig(deniedServer).file });
      expectExit(base, 0);
      expectExit(denied, 0);
      const b = parseReport(base.stdout, base.stderr);
      const d = parseReport(denied.stdout, denied.stderr);
      for (const check of d.checks) {
        const before = b.checks.find((c) => c.id === check.id)!;
        if (readers.includes(check.id)) {
          expect({ id: check.id, status: check.status, score: check.score }).toEqual({ id: check.id, status: 'unknown', score: null });
          expect(check.reason).toContain(`listing ${kind} was forbidden by RBAC`);
        } else {
          expect({ id: check.id, status: check.status, score: check.score, findings: check.findings.length }).toEqual({
            id: check.id,
            status: before.status,
            score: before.score,
            findings: before.findings.length,
          });
        }
      }
      const weightLost = b.checks
        .filter((c) => readers.includes(c.id) && c.status !== 'unknown' && c.status !== 'not-applicable')
        .reduce((n, c) => n + c.weight, 0);
      if (weightLost > 0) expect(d.coverage).toBeLessThan(b.coverage);
      expect(d.inventory.find((k) => k.kind === kind)).toMatchObject({ status: 'forbidden', count: 0 });
      // The kind was asked for and refused, not skipped.
      expect(deniedServer.requests.filter((r) => r.status === 403).length).toBeGreaterThanOrEqual(1);
    });
  });

  test('as its own process, the CLI collects the garbage of reading and caps heap growth; V8 takes both flags', async () => {
    const set = sets[0]!.prepare();
    const r = await runBuiltCli(bin, ['audit', '--format', 'json', '--debug', ...set.snapshot.flatMap((p) => ['--snapshot', p])], {});
    expectExit(r, 0);
    const phases = r.stderr.split('\n').filter((l) => / in \d+\.\d\d s \(heap \d+ MiB, RSS \d+ MiB\)$/.test(l));
    expect(r.stderr).toMatch(/^collected the garbage of reading \(\d+ -> \d+ MiB; heap growth capped at 2x from here\)$/m);
    expect(phases).toEqual([
      expect.stringMatching(/^read the inventory in /),
      expect.stringMatching(/^ran \d+ checks /),
      expect.stringMatching(/^wrote the report in /),
    ]);
    // A flag this Node's V8 did not know would print "Error: unrecognized flag" on stderr.
    expect(r.stderr).not.toMatch(/unrecognized|Error/);
  });

  test('an unreachable cluster exits 3 with one line, the same with --format json', async () => {
    const port = await closedPort();
    const kc = writeKubeconfig({ url: `https://127.0.0.1:${port}`, token: 'e2e-unused-token' }, { context: 'offline' });
    for (const format of ['table', 'json']) {
      const r = await runBuiltCli(bin, ['audit', '--format', format, '--request-timeout', '5'], { KUBECONFIG: kc.file });
      expectExit(r, 3);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`context "offline" (https://127.0.0.1:${port}): connection refused`);
      // Refused at once: what remains is Node's start-up, slow only on a loaded machine.
      expect(r.ms).toBeLessThan(30000);
    }
  });
});

function kubectlPath(): string | undefined {
  const probe = spawnSync('kubectl', ['version', '--client', '--output=json'], { encoding: 'utf8' });
  return probe.error || probe.status !== 0 ? undefined : 'kubectl';
}

const kubectl = kubectlPath();
if (!kubectl) {
  console.log('kubectl is not on PATH: the test that proves the fixture server faithful to kubectl is skipped');
}

describe('the fixture API server is faithful to a real client', () => {
  (kubectl ? test : test.skip)(
    'kubectl get nodes,pods,namespaces,networkpolicies -A -o json --chunk-size=2 sees exactly the served objects (managedFields shown)',
    async () => {
      const server = await serve({ snapshot: sets[0]!.paths });
      const kc = writeKubeconfig(server, { context: 'kubectl' });
      const { stdout } = await run(
        kubectl!,
        [
          '--kubeconfig',
          kc.file,
          '--cache-dir',
          `${kc.dir}/cache`,
          'get',
          'nodes,pods,namespaces,networkpolicies',
          '-A',
          '-o',
          'json',
          '--chunk-size=2',
          '--show-managed-fields',
          '--request-timeout=20s',
        ],
        { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { PATH: process.env.PATH ?? '', HOME: kc.dir } },
      );
      const got = JSON.parse(stdout) as { kind: string; items: K8sObject[] };
      expect(got.kind).toBe('List');
      const key = (o: K8sObject): string =>
        `${String(o.apiVersion)} ${String(o.kind)} ${asString(field(o, 'metadata', 'namespace')) ?? ''}/${String(field(o, 'metadata', 'name'))}`;
      const served = [KINDS.Node, KINDS.Pod, KINDS.Namespace, KINDS.NetworkPolicy].flatMap((id) => server.objects(id));
      expect(served.length).toBeGreaterThan(20);
      expect(got.items.map(key).sort()).toEqual(served.map(key).sort());
      const byKey = new Map(served.map((o) => [key(o), o]));
      for (const item of got.items) expect(item).toEqual(byKey.get(key(item)));
      // kubectl paged every list with the server's continue tokens, and only read.
      const pods = server.requests.filter((r) => r.path === '/api/v1/pods');
      expect(pods.length).toBe(Math.ceil(server.objects(KINDS.Pod).length / 2));
      expect(pods.slice(1).every((r) => r.query.limit === '2' && r.query.continue)).toBe(true);
      expect(server.requests.every((r) => r.method === 'GET')).toBe(true);
    },
  );
});
