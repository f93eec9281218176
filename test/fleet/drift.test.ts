/**
 * The fleet model on the bundled fixture clusters' reports (audited from their snapshots): the
 * facts each report gives, the drift between clusters that differ, waivers in force, the worst
 * exit code, and the renderers' safety with hostile context names.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode } from '../../src/errors.js';
import { clusterFacts } from '../../src/fleet/facts.js';
import { findDrift } from '../../src/fleet/drift.js';
import { FLEET_RENDERERS } from '../../src/fleet/index.js';
import { buildFleetReport, clusterRow, failedRow, FLEET_SCHEMA_VERSION, worstExit, type FleetCluster } from '../../src/fleet/model.js';
import { selectContexts } from '../../src/fleet/select.js';
import type { Report } from '../../src/report/model.js';
import { columns } from '../../src/report/wrap.js';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import { runCli, tempDir } from '../cli/run.js';
import { CAPSULE_WAIVER } from '../support/waivers.js';

async function snapshotReport(cluster: string, ...args: string[]): Promise<Report> {
  const run = await runCli(['audit', '--snapshot', `fixtures/clusters/${cluster}/snapshot`, '--format', 'json', '--no-config', ...args]);
  if (run.code !== 0) throw new Error(`audit of ${cluster} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Report;
}

const reports = new Map<string, Report>();
beforeAll(async () => {
  for (const name of ['demo', 'kubeadm-flannel', 'hardened']) reports.set(name, await snapshotReport(name));
  const dir = tempDir('fleet-waiver');
  writeFileSync(path.join(dir, 'kposture.yaml'), CAPSULE_WAIVER);
  const waived = await runCli(['audit', '--snapshot', 'fixtures/clusters/hardened/snapshot', '--format', 'json', '--config', path.join(dir, 'kposture.yaml')]);
  reports.set('hardened-waived', JSON.parse(waived.stdout) as Report);
});

const row = (context: string, report = context): FleetCluster => clusterRow(context, reports.get(report)!);

describe('facts of a cluster, from its report', () => {
  test('demo: two OS families, Calico enforcing, Kyverno partly auditing, PSA per tenant namespace', () => {
    const facts = clusterFacts(reports.get('demo')!);
    expect(facts).toMatchObject({
      osFamilies: { values: ['Flatcar Container Linux', 'Ubuntu'] },
      kubeletVersions: { values: ['v1.30.4'] },
      runtimeVersions: { values: ['containerd://1.7.12', 'containerd://1.7.13'] },
      cni: { values: ['Calico (enforces)'] },
      policyEngines: { values: ['Kyverno: enforce and audit'] },
      waivers: { values: [] },
    });
    expect(facts.psa).toEqual({
      namespaces: { blog: 'baseline', 'cert-manager': 'restricted', default: 'none', kyverno: 'none', monitoring: 'privileged', shop: 'restricted' },
    });
  });

  test('a Kyverno rule that enforces only in some namespaces (per-namespace overrides) reads as enforce and audit', () => {
    const report = structuredClone(reports.get('demo')!);
    const pe02 = report.checks.find((c) => c.id === 'PE-02')!;
    pe02.subjects = pe02.subjects.slice(0, 1).map((s) => ({ ...s, verdict: 'partial', details: { engine: 'kyverno', enforcing: 0, auditing: 0, mixed: 1 } }));
    expect(clusterFacts(report).policyEngines).toEqual({ values: ['Kyverno: enforce and audit'] });
  });

  test('a check that did not run or could not know makes its fact unknown, with the reason', async () => {
    const skipped = clusterFacts(await snapshotReport('demo', '--skip', 'OS-01', '--skip', 'NP-01'));
    expect(skipped.osFamilies).toEqual({ unknown: 'OS-01 was not run (skipped with --skip)' });
    expect(skipped.cni).toEqual({ unknown: 'NP-01 was not run (skipped with --skip)' });
    // The other facts stand.
    expect(skipped.kubeletVersions).toEqual({ values: ['v1.30.4'] });
  });

  test('a waived finding is a waiver in force', () => {
    expect(clusterFacts(reports.get('hardened-waived')!).waivers).toEqual({ values: ['MT-05 ClusterRoleBinding/capsule-manager-rolebinding'] });
    expect(clusterFacts(reports.get('hardened')!).waivers).toEqual({ values: [] });
  });
});

describe('drift', () => {
  test('two clusters that differ: OS family, images, kubelet, runtime, CNI and its enforcement, policy engine, PSA of `default`', () => {
    const drift = findDrift([row('demo'), row('kubeadm-flannel')]);
    const differs = drift.aspects.filter((a) => a.differs).map((a) => (a.namespace ? `${a.id} ${a.namespace}` : a.id));
    expect(differs).toEqual(['os-family', 'os-image', 'kubelet', 'runtime', 'cni', 'policy-engine']);
    expect(drift.aspects.find((a) => a.id === 'cni')!.values).toEqual([
      { value: 'Calico (enforces)', clusters: ['demo'] },
      { value: 'Flannel (does not enforce)', clusters: ['kubeadm-flannel'] },
    ]);
    // `default` is the one namespace both have, unlabelled in both: alike.
    expect(drift.aspects.filter((a) => a.id === 'psa')).toEqual([
      {
        id: 'psa',
        title: 'Pod Security enforce level of namespace default',
        namespace: 'default',
        differs: false,
        values: [{ value: 'none', clusters: ['demo', 'kubeadm-flannel'] }],
        unknown: [],
      },
    ]);
    expect(drift.differing).toBe(6);
  });

  test('the same cluster twice does not drift; a waiver in one of them does', () => {
    expect(findDrift([row('a', 'hardened'), row('b', 'hardened')]).differing).toBe(0);
    const drift = findDrift([row('a', 'hardened'), row('b', 'hardened-waived')]);
    expect(drift.aspects.filter((a) => a.differs)).toEqual([
      {
        id: 'waivers',
        title: 'Waivers in force',
        differs: true,
        values: [
          { value: '(none)', clusters: ['a'] },
          { value: 'MT-05 ClusterRoleBinding/capsule-manager-rolebinding', clusters: ['b'] },
        ],
        unknown: [],
      },
    ]);
  });

  test('PSA levels of same-named namespaces: a level that differs is drift, a namespace only one cluster has is not compared', () => {
    const drift = findDrift([row('demo'), row('hardened')]);
    const psa = drift.aspects.filter((a) => a.id === 'psa');
    expect(psa.map((a) => [a.namespace, a.differs])).toEqual([
      ['default', true],
      ['kyverno', true],
    ]);
    expect(psa[1]!.values).toEqual([
      { value: 'none', clusters: ['demo'] },
      { value: 'restricted', clusters: ['hardened'] },
    ]);
  });

  test('clusters that were not audited take no part in drift', () => {
    const drift = findDrift([row('demo'), failedRow('down', ExitCode.cluster, 'context "down": connection refused')]);
    expect(drift.differing).toBe(0);
    expect(drift.aspects.every((a) => a.values.every((v) => !v.clusters.includes('down')) && a.unknown.length === 0)).toBe(true);
  });
});

describe('the fleet report', () => {
  test('exit code: the worst of the clusters, in the order 4 > 2 > 3 > 1 > 0', () => {
    expect(worstExit([])).toBe(0);
    expect(worstExit([0, 1, 0])).toBe(1);
    expect(worstExit([1, 3, 0])).toBe(3);
    expect(worstExit([3, 2, 1])).toBe(2);
    expect(worstExit([2, 4, 3])).toBe(4);
  });

  test('a fleet of every kind of row validates against schemas/fleet.schema.json, in every format', () => {
    const fleet = buildFleetReport(
      [row('hardened-waived'), row('demo'), failedRow('zz-broken', ExitCode.usage, 'context "zz-broken", user "u": token has a line feed')],
      {
        version: '0.0.0',
        generatedAt: '2026-12-07T00:00:00.000Z',
      },
    );
    const validate = compileSchema('fleet.schema.json');
    const json: unknown = JSON.parse(FLEET_RENDERERS.json!(fleet, { color: false }));
    if (!validate(json)) throw new Error(formatAjvError(validate.errors));
    expect(fleet.schemaVersion).toBe(FLEET_SCHEMA_VERSION);
    expect(fleet.clusters.map((c) => c.context)).toEqual(['demo', 'hardened-waived', 'zz-broken']);
    expect(fleet.exitCode).toBe(2);
    expect(fleet.summary).toEqual({ clusters: 3, audited: 2, unreachable: 0, errors: 1, gateFailed: 0 });
    for (const format of ['html', 'markdown', 'table']) expect(FLEET_RENDERERS[format]!(fleet, { color: false })).toContain('zz-broken');
    // --quiet: the headline, the rows and how much drifts; not the problems nor the drift itself.
    const quiet = FLEET_RENDERERS.table!(fleet, { color: false, quiet: true }).trimEnd().split('\n');
    expect(quiet[0]).toBe('kposture fleet: 3 clusters: 2 audited, 1 not audited (error); exit 2');
    expect(quiet.filter((l) => /^(demo|hardened-waived|zz-broken) /.test(l))).toHaveLength(3);
    expect(quiet.at(-1)).toBe('Drift: 9 aspects differ between clusters');
    expect(quiet.join('\n')).not.toContain('Problems');
  });

  test('context names from a kubeconfig cannot inject terminal escapes, Markdown or HTML', () => {
    const evil = 'prod\u001b]0;owned\u0007<img src=x onerror=alert(1)>|`x`';
    const fleet = buildFleetReport([row(evil, 'demo'), failedRow('b', ExitCode.cluster, 'context "b": connection refused')], {
      version: '0',
      generatedAt: '2026-12-07T00:00:00.000Z',
    });
    const table = FLEET_RENDERERS.table!(fleet, { color: false });
    // eslint-disable-next-line no-control-regex
    expect(table).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(table.split('\n').filter((l) => columns(l) > 80)).toEqual([]);
    const html = FLEET_RENDERERS.html!(fleet, { color: false });
    expect(html).not.toContain('<img');
    const markdown = FLEET_RENDERERS.markdown!(fleet, { color: false });
    // In a code span, which Markdown shows as it is; nowhere else.
    expect(markdown).toContain('| `` prod\\x1b]0;owned\\x07<img src=x onerror=alert(1)>\\|`x` `` |');
    expect(markdown.replace(/``.*?``/g, '')).not.toContain('<img');
    expect(markdown).toContain('\\|');
  });
});

describe('choosing contexts', () => {
  const names = ['arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu', 'gke_acme_europe-west1_prod-gke', 'kind-dev', 'prod-a', 'prod-b', '.hidden'];

  test('a glob matches whole names; `*` crosses `/` and a leading dot, as context names are not paths', () => {
    expect(selectContexts(names, { named: [], patterns: ['prod-*'], all: false }, 'kc')).toEqual(['prod-a', 'prod-b']);
    expect(selectContexts(names, { named: [], patterns: ['*prod*'], all: false }, 'kc')).toEqual([
      'arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu',
      'gke_acme_europe-west1_prod-gke',
      'prod-a',
      'prod-b',
    ]);
    expect(selectContexts(names, { named: [], patterns: ['prod-[a]', '*'], all: false }, 'kc')).toHaveLength(names.length);
    expect(selectContexts(names, { named: [], patterns: ['prod-?'], all: false }, 'kc')).toEqual(['prod-a', 'prod-b']);
  });

  test('names, patterns and --all-contexts add up, each context once, sorted', () => {
    expect(selectContexts(names, { named: ['prod-b', 'kind-dev'], patterns: ['prod-*'], all: false }, 'kc')).toEqual(['kind-dev', 'prod-a', 'prod-b']);
    expect(selectContexts(names, { named: ['prod-a'], patterns: [], all: true }, 'kc')).toEqual([...names].sort((a, b) => a.localeCompare(b, 'en')));
  });

  test('a name that is not there, a pattern that matches nothing, an empty kubeconfig: exit 2 with the contexts there are', () => {
    expect(() => selectContexts(names, { named: ['prod-c'], patterns: [], all: false }, 'kc')).toThrow(
      /^context "prod-c" is not in kubeconfig kc \(available: arn/,
    );
    expect(() => selectContexts(['a'], { named: [], patterns: ['b*'], all: false }, 'kc')).toThrow(
      '--contexts "b*" matches no context of kubeconfig kc (available: a)',
    );
    expect(() => selectContexts([], { named: [], patterns: [], all: true }, 'kc')).toThrow('--all-contexts: kubeconfig kc defines no context');
  });
});
