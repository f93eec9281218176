import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../src/report/model.js';
import { jsonOf, PARTIAL, PINNED, removeDir, runCli, STRONG, tempDir, UNKNOWN, WEAK } from './run.js';
import { unwrapped } from '../support/table.js';

const DEMO = 'fixtures/clusters/demo/snapshot';
/** One file of the demo fixture: only its nodes, so only the host-OS checks can be evaluated. */
const NODES_ONLY = 'fixtures/clusters/demo/snapshot/nodes.yaml';

/** Score and coverage as the JSON report prints them: the gate must use exactly these numbers. */
async function numbers(snapshot: string): Promise<{ score: number | null; coverage: number }> {
  const report = jsonOf(await runCli(['audit', '--snapshot', snapshot, ...PINNED, '--format', 'json']));
  return { score: report.score, coverage: report.coverage };
}

describe('CI gate', () => {
  describe('--fail-under', () => {
    it('exits 1 on a weak cluster and 0 on a strong one at 90', async () => {
      const weak = await runCli(['audit', '--snapshot', WEAK, ...PINNED, '--fail-under', '90']);
      const strong = await runCli(['audit', '--snapshot', STRONG, ...PINNED, '--fail-under', '90']);
      expect(weak.code).toBe(1);
      expect(weak.stdout).toMatch(/Gate failed: score [\d.]+ < 90/);
      expect(strong.code).toBe(0);
      expect(strong.stdout).toContain('Gate passed');
    });

    it('compares with the printed score: equal passes, a tenth above fails', async () => {
      const { score } = await numbers(WEAK);
      expect(score).not.toBeNull();
      expect(score!).toBeGreaterThan(0);
      const at = await runCli(['audit', '--snapshot', WEAK, ...PINNED, '--fail-under', String(score)]);
      const below = await runCli(['audit', '--snapshot', WEAK, ...PINNED, '--fail-under', String(Math.floor(score!))]);
      const above = await runCli(['audit', '--snapshot', WEAK, ...PINNED, '--fail-under', (score! + 0.1).toFixed(1)]);
      expect([at.code, below.code, above.code]).toEqual([0, 0, 1]);
      expect(at.stdout).toContain(`Score ${score}/100`);
    });

    it('fails when no score could be computed at all', async () => {
      const run = await runCli(['audit', '--snapshot', UNKNOWN, ...PINNED, '--fail-under', '10', '--format', 'json']);
      expect(run.code).toBe(1);
      const report = jsonOf(run);
      expect(report.score).toBeNull();
      expect(report.gate!.reasons).toEqual([
        'no score could be computed (coverage 0%), --fail-under 10',
        'coverage 0% is below the default minimum of 80% (--min-coverage)',
      ]);
    });

    it('does not gate without the flag, whatever the score', async () => {
      const run = await runCli(['audit', '--snapshot', WEAK, ...PINNED, '--format', 'json']);
      expect(run.code).toBe(0);
      expect(jsonOf(run).gate).toBeUndefined();
    });
  });

  describe('--min-coverage', () => {
    it('exits 1 when coverage is below it and 0 at or above it', async () => {
      const { coverage } = await numbers(PARTIAL);
      expect(coverage).toBeGreaterThan(0);
      expect(coverage).toBeLessThan(100);
      const above = await runCli(['audit', '--snapshot', PARTIAL, ...PINNED, '--min-coverage', String(coverage + 10)]);
      const at = await runCli(['audit', '--snapshot', PARTIAL, ...PINNED, '--min-coverage', String(coverage)]);
      expect(above.code).toBe(1);
      expect(above.stdout).toContain(`coverage ${coverage}% is below --min-coverage ${coverage + 10}`);
      expect(at.code).toBe(0);
    });

    it('combines with --fail-under: both reasons are reported', async () => {
      const run = await runCli(['audit', '--snapshot', PARTIAL, ...PINNED, '--fail-under', '99', '--min-coverage', '99', '--format', 'json']);
      expect(run.code).toBe(1);
      expect(jsonOf(run).gate!.reasons).toHaveLength(2);
    });
  });

  describe('the verdict on stderr', () => {
    it('is one line whatever the format and wherever the report goes', async () => {
      const dir = tempDir('verdict');
      try {
        const runs = [
          await runCli(['audit', '--snapshot', WEAK, ...PINNED, '--fail-under', '90']),
          await runCli(['audit', '--snapshot', WEAK, ...PINNED, '--fail-under', '90', '--format', 'json']),
          await runCli(['audit', '--snapshot', WEAK, ...PINNED, '--fail-under', '90', '--format', 'sarif', '-o', path.join(dir, 'k.sarif')]),
        ];
        const report = jsonOf(runs[1]!) as unknown as Report;
        const line = `gate failed: score ${report.score} < 90; coverage ${report.coverage}%`;
        expect(runs.map((r) => [r.code, r.stderr.replace(/^wrote .*\n/m, '')])).toEqual([
          [1, `${line}\n`],
          [1, `${line}\n`],
          [1, `${line}\n`],
        ]);
        expect(report.gate).toMatchObject({ passed: false, verdict: line });
        const passed = await runCli(['audit', '--snapshot', STRONG, ...PINNED, '--fail-under', '50', '--format', 'json']);
        expect(passed.code).toBe(0);
        expect(passed.stderr).toMatch(/^gate passed: score [\d.]+ ≥ 50; coverage 100%\n$/);
      } finally {
        removeDir(dir);
      }
    });

    it('is absent when no gate was asked for', async () => {
      expect((await runCli(['audit', '--snapshot', WEAK, ...PINNED, '--format', 'json'])).stderr).toBe('');
    });
  });

  describe('default minimum coverage', () => {
    it('fails a score gate on a snapshot with only nodes, saying the minimum is the default; --min-coverage 0 lifts it', async () => {
      const run = await runCli(['audit', '--snapshot', NODES_ONLY, '--fail-under', '10', '--format', 'json']);
      const report = jsonOf(run) as unknown as Report;
      expect(report.coverage).toBeLessThan(20);
      expect(report.score).not.toBeNull();
      expect(run.code).toBe(1);
      expect(report.gate).toMatchObject({ failUnder: 10, minCoverage: 80, minCoverageDefault: true, passed: false });
      expect(report.gate!.reasons).toEqual([`coverage ${report.coverage}% is below the default minimum of 80% (--min-coverage)`]);
      expect(run.stderr).toBe(`gate failed: score ${report.score} ≥ 10; coverage ${report.coverage}% is below the default minimum of 80% (--min-coverage)\n`);
      const lifted = await runCli(['audit', '--snapshot', NODES_ONLY, '--fail-under', '10', '--min-coverage', '0', '--format', 'json']);
      expect(lifted.code).toBe(0);
      expect((jsonOf(lifted) as unknown as Report).gate).toMatchObject({ minCoverage: 0, passed: true });
      expect((jsonOf(lifted) as unknown as Report).gate!.minCoverageDefault).toBeUndefined();
    });
  });

  describe('--fail-on', () => {
    it('fails on a finding at or above the severity and passes when none is', async () => {
      const high = await runCli(['audit', '--snapshot', DEMO, '--fail-on', 'high', '--format', 'json']);
      const report = jsonOf(high) as unknown as Report;
      expect(high.code).toBe(1);
      const failing = report.checks.filter((c) => c.findings.length > 0 && ['critical', 'high'].includes(c.severity)).map((c) => c.id);
      expect(failing).toContain('MT-05');
      expect(report.gate!.failOn).toEqual(['high']);
      // The checks are named, five at most.
      const named = failing.length > 5 ? `${failing.slice(0, 5).join(', ')} and ${failing.length - 5} more` : failing.join(', ');
      expect(high.stderr).toMatch(new RegExp(`^gate failed: \\d+ findings at or above high \\(${named}\\); coverage 100%\n$`));
      // The demo's only critical check (NP-01, the CNI) passes.
      const critical = await runCli(['audit', '--snapshot', DEMO, '--fail-on', 'critical']);
      expect([critical.code, critical.stderr]).toEqual([0, 'gate passed: no finding at or above critical; coverage 100%\n']);
    });

    it('combines with --fail-under and is repeatable', async () => {
      const run = await runCli(['audit', '--snapshot', DEMO, '--fail-under', '10', '--fail-on', 'critical', '--fail-on', 'medium', '--format', 'json']);
      const gate = (jsonOf(run) as unknown as Report).gate!;
      expect(run.code).toBe(1);
      expect(gate.failOn).toEqual(['critical', 'medium']);
      expect(gate.reasons).toHaveLength(1);
      expect(gate.reasons[0]).toMatch(/findings at or above medium/);
    });

    it('refuses an unknown value with exit 2 before reading anything', async () => {
      const run = await runCli(['audit', '--snapshot', 'no/such/snapshot', '--fail-on', 'urgent']);
      expect([run.code, run.stderr, run.stdout]).toEqual([
        2,
        'kposture: --fail-on urgent: unknown value (use one of critical, high, medium, low, info, new)\n',
        '',
      ]);
    });
  });

  describe('check selection', () => {
    it('matches check ids whatever their case, and lists what it did not run in every report', async () => {
      const dir = tempDir('skipped');
      try {
        const sarifFile = path.join(dir, 'k.sarif');
        const run = await runCli([
          'audit',
          '--snapshot',
          WEAK,
          '--check',
          'mt-04',
          '--check',
          'Pe-01',
          '--skip',
          'pe-01',
          '--format',
          'json',
          '--report',
          `sarif=${sarifFile}`,
        ]);
        expect(run.code).toBe(0);
        const report = jsonOf(run) as unknown as Report;
        expect(report.checks.map((c) => c.id)).toEqual(['MT-04']);
        expect(report.skipped.find((s) => s.id === 'PE-01')).toMatchObject({ reason: 'skipped with --skip' });
        expect(report.skipped.find((s) => s.id === 'NP-02')).toMatchObject({ reason: 'not selected by --check' });
        const sarif = JSON.parse(readFileSync(sarifFile, 'utf8')) as {
          runs: { invocations: { toolConfigurationNotifications: { message: { text: string } }[] }[] }[];
        };
        const notes = sarif.runs[0]!.invocations[0]!.toolConfigurationNotifications.map((n) => n.message.text);
        expect(notes).toContain(
          `PE-01 (${report.skipped.find((s) => s.id === 'PE-01')!.title}) was not run: skipped with --skip; the score was computed without it.`,
        );
        expect(notes).toHaveLength(report.skipped.length);
        const table = await runCli(['audit', '--snapshot', WEAK, '--check', 'MT-04', '--check', 'PE-01', '--skip', 'PE-01']);
        expect(unwrapped(table.stdout)).toMatch(/^Not run, so not in the score: 25 checks \(not selected by --check\); PE-01 \(skipped with --skip\)\.$/m);
      } finally {
        removeDir(dir);
      }
    });

    it('refuses --check X --skip X (nothing left to run) and a misspelled id, with exit 2 and one line', async () => {
      const nothing = await runCli(['audit', '--snapshot', WEAK, '--check', 'NP-02', '--skip', 'NP-02']);
      expect([nothing.code, nothing.stdout, nothing.stderr.split('\n').length]).toEqual([2, '', 2]);
      expect(nothing.stderr).toMatch(/^kposture: no check left to run: every check selected by --check is also left out by --skip/);
      const typo = await runCli(['audit', '--snapshot', WEAK, '--check', 'np02']);
      expect([typo.code, typo.stderr]).toEqual([2, 'kposture: --check np02: unknown check id (did you mean NP-02?)\n']);
    });
  });

  describe('check options', () => {
    it('refuses a misspelled option or a wrong type in the config file, naming the field', async () => {
      const dir = tempDir('options');
      try {
        const config = path.join(dir, 'kposture.yaml');
        writeFileSync(config, 'checks:\n  options:\n    img-04:\n      registrys: [registry.corp.io]\n');
        const typo = await runCli(['audit', '--snapshot', WEAK, '--config', config]);
        expect([typo.code, typo.stdout, typo.stderr]).toEqual([
          2,
          '',
          `kposture: config ${config}: field checks.options.img-04.registrys: unknown option (IMG-04 takes: registries)\n`,
        ]);
        writeFileSync(config, 'checks:\n  options:\n    IMG-04:\n      registries: registry.corp.io\n');
        const type = await runCli(['audit', '--snapshot', WEAK, '--config', config]);
        expect([type.code, type.stderr]).toEqual([
          2,
          `kposture: config ${config}: field checks.options.IMG-04.registries: must be array (see docs/checks/IMG-04.md)\n`,
        ]);
        writeFileSync(config, 'checks:\n  disable: [np-06]\n  options:\n    img-04:\n      registries: [registry.corp.io]\n');
        const ok = await runCli(['audit', '--snapshot', DEMO, '--config', config, '--format', 'json']);
        expect(ok.code).toBe(0);
        const report = jsonOf(ok) as unknown as Report;
        // The option reached the check: without it IMG-04 is not applicable on the demo.
        expect(report.checks.find((c) => c.id === 'IMG-04')!.status).toBe('fail');
        expect(report.skipped.map((k) => [k.id, k.reason])).toEqual([['NP-06', 'disabled in config checks.disable']]);
      } finally {
        removeDir(dir);
      }
    });
  });

  describe('exit codes are the same for every format', () => {
    const cases: [string, string, string[]][] = [
      ['weak, --fail-under 90', WEAK, ['--fail-under', '90']],
      ['strong, --fail-under 90', STRONG, ['--fail-under', '90']],
      ['partial, --min-coverage 90', PARTIAL, ['--min-coverage', '90']],
      ['partial, --min-coverage 10', PARTIAL, ['--min-coverage', '10']],
      ['nothing evaluable, --fail-under 1', UNKNOWN, ['--fail-under', '1']],
      ['missing snapshot', 'test/data/report-does-not-exist', ['--fail-under', '1']],
    ];
    it.each(cases)('%s', async (_name, snapshot, gate) => {
      const dir = tempDir('formats');
      try {
        const codes: Record<string, number> = {};
        for (const format of ['table', 'json', 'sarif']) {
          codes[format] = (await runCli(['audit', '--snapshot', snapshot, ...PINNED, '--format', format, ...gate])).code;
          codes[`${format} -o`] = (
            await runCli(['audit', '--snapshot', snapshot, ...PINNED, '--format', format, '-o', path.join(dir, `out.${format}`), ...gate])
          ).code;
        }
        const values = new Set(Object.values(codes));
        expect(values.size).toBe(1);
        // The SARIF file records the same outcome, computed from the same numbers.
        if (codes.sarif !== 2) {
          const sarif = JSON.parse(readFileSync(path.join(dir, 'out.sarif'), 'utf8')) as { runs: { invocations: { exitCode: number }[] }[] };
          expect(sarif.runs[0]!.invocations[0]!.exitCode).toBe(codes.sarif);
        }
      } finally {
        removeDir(dir);
      }
    });
  });
});
