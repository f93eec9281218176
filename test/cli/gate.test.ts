import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jsonOf, PARTIAL, PINNED, removeDir, runCli, STRONG, tempDir, UNKNOWN, WEAK } from './run.js';

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
      expect(weak.stdout).toMatch(/Gate failed: score [\d.]+ is below --fail-under 90/);
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
      expect(report.gate!.reasons).toEqual(['no score could be computed (coverage 0%), --fail-under 10']);
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
