/**
 * A fleet audit end to end, in process: four clusters behind one kubeconfig — two fixture API
 * servers serving different fixture clusters, one that forbids most lists (RBAC) and one that is
 * not there at all — audited by `kposture audit` with several contexts.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KINDS } from '../../src/k8s/kinds.js';
import type { FleetReport } from '../../src/fleet/model.js';
import { columns } from '../../src/report/wrap.js';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import { closedPort, REPO_ROOT, startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { runMain, type CliRun } from '../support/fixture-cli.js';
import { dataSets, mirrorLacking } from '../support/fixture-e2e.js';
import { writeFleetKubeconfig } from '../support/fleet.js';

// Each test audits two to four clusters: more than one audit's share of the default timeout on a loaded machine.
jest.setTimeout(120_000);

const servers: FixtureServer[] = [];
let kubeconfig: string;
/** Kinds the forbidden cluster's RBAC denies: what nodes, workloads and the CNI are read from. */
const DENIED = [KINDS.Node, KINDS.Pod, KINDS.DaemonSet, KINDS.Deployment, KINDS.StatefulSet, KINDS.ReplicaSet];

function cluster(name: string): { serve: string[]; mirror: ReturnType<typeof mirrorLacking> } {
  const dir = path.join(REPO_ROOT, 'fixtures', 'clusters', name, 'snapshot');
  const source = dataSets().find((s) => s.paths[0] === dir)!;
  const set = source.prepare();
  return { serve: set.serve, mirror: mirrorLacking(set) };
}

beforeAll(async () => {
  const demo = cluster('demo');
  const gke = cluster('gke-cos');
  const serve = async (...args: Parameters<typeof startFixtureServer>): Promise<FixtureServer> => {
    const s = await startFixtureServer(...args);
    servers.push(s);
    return s;
  };
  const prodDemo = await serve({ snapshot: demo.serve, ...demo.mirror });
  const prodGke = await serve({ snapshot: gke.serve, ...gke.mirror });
  const denied = await serve({ snapshot: demo.serve, extra: demo.mirror.extra ?? [], forbidden: [...(demo.mirror.forbidden ?? []), ...DENIED] });
  const down = { url: `https://127.0.0.1:${await closedPort()}`, token: 'unused' };
  kubeconfig = writeFleetKubeconfig([
    { context: 'prod-demo', server: prodDemo },
    { context: 'prod-gke', server: prodGke },
    { context: 'prod-rbac', server: denied },
    { context: 'staging-down', server: down },
  ]);
});

afterAll(async () => {
  // Read-only and never a Secret, in a fleet as alone.
  const all = servers.flatMap((s) => s.requests);
  expect(all.filter((r) => r.method !== 'GET' || /secrets/i.test(r.path))).toEqual([]);
  await Promise.all(servers.map((s) => s.close()));
});

const audit = (args: string[]): Promise<CliRun> => runMain(['audit', ...args], { env: { KUBECONFIG: kubeconfig, NO_COLOR: '1' } });

function fleetOf(run: CliRun): FleetReport {
  try {
    return JSON.parse(run.stdout) as FleetReport;
  } catch {
    throw new Error(`not a JSON fleet report; exit ${run.code}; stderr:\n${run.stderr}`);
  }
}

const validate = compileSchema('fleet.schema.json');

function expectValid(report: unknown): void {
  if (!validate(report)) throw new Error(`fleet report does not match schemas/fleet.schema.json: ${formatAjvError(validate.errors)}`);
}

