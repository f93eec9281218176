import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../src/report/model.js';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import { twoAudits, type TwoAudits } from './baseline-fixture.js';
import { removeDir, runCli } from './run.js';
import { CAPSULE_WAIVER } from '../support/waivers.js';
import { unwrapped } from '../support/table.js';

const validate = compileSchema('report.schema.json');
function valid(report: unknown): Report {
  if (!validate(report)) throw new Error(`report does not match schemas/report.schema.json: ${formatAjvError(validate.errors)}`);
  return report as Report;
}

const findings = (report: Report) => report.checks.flatMap((c) => c.findings);

describe('audit --baseline', () => {
  let audits: TwoAudits;
  beforeAll(async () => {
    audits = await twoAudits('baseline');
  });
  afterAll(() => removeDir(audits.dir));

  async function againstBaseline(...flags: string[]): Promise<{ code: number; report: Report; stderr: string }> {
    const run = await runCli(['audit', '--snapshot', audits.afterSnapshot, '--baseline', audits.before, '--format', 'json', ...flags]);
    return { code: run.code, report: valid(JSON.parse(run.stdout)), stderr: run.stderr };
  }

  it('marks the new namespace new, the labelled one fixed, and the rest unchanged', async () => {
    const { code, report } = await againstBaseline();
    expect(code).toBe(0);
    expect(report.schemaVersion).toBe('1.3');
    const byState = (state: string): string[] =>
      findings(report)
        .filter((f) => f.baseline === state)
        .map((f) => `${f.checkId} ${f.resource.kind} ${f.resource.namespace ? `${f.resource.namespace}/` : ''}${f.resource.name}`);
    expect(byState('new')).toEqual(['MT-04 Namespace billing']);
    expect(report.baseline!.fixed.map((f) => `${f.checkId} ${f.resource.name}`)).toEqual(['MT-04 jobs']);
    expect(byState('unchanged')).toContain('MT-04 Namespace default');
    expect(report.baseline).toMatchObject({
      file: audits.before,
      generatedAt: audits.beforeReport.generatedAt,
      score: audits.beforeReport.score,
      coverage: audits.beforeReport.coverage,
    });
    // Every finding has a state, explained ones too (a baseline compares them), and the counts add up to them.
    const counts = report.baseline!.counts;
    expect(counts.new + counts.unchanged + counts.unknown).toBe(report.summary.findings + report.summary.explained!);
    expect(counts.fixed).toBe(1);
  });

  it('does not call findings new when the baseline could not evaluate their check: NP checks were unknown', async () => {
    const { report } = await againstBaseline();
    const np = report.checks.filter((c) => c.id.startsWith('NP-') && c.status === 'fail');
    expect(np.length).toBeGreaterThan(0);
    for (const check of np) {
      expect(audits.beforeReport.checks.find((c) => c.id === check.id)!.status).toBe('unknown');
      for (const f of check.findings) expect(f.baseline).toBe('unknown');
    }
    expect(report.baseline!.notCompared.map((n) => [n.checkId, n.baselineStatus, n.status])).toEqual(np.map((c) => [c.id, 'unknown', 'fail']));
    expect(report.baseline!.counts.unknown).toBe(np.reduce((n, c) => n + c.findings.length, 0));
  });

  it('shows the baseline in the table and marks new findings there', async () => {
    const run = await runCli(['audit', '--snapshot', audits.afterSnapshot, '--baseline', audits.before]);
    expect(run.code).toBe(0);
    expect(unwrapped(run.stdout)).toContain(`Since baseline ${audits.before} (score ${audits.beforeReport.score}, ${audits.beforeReport.generatedAt}): 1 new,`);
    expect(unwrapped(run.stdout)).toContain('- [new] Namespace billing has no Pod Security Admission enforce label');
    expect(run.stdout).not.toContain('[new] Namespace default');
  });

  it('gives SARIF results their baselineState', async () => {
    const sarifFile = path.join(audits.dir, 'after.sarif');
    const run = await runCli(['audit', '--snapshot', audits.afterSnapshot, '--baseline', audits.before, '--format', 'sarif', '-o', sarifFile]);
    expect(run.code).toBe(0);
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8')) as {
      runs: { results: { ruleId: string; baselineState?: string; message: { text: string } }[] }[];
    };
    const results = sarif.runs[0]!.results;
    expect(results.filter((r) => r.baselineState === 'new').map((r) => r.ruleId)).toEqual(['MT-04']);
    expect(results.filter((r) => r.ruleId.startsWith('NP-')).every((r) => r.baselineState === undefined)).toBe(true);
    expect(results.some((r) => r.baselineState === 'unchanged')).toBe(true);
  });

  describe('--fail-on new', () => {
    it('exits 1 with a reason naming the checks when a finding is new', async () => {
      const { code, report } = await againstBaseline('--fail-on', 'new');
      expect(code).toBe(1);
      // --fail-on judges findings, so the default minimum coverage applies too (and holds here).
      expect(report.gate).toMatchObject({
        failOn: ['new'],
        minCoverage: 80,
        minCoverageDefault: true,
        passed: false,
        reasons: [`1 finding is new since the baseline ${audits.before}: MT-04 (1), --fail-on new`],
      });
    });

    it('exits 0 when nothing is new, however many findings are unchanged', async () => {
      const run = await runCli([
        'audit',
        '--snapshot',
        'fixtures/clusters/no-netpol/snapshot',
        '--baseline',
        audits.before,
        '--fail-on',
        'new',
        // This snapshot has no NetworkPolicies: coverage is below the default minimum a findings gate applies.
        '--min-coverage',
        '0',
        '--format',
        'json',
      ]);
      expect(run.code).toBe(0);
      const report = valid(JSON.parse(run.stdout));
      expect(report.baseline!.counts).toEqual({ new: 0, unchanged: report.summary.findings, fixed: 0, unknown: 0 });
      expect(report.summary.findings).toBeGreaterThan(0);
      expect(report.gate).toMatchObject({ failOn: ['new'], minCoverage: 0, passed: true, reasons: [] });
      expect(report.gate!.verdict).toBe(`gate passed: no new finding since the baseline; coverage ${report.coverage}%`);
    });

    it('composes with --fail-under: every reason is reported', async () => {
      const { code, report } = await againstBaseline('--fail-on', 'new', '--fail-under', '99');
      expect(code).toBe(1);
      expect(report.gate!.reasons).toHaveLength(2);
      expect(report.gate!.reasons[0]).toMatch(/^score [\d.]+ < 99$/);
    });

    it('on another cluster entirely: the hardened fixture against the demo, the Capsule binding is new and the demo findings are fixed', async () => {
      const demo = path.join(audits.dir, 'demo.json');
      expect((await runCli(['audit', '--snapshot', 'fixtures/clusters/demo/snapshot', '--format', 'json', '-o', demo])).code).toBe(0);
      const demoReport = JSON.parse(readFileSync(demo, 'utf8')) as Report;
      const run = await runCli(['audit', '--snapshot', 'fixtures/clusters/hardened/snapshot', '--baseline', demo, '--fail-on', 'new', '--format', 'json']);
      expect(run.code).toBe(1);
      const report = valid(JSON.parse(run.stdout));
      const fresh = findings(report).filter((f) => f.baseline === 'new');
      expect(fresh.length).toBeGreaterThan(0);
      expect(new Set(fresh.map((f) => f.checkId))).toEqual(new Set(['MT-05']));
      expect(fresh.map((f) => f.resource.name)).toContain('capsule-manager-rolebinding');
      // Every check ran on both sides, so every demo finding is either still there or fixed.
      expect(report.baseline!.notCompared).toEqual([]);
      expect(report.baseline!.counts.fixed + report.baseline!.counts.unchanged).toBe(demoReport.summary.findings + demoReport.summary.explained!);
      expect(report.gate!.reasons).toEqual([
        expect.stringMatching(/^\d+ findings? (is|are) new since the baseline .*demo\.json: MT-05 \(\d+\), --fail-on new$/),
      ]);
    });
  });

  it('a new finding a waiver accepted stays marked new but does not fail --fail-on new', async () => {
    const demo = path.join(audits.dir, 'demo-for-waiver.json');
    expect((await runCli(['audit', '--snapshot', 'fixtures/clusters/demo/snapshot', '--format', 'json', '-o', demo])).code).toBe(0);
    const config = path.join(audits.dir, 'waive-capsule.yaml');
    // Dated 2027-06-30: the audit runs with the clock fixed before it.
    writeFileSync(config, CAPSULE_WAIVER);
    const args = ['audit', '--snapshot', 'fixtures/clusters/hardened/snapshot', '--baseline', demo, '--fail-on', 'new', '--format', 'json'];
    const run = await runCli([...args, '--config', config], { now: () => new Date('2027-01-15T08:00:00Z') });
    expect(run.code).toBe(0);
    const report = valid(JSON.parse(run.stdout));
    const capsule = findings(report).filter((f) => f.resource.name === 'capsule-manager-rolebinding');
    expect(capsule.length).toBeGreaterThan(0);
    for (const f of capsule) {
      expect(f.baseline).toBe('new');
      expect(f.waived?.reason).toBe("Capsule's controller needs cluster-admin to manage tenants");
    }
    expect(report.gate).toMatchObject({ failOn: ['new'], passed: true, reasons: [] });
  });

  describe('--max-score-drop', () => {
    it('fails when the score fell more than N points below the baseline, and passes at exactly N', async () => {
      // The later audit scores lower: its NetworkPolicy checks now run, and fail.
      const drop = Math.round((audits.beforeReport.score! - audits.afterReport.score!) * 10) / 10;
      expect(drop).toBeGreaterThan(1);
      const at = await againstBaseline('--max-score-drop', String(drop));
      const below = await againstBaseline('--max-score-drop', (drop - 0.1).toFixed(1));
      expect(at.code).toBe(0);
      expect(at.report.gate).toMatchObject({ maxScoreDrop: drop, passed: true, reasons: [] });
      expect(below.code).toBe(1);
      expect(below.report.gate!.reasons).toEqual([
        `score ${audits.afterReport.score} is ${drop} points below the baseline's ${audits.beforeReport.score}, more than --max-score-drop ${(drop - 0.1).toFixed(1)}`,
      ]);
    });
  });

  describe('bad input is exit 2, one line, nothing written', () => {
    const cases: [string, (dir: string) => string[], RegExp][] = [
      ['a baseline that does not exist', (dir) => ['--baseline', path.join(dir, 'missing.json')], /--baseline .*missing\.json: cannot read: ENOENT/],
      [
        'a baseline that is not a report',
        (dir) => {
          const file = path.join(dir, 'package.json');
          writeFileSync(file, '{"name": "kposture", "version": "0.1.0"}');
          return ['--baseline', file];
        },
        /--baseline .*package\.json: not a kposture JSON report/,
      ],
      [
        'a baseline of an unknown major version',
        (dir) => {
          const file = path.join(dir, 'v2.json');
          writeFileSync(file, readFileSync(path.join(dir, 'before.json'), 'utf8').replace('"schemaVersion": "1.3"', '"schemaVersion": "2.0"'));
          return ['--baseline', file];
        },
        /v2\.json: report schemaVersion 2\.0 is not supported \(this kposture reads 1\.x\)/,
      ],
      ['--fail-on new without --baseline', () => ['--fail-on', 'new'], /--fail-on new needs --baseline FILE/],
      ['--max-score-drop without --baseline', () => ['--max-score-drop', '2'], /--max-score-drop needs --baseline FILE/],
      [
        '--fail-on with a value it does not know',
        (dir) => ['--baseline', path.join(dir, 'before.json'), '--fail-on', 'newer'],
        /--fail-on newer: unknown value \(use one of critical, high, medium, low, info, new\)/,
      ],
    ];
    it.each(cases)('%s', async (_name, flags, message) => {
      const out = path.join(audits.dir, 'never.json');
      const run = await runCli(['audit', '--snapshot', audits.afterSnapshot, '-o', out, ...flags(audits.dir)]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  });
});
