/**
 * Least privilege, proven against a server that enforces RBAC (test/support/rbac-enforcer.ts):
 * - with exactly the ClusterRole `kposture rbac` prints, `audit` and `snapshot` are never refused
 *   and give what they give with unlimited access (full coverage where the data allows it);
 * - every rule of that role is needed: without any one of its resources a kind is refused;
 * - with a role that may list only pods, every check that needs anything else is `unknown`
 *   (forbidden by RBAC), never pass or fail; the pod-only checks keep their verdicts.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import type { PolicyRule } from '../../src/inventory/rbac-policy.js';
import { KINDS, kindSpec } from '../../src/k8s/kinds.js';
import { kindsToCollect } from '../../src/engine/run.js';
import { snapshotKinds } from '../../src/cli/commands/snapshot.js';
import type { Report } from '../../src/report/model.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer, type FixtureServerOptions, type ServedResource } from '../support/fixture-server.js';
import { runMain } from '../support/fixture-cli.js';
import { dataSets, mirrorLacking, type DataSet } from '../support/fixture-e2e.js';
import { clusterRoleRules, enforce } from '../support/rbac-enforcer.js';
import { composeIntercepts } from '../support/faults.js';
import { readOnlyViolations } from '../support/read-only.js';

const servers: FixtureServer[] = [];
let role: PolicyRule[];
const DISCOVERY: PolicyRule = { nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/version'], verbs: ['get'] };

beforeAll(async () => {
  const printed = await runMain(['rbac']);
  expect(printed.code).toBe(0);
  role = clusterRoleRules(printed.stdout);
});

afterAll(async () => {
  expect(readOnlyViolations(servers.flatMap((s) => s.requests))).toEqual([]);
  await Promise.all(servers.map((s) => s.close()));
});

async function audit(
  set: DataSet,
  rules: PolicyRule[] | undefined,
  extra: FixtureServerOptions = {},
): Promise<{ report: Report; denied: string[]; server: FixtureServer }> {
  const enforcer = rules ? enforce(rules) : undefined;
  const server = await startFixtureServer({
    snapshot: set.serve,
    ...mirrorLacking(set),
    ...extra,
    ...(enforcer ? { intercept: composeIntercepts(enforcer) } : {}),
  });
  servers.push(server);
  const run = await runMain(['audit', '--format', 'json', '--kubeconfig', writeKubeconfig(server, { context: 'rbac' }).file]);
  if (run.code !== 0) throw new Error(`audit exited ${run.code}: ${run.stderr}`);
  return { report: JSON.parse(run.stdout) as Report, denied: enforcer?.denied ?? [], server };
}

function comparable(r: Report): unknown {
  const copy = JSON.parse(JSON.stringify(r)) as Record<string, unknown> & { target: Record<string, unknown> };
  delete copy.generatedAt;
  delete copy.target.server;
  return copy;
}

// The demo, and the two fixtures whose policy engines and CNIs need custom resources (Gatekeeper
// constraints are a whole API group; Cilium and Kyverno have CRDs of their own).
const sets = dataSets().filter((s) => /clusters\/(demo|gatekeeper-failopen|hardened)\//.test(`${s.name}/`));

describe('with exactly the ClusterRole `kposture rbac` prints', () => {
  test('the role is read-only, names no Secrets, and wildcards only a whole-group kind', () => {
    for (const rule of role) {
      expect(rule.verbs.every((v) => v === 'list' || v === 'get')).toBe(true);
      expect(rule.resources ?? []).not.toContain('secrets');
      if ((rule.resources ?? []).includes('*')) expect(rule.apiGroups).toEqual(['constraints.gatekeeper.sh']);
      expect(rule.apiGroups ?? []).not.toContain('*');
    }
  });

  test.each(sets)('$name: audit is never refused and equals an audit with unlimited access', async (source) => {
    expect(sets).toHaveLength(3);
    const set = source.prepare();
    const open = await audit(set, undefined);
    const limited = await audit(set, role);
    expect(limited.denied).toEqual([]);
    expect(limited.report.inventory.filter((k) => k.status === 'forbidden' && !set.lacking.includes(k.kind))).toEqual([]);
    expect(comparable(limited.report)).toEqual(comparable(open.report));
    expect(limited.report.coverage).toBe(100);
    expect(limited.server.requests.length).toBeGreaterThan(10);
  });

  test.each(sets)('$name: snapshot is never refused and leaves nothing out but what the data lacks', async (source) => {
    const set = source.prepare();
    const enforcer = enforce(role);
    const server = await startFixtureServer({ snapshot: set.serve, ...mirrorLacking(set), intercept: enforcer });
    servers.push(server);
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'kposture-rbac-snap-')), 'snap.json');
    const run = await runMain(['snapshot', '-o', out, '--kubeconfig', writeKubeconfig(server).file]);
    expect(run.code).toBe(0);
    expect(enforcer.denied).toEqual([]);
    const leftOut = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('left out '))
      .map((l) => l.split(':')[0]!.slice('left out '.length));
    expect(leftOut.sort()).toEqual([...set.lacking].sort());
    expect(readFileSync(out, 'utf8').length).toBeGreaterThan(1000);
  });

  test('every resource the role grants is needed: without it, its kind is refused', async () => {
    // The demo, plus every API kposture can read served (empty where the demo has none), so that
    // every grant is exercised.
    const set = sets[0]!.prepare();
    const extra: ServedResource[] = snapshotKinds(kindsToCollect(BUILTIN_CHECKS)).flatMap((id) => {
      const spec = kindSpec(id)!;
      if (spec.dynamic) return [{ group: spec.group, version: spec.versions[0]!, resource: 'k8srequiredlabels', kind: 'K8sRequiredLabels', namespaced: false }];
      return [{ group: spec.group, version: spec.versions[0]!, resource: spec.resource, kind: spec.kind, namespaced: spec.namespaced }];
    });
    const everything = { ...set, lacking: [] };
    const grants = role.flatMap((rule, i) => (rule.resources ?? []).map((resource) => ({ i, group: rule.apiGroups![0]!, resource })));
    expect(grants.length).toBeGreaterThan(25);
    const full = await audit(everything, role, { extra });
    expect(full.denied).toEqual([]);
    const unused: string[] = [];
    for (const { i, group, resource } of grants) {
      const reduced = role.map((rule, j) => (j === i ? { ...rule, resources: rule.resources!.filter((r) => r !== resource) } : rule));
      const { denied, report } = await audit(everything, reduced, { extra });
      const refused = report.inventory.filter((k) => k.status === 'forbidden').map((k) => k.kind);
      // ConstraintTemplates are read by `snapshot`, not by the audit's checks.
      if (resource === 'constrainttemplates') continue;
      if (denied.length === 0 || refused.length === 0) unused.push(`${group || 'core'}/${resource}`);
    }
    expect(unused).toEqual([]);
    // One live audit per grant (~35), each with its own server: ~25 s alone, more than twice that
    // beside the other suites on two cores.
  }, 180_000);

  test('without the discovery rule nothing can be placed: every kind is an error, nothing passes or fails', async () => {
    const set = sets[0]!.prepare();
    const { report, denied } = await audit(
      set,
      role.filter((r) => !r.nonResourceURLs),
    );
    expect(denied).toContain('get /api');
    expect(report.coverage).toBe(0);
    expect(report.checks.filter((c) => c.status === 'pass' || c.status === 'fail')).toEqual([]);
  });
});

describe('with a role that may list only pods', () => {
  test.each(sets)('$name: every check that needs more is unknown (forbidden), never pass or fail', async (source) => {
    const set = source.prepare();
    const open = await audit(set, undefined);
    const podsOnly = await audit(set, [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }, DISCOVERY]);
    expect(podsOnly.denied.length).toBeGreaterThan(10);
    let unknown = 0;
    let evaluated = 0;
    for (const check of podsOnly.report.checks) {
      // A check that reads everything optionally (MT-01: any one trace decides) needs its optional kinds.
      const { meta } = BUILTIN_CHECKS.find((c) => c.meta.id === check.id)!;
      const needs = meta.reads.length > 0 ? meta.reads : (meta.optionalReads ?? []);
      const before = open.report.checks.find((c) => c.id === check.id)!;
      if (needs.some((k) => k !== KINDS.Pod)) {
        unknown++;
        expect({ id: check.id, status: check.status, score: check.score }).toEqual({ id: check.id, status: 'unknown', score: null });
        expect(check.reason).toMatch(/was forbidden by RBAC: .* is forbidden: User "system:serviceaccount:kposture:kposture" cannot list resource/);
      } else {
        evaluated++;
        // Pod-only checks still decide; ReplicaSets and Jobs (optional, now refused) only name owners.
        expect({ id: check.id, status: check.status, score: check.score }).toEqual({ id: check.id, status: before.status, score: before.score });
      }
    }
    expect(unknown).toBeGreaterThan(15);
    expect(evaluated).toBeGreaterThan(3);
    expect(podsOnly.report.coverage).toBeLessThan(open.report.coverage);
    expect(podsOnly.report.inventory.find((k) => k.kind === KINDS.Pod)!.status).toBe('ok');
  });
});