describe('kposture audit --all-contexts', () => {
  let run: CliRun;
  let fleet: FleetReport;
  beforeAll(async () => {
    run = await audit(['--all-contexts', '--format', 'json', '--parallel', '2']);
    fleet = fleetOf(run);
    // Four clusters: on a loaded machine this takes longer than one audit's default timeout.
  }, 180_000);

  test('audits every cluster, reports the unreachable one and exits 3, the worst code', () => {
    expect(run.code).toBe(3);
    expect(fleet.exitCode).toBe(3);
    expect(fleet.clusters.map((c) => [c.context, c.status, c.exitCode])).toEqual([
      ['prod-demo', 'audited', 0],
      ['prod-gke', 'audited', 0],
      ['prod-rbac', 'audited', 0],
      ['staging-down', 'unreachable', 3],
    ]);
    const down = fleet.clusters.find((c) => c.context === 'staging-down')!;
    expect(down.error).toMatch(/^context "staging-down" \(https:\/\/127\.0\.0\.1:\d+\): connection refused/);
    expect(fleet.summary).toEqual({ clusters: 4, audited: 3, unreachable: 1, errors: 0, gateFailed: 0 });
    // One line on stderr for the cluster that could not be read, and the fleet's verdict last.
    expect(run.stderr).toMatch(/^kposture: staging-down: context "staging-down" .*connection refused/m);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('fleet: 4 clusters: 3 audited, 1 unreachable; exit 3');
  });

  test('the forbidden cluster is audited with the coverage RBAC left it, and says which kinds it could not list', () => {
    const rbac = fleet.clusters.find((c) => c.context === 'prod-rbac')!;
    const demo = fleet.clusters.find((c) => c.context === 'prod-demo')!;
    expect(demo.coverage).toBe(100);
    expect(rbac.coverage).toBeLessThan(60);
    expect(rbac.unread!.filter((k) => k.status === 'forbidden').map((k) => k.kind)).toEqual(expect.arrayContaining(DENIED));
    // What it cannot know is unknown, with the reason, never a value: no drift is claimed on it.
    expect(rbac.facts!.osFamilies).toEqual({ unknown: expect.stringMatching(/^OS-01 is unknown: .*forbidden/) });
    const family = fleet.drift.aspects.find((a) => a.id === 'os-family')!;
    expect(family.unknown).toEqual([{ cluster: 'prod-rbac', reason: (rbac.facts!.osFamilies as { unknown: string }).unknown }]);
  });

  test('drift between the two clusters that differ: host OS, kubelet, runtime, CNI, policy engine, PSA of same-named namespaces', () => {
    const differs = new Map(fleet.drift.aspects.filter((a) => a.differs).map((a) => [a.namespace ? `${a.id} ${a.namespace}` : a.id, a]));
    expect([...differs.keys()].sort()).toEqual(['cni', 'kubelet', 'os-family', 'os-image', 'policy-engine', 'runtime']);
    expect(differs.get('os-family')!.values).toEqual([
      { value: 'Container-Optimized OS from Google', clusters: ['prod-gke'] },
      { value: 'Flatcar Container Linux, Ubuntu', clusters: ['prod-demo'] },
    ]);
    expect(
      differs
        .get('cni')!
        .values.map((v) => v.value)
        .sort(),
    ).toEqual(['Calico (enforces)', 'GKE Dataplane V2 (Cilium) (enforces)']);
    // The forbidden cluster serves demo's data: its policy engine is readable, and alike demo's.
    expect(differs.get('policy-engine')!.values).toEqual([
      { value: 'Kyverno: enforce and audit', clusters: ['prod-demo', 'prod-rbac'] },
      { value: '(none)', clusters: ['prod-gke'] },
    ]);
    // `default` exists in the three audited clusters; PSA was readable in all of them and is alike.
    const defaultNs = fleet.drift.aspects.find((a) => a.id === 'psa' && a.namespace === 'default')!;
    expect(defaultNs).toMatchObject({ differs: false, values: [{ value: 'none', clusters: ['prod-demo', 'prod-gke', 'prod-rbac'] }] });
    expect(fleet.drift.differing).toBe(differs.size);
  });

  test('the JSON fleet report matches schemas/fleet.schema.json', () => {
    expectValid(fleet);
  });
});

