/**
 * A scoped audit of the demo fixture, as a user runs it: the blog team's failures disappear with
 * --exclude-namespace blog, cluster-wide checks do not move, and every format says the scope.
 */
import { describe, expect, it } from '@jest/globals';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import type { Report } from '../../src/report/model.js';
import { runCli, type CliResult } from './run.js';
import { unwrapped } from '../support/table.js';

const DEMO = 'fixtures/clusters/demo/snapshot';

async function json(...argv: string[]): Promise<{ run: CliResult; report: Report }> {
  const run = await runCli(['audit', '--snapshot', DEMO, '--format', 'json', ...argv]);
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as Report;
  const validate = compileSchema('report.schema.json');
  if (!validate(report)) throw new Error(formatAjvError(validate.errors));
  return { run, report };
}

const status = (report: Report, id: string): string | undefined => report.checks.find((c) => c.id === id)?.status;
const findingsIn = (report: Report, namespace: string): string[] =>
  report.checks.flatMap((c) =>
    c.findings.filter((f) => f.namespace === namespace || (f.resource.kind === 'Namespace' && f.resource.name === namespace)).map(() => c.id),
  );

describe('kposture audit --namespace / --exclude-namespace / --namespace-selector', () => {
  it("drops blog's failures with --exclude-namespace blog, and says so", async () => {
    const whole = (await json()).report;
    const { run, report } = await json('--exclude-namespace', 'blog');
    expect(run.stderr).toBe('');
    expect(findingsIn(whole, 'blog').length).toBeGreaterThan(0);
    expect(findingsIn(report, 'blog')).toEqual([]);
    // blog's allow-all ingress policy and its untagged alpine were these checks' only failures.
    expect([status(whole, 'NP-05'), status(whole, 'IMG-02')]).toEqual(['fail', 'fail']);
    expect([status(report, 'NP-05'), status(report, 'IMG-02')]).toEqual(['pass', 'pass']);
    // Cluster-wide checks see the whole cluster: the CI runner's cluster-admin, the Ubuntu node.
    for (const id of ['MT-05', 'OS-01', 'PE-02', 'NP-01']) {
      expect([id, report.checks.find((c) => c.id === id)]).toEqual([id, whole.checks.find((c) => c.id === id)]);
    }
    expect(report.score!).toBeGreaterThan(whole.score!);
    expect(report.coverage).toBe(100);
    expect(report.scope).toEqual({
      excludeNamespaces: ['blog'],
      tenantNamespaces: ['cert-manager', 'default', 'kyverno', 'monitoring', 'shop'],
      tenantChecks: [
        'DIE-01',
        'DIE-02',
        'DIE-03',
        'IMG-01',
        'IMG-02',
        'IMG-03',
        'IMG-04',
        'MT-02',
        'MT-03',
        'MT-04',
        'NP-02',
        'NP-03',
        'NP-04',
        'NP-05',
        'NP-06',
        'PE-05',
      ],
    });
    expect(whole.scope).toBeUndefined();
  });

  it('audits only the namespaces a selector matches', async () => {
    const { report } = await json('--namespace-selector', 'team in (shop,content)');
    expect(report.scope?.namespaceSelector).toBe('team in (shop,content)');
    expect(report.scope?.tenantNamespaces).toEqual(['blog', 'shop']);
    const mt04 = report.checks.find((c) => c.id === 'MT-04')!;
    expect(mt04.subjects.map((s) => s.resource.name)).toEqual(['blog', 'shop']);
    expect(findingsIn(report, 'monitoring')).toEqual([]);
  });

  it('audits one namespace with -n, states the scope in the table, and warns about a namespace that does not exist', async () => {
    const run = await runCli(['audit', '--snapshot', DEMO, '-n', 'shop', '-n', 'shopp']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('warning: --namespace shopp: the snapshot has no such namespace\n');
    expect(unwrapped(run.stdout)).toContain(
      'Scope: namespaces shop, shopp (1 tenant namespace: shop); not found: shopp. 16 tenant checks saw only these namespaces; cluster-wide checks saw the whole cluster.',
    );
    const report = JSON.parse((await runCli(['audit', '--snapshot', DEMO, '-n', 'shop', '--format', 'json'])).stdout) as Report;
    const tenant = report.checks.filter((c) => report.scope!.tenantChecks.includes(c.id));
    const mentioned = new Set(
      tenant.flatMap((c) =>
        c.findings.flatMap((f) =>
          [f.resource, ...(f.affected ?? [])].map((r) => (r.kind === 'Namespace' ? r.name : r.namespace)).filter((ns) => ns !== undefined),
        ),
      ),
    );
    expect([...mentioned]).toEqual(['shop']);
    // The CI runner's cluster-admin binding lives in namespace ci, and a cluster-wide check still reports it.
    expect(status(report, 'MT-05')).toBe('fail');
  });

  it('refuses a bad namespace name or selector with exit 2 and one line', async () => {
    const cases: [string[], string][] = [
      [
        ['-n', 'Team_A'],
        "kposture: --namespace Team_A: not a namespace name (namespace names are lowercase letters, digits and '-'; repeat the flag for several, e.g. --namespace a --namespace b)\n",
      ],
      [
        ['-n', 'shop,blog'],
        "kposture: --namespace shop,blog: not a namespace name (namespace names are lowercase letters, digits and '-'; repeat the flag for several, e.g. --namespace a --namespace b)\n",
      ],
      [
        ['--namespace-selector', 'team in shop'],
        `kposture: --namespace-selector "team in shop": 'shop' at position 9, expected '(' to open the list of values (the syntax is kubectl's -l, e.g. "team=a,env in (prod,stage),!legacy")\n`,
      ],
      [
        ['--namespace-selector', ''],
        `kposture: --namespace-selector "": the selector is empty (the syntax is kubectl's -l, e.g. "team=a,env in (prod,stage),!legacy")\n`,
      ],
    ];
    for (const [flags, line] of cases) {
      const run = await runCli(['audit', '--snapshot', DEMO, ...flags]);
      expect([flags, run.code, run.stderr, run.stdout]).toEqual([flags, 2, line, '']);
    }
  });

  it('makes tenant checks unknown, not empty, when a selector meets a snapshot without namespaces', async () => {
    const run = await runCli(['audit', '--snapshot', `${DEMO}/pods.yaml`, '--namespace-selector', 'team=shop', '--format', 'json']);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.scope?.unresolved).toMatch(/Namespace/);
    expect(status(report, 'DIE-02')).toBe('unknown');
    expect(report.checks.find((c) => c.id === 'DIE-02')!.reason).toBe(report.scope!.unresolved);
  });
});
