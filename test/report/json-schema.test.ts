import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import { CATEGORY_IDS, SEVERITY_WEIGHT } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../../src/report/model.js';
import { renderJson, renderJsonChunks } from '../../src/report/json.js';
import { jsonOf, PARTIAL, REPO_ROOT, runCli, STRONG, UNKNOWN, WEAK } from '../cli/run.js';
import { liveCluster, liveInventory, reportFor, snapshotReport, TEST_CHECKS } from './reports.js';
import { schemaFields } from '../support/schema-fields.js';

const validate = compileSchema('report.schema.json');
const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'report.schema.json'), 'utf8')) as {
  properties: { schemaVersion: { pattern: string } };
  $defs: Record<string, { enum?: unknown[]; properties?: Record<string, { enum?: unknown[] }> }>;
};

function expectValid(report: unknown): void {
  const ok = validate(report);
  if (!ok) throw new Error(`report does not match schemas/report.schema.json: ${formatAjvError(validate.errors)}`);
}

function clone(report: Report): Record<string, unknown> {
  return JSON.parse(renderJson(report)) as Record<string, unknown>;
}

describe('JSON report against schemas/report.schema.json', () => {
  it.each([
    ['a weak cluster, gated', WEAK, ['--fail-under', '90']],
    ['a strong cluster, gated on score and coverage', STRONG, ['--fail-under', '90', '--min-coverage', '100']],
    ['a snapshot without the policy-engine kinds', PARTIAL, ['--min-coverage', '80']],
    ['a snapshot in which nothing can be evaluated', UNKNOWN, ['--fail-under', '10']],
    [
      'a scoped audit with skipped checks and a severity gate',
      'fixtures/clusters/demo/snapshot',
      ['--exclude-namespace', 'blog', '--skip', 'NP-06', '--fail-on', 'critical'],
    ],
  ])('validates the report of %s, as the CLI prints it', async (_name, snapshot, gate) => {
    const run = await runCli(['audit', '--snapshot', snapshot, '--format', 'json', ...gate]);
    const report = jsonOf(run);
    expectValid(report);
    expect(report.gate).toBeDefined();
    // The verdict, and nothing else, on stderr.
    expect(run.stderr).toBe(`${(report.gate as unknown as { verdict: string }).verdict}\n`);
    expect(run.code).toBe(report.gate!.passed ? 0 : 1);
  });

  it('records the weak snapshot faithfully: findings point at the file and line of their object', async () => {
    const report = jsonOf(await runCli(['audit', '--snapshot', WEAK, '--format', 'json'])) as unknown as Report;
    expectValid(report);
    const mt04 = report.checks.find((c) => c.id === 'MT-04')!;
    expect(mt04.status).toBe('fail');
    expect(mt04.findings.map((f) => [f.resource.name, f.messageId, f.location.uri])).toEqual([
      ['blog', 'missing', 'test/data/report-weak/tenant namespaces.yaml'],
      ['legacy', 'weak', 'test/data/report-weak/tenant namespaces.yaml'],
    ]);
    const lines = readFileSync(path.join(REPO_ROOT, WEAK, 'tenant namespaces.yaml'), 'utf8').split('\n');
    for (const f of mt04.findings) {
      // The object's document starts at its line: apiVersion, then kind, then the name below.
      expect(lines[f.location.startLine - 1]).toBe('apiVersion: v1');
      expect(lines.slice(f.location.startLine - 1, f.location.startLine + 4).join('\n')).toContain(`name: ${f.resource.name}`);
    }
    expect(mt04.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['blog', 'fail'],
      ['legacy', 'fail'],
      ['shop', 'pass'],
    ]);
    expect(report.target).toEqual({ source: 'snapshot', snapshots: [WEAK] });
  });

  it('validates a live report with forbidden kinds, unknown, not-applicable and info checks, grouped findings and a gate', () => {
    const objects = liveCluster().filter((o) => o.kind !== 'Node');
    const report = reportFor(liveInventory(objects, { [KINDS.Node]: 'forbidden' }), [...BUILTIN_CHECKS, ...TEST_CHECKS], { failUnder: 80, minCoverage: 90 });
    expectValid(report);
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('T-NODE')).toMatchObject({ status: 'unknown', score: null, findings: [] });
    expect(byId.get('T-NODE')!.reason).toMatch(/forbidden/);
    expect(byId.get('T-INFO')).toMatchObject({ status: 'pass', weight: 0 });
    const grouped = byId.get('T-GROUP')!;
    expect(grouped.findings.map((f) => [f.resource.name, f.field, f.affected?.length])).toEqual([
      ['blog', 'spec.containers[*].image', 1],
      ['shop', 'spec.containers[*].image', 2],
      ['shop', 'spec.initContainers[*].image', 2],
    ]);
    expect(grouped.findings[0]!.location).toEqual({ uri: 'k8s/prod-eu/_cluster/Namespace/blog.yaml', startLine: 1 });
    expect(report.inventory).toContainEqual({ kind: KINDS.Node, status: 'forbidden', count: 0, reason: 'pods is forbidden' });
    expect(report.target).toEqual({ source: 'live', context: 'prod-eu', server: 'https://10.20.0.1:6443', serverVersion: 'v1.31.4' });
    expect(report.gate?.passed).toBe(false);
  });

  it('renders, piece by piece, exactly JSON.stringify of the report with two-space indentation', () => {
    for (const dir of [WEAK, STRONG, PARTIAL]) {
      const report = snapshotReport(dir);
      const pieces = [...renderJsonChunks(report)];
      expect(pieces.join('')).toBe(`${JSON.stringify(report, null, 2)}\n`);
      // One piece per examined subject or finding at least: no piece holds a whole check list.
      const subjects = report.checks.reduce((n, c) => n + c.subjects.length, 0);
      expect(pieces.length).toBeGreaterThan(subjects);
    }
  });

  it('validates a report with a not-applicable check', () => {
    const report = reportFor(
      liveInventory(liveCluster()),
      TEST_CHECKS.filter((c) => c.meta.id === 'T-LOW'),
    );
    const low = report.checks[0]!;
    expect(low.status).toBe('fail');
    const na = reportFor(liveInventory(liveCluster().filter((o) => !(o.kind === 'Namespace' && JSON.stringify(o).includes('team')))), TEST_CHECKS);
    expect(na.checks.find((c) => c.id === 'T-LOW')).toMatchObject({ status: 'not-applicable', score: null, subjects: [] });
    expectValid(na);
  });

  describe('is strict enough to catch drift', () => {
    // MT-04 first: a failing check with findings to tamper with.
    const report = snapshotReport(WEAK, { failUnder: 90, only: ['MT-04', 'PE-01'] });

    it('accepts the unmodified report', () => {
      expectValid(clone(report));
    });

    it.each<[string, (r: Record<string, unknown> & { checks: Record<string, unknown>[] }) => void, RegExp]>([
      ['an unknown top-level field', (r) => void (r.extra = 1), /unknown field "extra"/],
      ['an unknown field on a check', (r) => void (r.checks[0]!.note = 'x'), /unknown field "note"/],
      [
        'a finding without its verify command',
        (r) => {
          delete (r.checks[0]!.findings as Record<string, unknown>[])[0]!.verify;
        },
        /verify/,
      ],
      [
        'a finding without a location',
        (r) => {
          delete (r.checks[0]!.findings as Record<string, unknown>[])[0]!.location;
        },
        /location/,
      ],
      [
        'a location with line 0',
        (r) => void (((r.checks[0]!.findings as Record<string, { startLine: number }>[])[0]!.location as { startLine: number }).startLine = 0),
        /startLine/,
      ],
      ['an unknown check status', (r) => void (r.checks[0]!.status = 'error'), /status/],
      ['an unknown check with a score', (r) => Object.assign(r.checks[0]!, { status: 'unknown', reason: 'x', findings: [] }), /score/],
      ['an unknown check without a reason', (r) => Object.assign(r.checks[0]!, { status: 'unknown', score: null, findings: [] }), /reason/],
      ['a failing check without findings', (r) => void (r.checks[0]!.findings = []), /findings/],
      [
        'a failing check whose every finding is waived',
        (r) => {
          const waived = {
            source: 'config',
            file: '.kposture.yaml',
            index: 0,
            match: { name: '*' },
            checks: [r.checks[0]!.id],
            reason: 'accepted',
            expires: '2027-06-30',
          };
          for (const f of r.checks[0]!.findings as Record<string, unknown>[]) f.waived = waived;
        },
        /contains/,
      ],
      [
        'a waiver from the config file that names an annotated object',
        (r) => {
          const f = (r.checks[0]!.findings as Record<string, unknown>[])[0]!;
          f.waived = { source: 'config', file: '.kposture.yaml', index: 0, match: {}, resource: { kind: 'Pod', name: 'x' }, checks: ['MT-04'], reason: 'r' };
        },
        /waived|not/,
      ],
      ['a grade without a score', (r) => void (r.score = null), /grade/],
      ['a score above 100', (r) => void (r.score = 101), /score/],
      ['the next major schema version', (r) => void (r.schemaVersion = '2.0'), /schemaVersion/],
      ['a failed gate without reasons', (r) => void ((r.gate as { reasons: string[] }).reasons = []), /reasons/],
      ['a skipped check without its reason', (r) => void (r.skipped = [{ id: 'NP-02', title: 'Namespaces deny ingress by default' }]), /reason/],
      ['a scope that names no namespace', (r) => void (r.scope = { tenantChecks: ['MT-04'] }), /anyOf|namespaces/],
      ['a verdict that is not one', (r) => void ((r.gate as { verdict: string }).verdict = 'failed'), /verdict|pattern/],
      ['a snapshot target with a context', (r) => void ((r.target as Record<string, unknown>).context = 'prod'), /target/],
      [
        'a kind that was forbidden yet has items',
        (r) => void Object.assign((r.inventory as Record<string, unknown>[])[0]!, { status: 'forbidden', count: 3 }),
        /count/,
      ],
    ])('rejects %s', (_name, mutate, where) => {
      const r = clone(report) as Record<string, unknown> & { checks: Record<string, unknown>[] };
      expect(r.checks[0]!.status).toBe('fail');
      mutate(r);
      expect(validate(r)).toBe(false);
      expect(`${formatAjvError(validate.errors)} ${JSON.stringify(validate.errors)}`).toMatch(where);
    });
  });

  it('keeps the schema in step with the code: version, categories, severities and weights', () => {
    expect(REPORT_SCHEMA_VERSION).toMatch(new RegExp(schema.properties.schemaVersion.pattern));
    expect(schema.$defs.categoryId!.enum).toEqual([...CATEGORY_IDS]);
    expect(schema.$defs.check!.properties!.severity!.enum).toEqual(Object.keys(SEVERITY_WEIGHT));
    expect([...new Set(Object.values(SEVERITY_WEIGHT))].sort()).toEqual([...(schema.$defs.check!.properties!.weight!.enum as number[])].sort());
  });

  it('documents every field of the schema in docs/report.md', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'report.md'), 'utf8');
    const fields = schemaFields(schema);
    const undocumented = [...fields].filter((f) => !doc.includes(`\`${f}\``));
    expect(undocumented).toEqual([]);
  });
});