describe('choosing clusters', () => {
  test('--contexts GLOB audits the matching contexts only; a gate applies to each cluster', async () => {
    const run = await audit(['--contexts', 'prod-*', '--format', 'json', '--fail-under', '60']);
    const fleet = fleetOf(run);
    expectValid(fleet);
    expect(fleet.clusters.map((c) => c.context)).toEqual(['prod-demo', 'prod-gke', 'prod-rbac']);
    const gate = Object.fromEntries(fleet.clusters.map((c) => [c.context, c.gate?.passed]));
    // demo scores 69.1; gke-cos 59; the forbidden cluster cannot meet the default 80% coverage.
    expect(gate).toEqual({ 'prod-demo': true, 'prod-gke': false, 'prod-rbac': false });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^prod-gke: gate failed: score 57.6 < 60/m);
    expect(run.stderr).toMatch(/^prod-rbac: gate failed: .*coverage/m);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('fleet: 3 clusters: 3 audited; gate failed on 2; exit 1');
  });

  test('--context given several times audits those; the table fits 80 columns and shows the drift; Markdown and HTML too', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-fleet-reports-'));
    const md = path.join(dir, 'fleet.md');
    const html = path.join(dir, 'fleet.html');
    const run = await audit(['--context', 'prod-gke', '--context', 'prod-demo', '--report', `markdown=${md}`, '--report', `html=${html}`]);
    expect(run.code).toBe(0);
    // (A slow machine may add a progress line every 10 s.)
    expect(run.stderr.split('\n').filter((l) => l.startsWith('wrote'))).toEqual([`wrote ${md}`, `wrote ${html}`]);
    const markdown = readFileSync(md, 'utf8');
    expect(markdown).toContain('### kposture fleet: 2 clusters: 2 audited; exit 0');
    expect(markdown).toMatch(/^\| `prod-demo` \| 69\.1 \| D \| 100% \|/m);
    expect(markdown).toContain('| Calico (enforces) | `prod-demo` |');
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<h2>Drift: 6 aspects differ between clusters</h2>');
    expect(page).toContain('<td>Calico (enforces)</td><td><code>prod-demo</code></td>');
    expect(page).not.toMatch(/<script|https?:\/\/(?!kposture)/);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => columns(l) > 80)).toEqual([]);
    expect(lines[0]).toBe('kposture fleet: 2 clusters: 2 audited; exit 0');
    expect(lines.find((l) => l.startsWith('prod-demo'))).toMatch(/^prod-demo +69\.1 +D +100%( +\d+){6} +0$/);
    expect(run.stdout).toContain('Drift: 6 aspects differ between clusters');
    expect(run.stdout).toContain('    Calico (enforces) — prod-demo');
  });

  test('a selection that comes down to one context is the single-cluster audit, output unchanged', async () => {
    const globbed = await audit(['--contexts', 'prod-d*', '--format', 'json']);
    const named = await audit(['--context', 'prod-demo', '--format', 'json']);
    expect(globbed.code).toBe(0);
    const strip = (s: string): unknown => ({ ...(JSON.parse(s) as object), generatedAt: undefined });
    expect(strip(globbed.stdout)).toEqual(strip(named.stdout));
    expect(JSON.parse(globbed.stdout)).toMatchObject({ schemaVersion: expect.any(String), target: { context: 'prod-demo' } });
  });

  test.each([
    [['--contexts', 'dev-*'], /^kposture: --contexts "dev-\*" matches no context of kubeconfig .* \(available: prod-demo, prod-gke, prod-rbac, staging-down\)/],
    [['--context', 'prod-demo', '--context', 'prod-nope'], /^kposture: context "prod-nope" is not in kubeconfig/],
    [['--all-contexts', '--snapshot', 'fixtures/clusters/demo/snapshot'], /^kposture: --snapshot cannot be combined with several contexts/],
    [['--contexts', 'prod-*', '--manifests', 'fixtures/clusters/demo/snapshot'], /^kposture: --manifests cannot be combined with several contexts/],
    [['--all-contexts', '--pushgateway', 'http://127.0.0.1:9091'], /^kposture: --pushgateway pushes one cluster's metrics, not a fleet's/],
    [['--all-contexts', '--format', 'sarif'], /^kposture: --format sarif: a fleet report is one of html, json, markdown, table/],
    [['--all-contexts', '--baseline', 'old.json'], /^kposture: --baseline compares one cluster/],
    [['--all-contexts', '--parallel', '0'], /--parallel takes a whole number from 1 to 64/],
  ])('bad input %j: exit 2 and one line', async (args, line) => {
    const run = await audit(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(line);
  });

  test('kposture snapshot still reads one cluster: --context twice is refused', async () => {
    const run = await runMain(['snapshot', '--context', 'prod-demo', '--context', 'prod-gke', '-o', '/tmp/never-written.json'], {
      env: { KUBECONFIG: kubeconfig, NO_COLOR: '1' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^kposture: --context given 2 times: this command reads one cluster/);
  });
});
