import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReportDiff } from '../../src/report/diff.js';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import { twoAudits, type TwoAudits } from './baseline-fixture.js';
import { removeDir, runCli } from './run.js';

compileSchema('report.schema.json'); // diff.schema.json refers to its findings
const validate = compileSchema('diff.schema.json');
function valid(text: string): ReportDiff {
  const diff = JSON.parse(text) as unknown;
  if (!validate(diff)) throw new Error(`diff does not match schemas/diff.schema.json: ${formatAjvError(validate.errors)}`);
  return diff as ReportDiff;
}

describe('kposture diff', () => {
  let audits: TwoAudits;
  beforeAll(async () => {
    audits = await twoAudits('diff');
  });
  afterAll(() => removeDir(audits.dir));

  it('--format json: score, coverage, status changes and findings, valid against schemas/diff.schema.json', async () => {
    const run = await runCli(['diff', audits.before, audits.after, '--format', 'json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const diff = valid(run.stdout);
    expect(diff.old).toMatchObject({ file: audits.before, score: audits.beforeReport.score, coverage: audits.beforeReport.coverage });
    expect(diff.new).toMatchObject({ file: audits.after, score: audits.afterReport.score, coverage: audits.afterReport.coverage });
    expect(diff.change.coverage).toBeGreaterThan(0);
    const network = diff.categories.find((c) => c.id === 'network')!;
    expect(network.new.coverage).toBe(100);
    expect(network.old.coverage!).toBeLessThan(100);
    expect(diff.checks.filter((c) => c.id.startsWith('NP-')).every((c) => c.old === 'unknown')).toBe(true);
    expect(diff.checks.map((c) => c.id)).toContain('NP-02');
    expect(diff.findings.new.map((f) => `${f.checkId} ${f.resource.name}`)).toEqual(['MT-04 billing']);
    expect(diff.findings.fixed.map((f) => `${f.checkId} ${f.resource.name}`)).toEqual(['MT-04 jobs']);
    expect(diff.findings.notCompared.every((n) => n.baselineStatus === 'unknown' && n.status === 'fail')).toBe(true);
    expect(diff.gate).toBeUndefined();
  });

  it('--format table: readable in 80 columns, what changed first', async () => {
    const run = await runCli(['diff', audits.before, audits.after]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toBe('kposture diff');
    expect(run.stdout).toMatch(/^Score {5}\S+ \([A-F]\) → \S+ \([A-F]\) {2}[−+]/m);
    expect(run.stdout).toContain('NP-02   unknown → fail');
    expect(run.stdout).toContain('New findings (1)');
    expect(run.stdout).toContain('  + MT-04 [high] Namespace billing has no Pod Security Admission enforce label');
    expect(run.stdout).toContain('  - MT-04 [high] Namespace jobs has no Pod Security Admission enforce label');
    expect(run.stdout.replace(/\n +/g, ' ')).toMatch(/NP-02: unknown in the old report, fail in the new one: its \d+ findings? not called new/);
  });

  it('--format markdown: a pull-request comment with the new findings in view', async () => {
    const run = await runCli(['diff', audits.before, audits.after, '-f', 'markdown']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^### kposture: score [\d.]+ → [\d.]+ \([−+][\d.]+\), 1 new, 1 fixed\n/);
    expect(run.stdout).toContain('#### New findings (1)');
    expect(run.stdout).toContain(
      '| MT-04 | high | Namespace billing | Namespace billing has no Pod Security Admission enforce label | `kubectl get namespace billing --show-labels` |',
    );
    expect(run.stdout).toContain('<details><summary>Checks that changed status');
  });

  it('--fail-on new: exit 1 with the reason on stderr and in the JSON, exit 0 when nothing is new', async () => {
    const failed = await runCli(['diff', audits.before, audits.after, '--fail-on', 'new', '-f', 'json']);
    expect(failed.code).toBe(1);
    const reason = `1 finding is new since the baseline ${audits.before}: MT-04 (1), --fail-on new`;
    expect(failed.stderr).toBe(`gate failed: ${reason}\n`);
    expect(valid(failed.stdout).gate).toEqual({ failOn: ['new'], passed: false, reasons: [reason] });
    // An audit of the same snapshot a week later: nothing is new.
    const again = path.join(audits.dir, 'after-again.json');
    expect((await runCli(['audit', '--snapshot', audits.afterSnapshot, '--format', 'json', '-o', again])).code).toBe(0);
    const passed = await runCli(['diff', audits.after, again, '--fail-on', 'new']);
    expect(passed.code).toBe(0);
    expect(passed.stderr).toBe('');
    expect(passed.stdout).toContain('0 new, ');
    expect(passed.stdout).toContain('Gate passed');
  });

  it('-o FILE: writes the diff there, not to stdout', async () => {
    const out = path.join(audits.dir, 'diff.md');
    const run = await runCli(['diff', audits.before, audits.after, '-f', 'markdown', '-o', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`wrote ${out}\n`);
    expect(readFileSync(out, 'utf8')).toBe((await runCli(['diff', audits.before, audits.after, '-f', 'markdown'])).stdout);
  });

  describe('bad input is exit 2, one line, nothing written', () => {
    const cases: [string, (dir: string) => string[], RegExp][] = [
      ['a file that does not exist', (dir) => [path.join(dir, 'missing.json'), path.join(dir, 'after.json')], /missing\.json: cannot read: ENOENT/],
      [
        'a file that is not a kposture report',
        (dir) => {
          const file = path.join(dir, 'results.sarif');
          writeFileSync(file, JSON.stringify({ version: '2.1.0', runs: [] }));
          return [path.join(dir, 'before.json'), file];
        },
        /results\.sarif: not a kposture JSON report/,
      ],
      [
        'a report of an unknown major version',
        (dir) => {
          const file = path.join(dir, 'v3.json');
          writeFileSync(file, readFileSync(path.join(dir, 'after.json'), 'utf8').replace('"schemaVersion": "1.3"', '"schemaVersion": "3.1"'));
          return [path.join(dir, 'before.json'), file];
        },
        /v3\.json: report schemaVersion 3\.1 is not supported/,
      ],
      [
        'a --fail-on value it does not know',
        (dir) => [path.join(dir, 'before.json'), path.join(dir, 'after.json'), '--fail-on', 'high'],
        /--fail-on high: expected one of new/,
      ],
    ];
    it.each(cases)('%s', async (_name, args, message) => {
      const out = path.join(audits.dir, 'never.md');
      const run = await runCli(['diff', ...args(audits.dir), '-o', out]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  });
});
