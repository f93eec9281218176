import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import { filesIn, PINNED, removeDir, runCli, STRONG, tempDir, WEAK } from './run.js';

const validateReport = compileSchema('report.schema.json');

describe('report outputs', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('out');
  });
  afterEach(() => removeDir(dir));

  it('writes SARIF and JSON files and prints the table, all from one run', async () => {
    const sarifFile = path.join(dir, 'kposture.sarif');
    const jsonFile = path.join(dir, 'reports', 'kposture.json');
    const run = await runCli(['audit', '--snapshot', WEAK, '--fail-under', '90', '--report', `sarif=${sarifFile}`, '--report', `json=${jsonFile}`]);
    expect(run.code).toBe(1);
    // The table on stdout, nothing else there.
    expect(run.stdout).toContain('Failing checks');
    expect(run.stdout).toMatch(/Score [\d.]+\/100/);
    expect(run.stdout).not.toContain('"schemaVersion"');

    const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
      generatedAt: string;
      score: number;
      summary: { findings: number };
      gate: { passed: boolean; verdict: string };
    };
    // On stderr, the files written, then the gate's verdict.
    expect(run.stderr).toBe(`wrote ${sarifFile}\nwrote ${jsonFile}\n${report.gate.verdict}\n`);
    expect(validateReport(report) || formatAjvError(validateReport.errors)).toBe(true);
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8')) as { runs: { results: unknown[]; invocations: { endTimeUtc: string; exitCode: number }[] }[] };
    // Same run: same timestamp, same findings, same outcome as the table and the exit code.
    expect(sarif.runs[0]!.invocations[0]!.endTimeUtc).toBe(report.generatedAt);
    expect(sarif.runs[0]!.results).toHaveLength(report.summary.findings);
    expect(sarif.runs[0]!.invocations[0]!.exitCode).toBe(1);
    expect(report.gate.passed).toBe(false);
    expect(run.stdout).toContain(`Score ${report.score}/100`);
  });

  it('writes the --format report to -o FILE instead of stdout, whole, replacing a longer old file', async () => {
    const file = path.join(dir, 'report.json');
    writeFileSync(file, `${'x'.repeat(1_000_000)}\n`);
    const run = await runCli(['audit', '--snapshot', STRONG, ...PINNED, '--format', 'json', '-o', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`wrote ${file}\n`);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(statSync(file).size).toBe(Buffer.byteLength(text));
    expect(validateReport(JSON.parse(text))).toBe(true);
    expect(filesIn(dir)).toEqual(['report.json']);
  });

  it('writes the same bytes to -o as to stdout, apart from the timestamp', async () => {
    const file = path.join(dir, 'report.sarif');
    const toFile = await runCli(['audit', '--snapshot', WEAK, '--format', 'sarif', '-o', file]);
    const toStdout = await runCli(['audit', '--snapshot', WEAK, '--format', 'sarif']);
    expect(toFile.code).toBe(0);
    const strip = (s: string): string => s.replace(/"endTimeUtc": "[^"]+"/, '"endTimeUtc": "-"');
    expect(strip(readFileSync(file, 'utf8'))).toBe(strip(toStdout.stdout));
  });

  it('leaves an existing output file untouched and no temp files behind when the audit fails', async () => {
    const out = path.join(dir, 'report.json');
    const sarif = path.join(dir, 'report.sarif');
    writeFileSync(out, 'previous report\n');
    const run = await runCli(['audit', '--snapshot', 'test/data/report-does-not-exist', '--format', 'json', '-o', out, '--report', `sarif=${sarif}`]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('snapshot test/data/report-does-not-exist: no such file or directory');
    expect(readFileSync(out, 'utf8')).toBe('previous report\n');
    expect(filesIn(dir)).toEqual(['report.json']);
  });

  it('leaves an existing output file untouched when a snapshot is malformed', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [unclosed\n');
    const out = path.join(dir, 'report.json');
    writeFileSync(out, 'previous report\n');
    const run = await runCli(['audit', '--snapshot', bad, '--format', 'json', '-o', out]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/bad\.yaml.*invalid YAML/);
    expect(readFileSync(out, 'utf8')).toBe('previous report\n');
    expect(filesIn(dir).sort()).toEqual(['bad.yaml', 'report.json']);
  });

  it('fails with one line and leaves no temp file when an output cannot be written', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    writeFileSync(blocker, 'a file where a folder should be\n');
    const run = await runCli(['audit', '--snapshot', STRONG, '--report', `json=${path.join(blocker, 'report.json')}`]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`cannot write ${path.join(blocker, 'report.json')}`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(filesIn(dir)).toEqual(['not-a-folder']);
  });

  it('writes the set of report files all or none: a later file that cannot be written leaves the earlier ones untouched', async () => {
    const good = path.join(dir, 'kposture.sarif');
    writeFileSync(good, 'previous run\n');
    const blocker = path.join(dir, 'not-a-folder');
    writeFileSync(blocker, 'a file where a folder should be\n');
    const run = await runCli(['audit', '--snapshot', STRONG, '--report', `sarif=${good}`, '--report', `json=${path.join(blocker, 'r.json')}`]);
    expect(run.code).toBe(2);
    expect(readFileSync(good, 'utf8')).toBe('previous run\n');
    expect(filesIn(dir).sort()).toEqual(['kposture.sarif', 'not-a-folder']);
  });

  it('writes to a device in place (-o /dev/null) instead of renaming a file over it', async () => {
    const run = await runCli(['audit', '--snapshot', STRONG, '--format', 'json', '-o', '/dev/null']);
    expect(run.code).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('creates missing folders for report files', async () => {
    const nested = path.join(dir, 'a', 'b', 'kposture.sarif');
    mkdirSync(path.join(dir, 'a'));
    const run = await runCli(['audit', '--snapshot', STRONG, '--report', `sarif=${nested}`]);
    expect(run.code).toBe(0);
    expect((JSON.parse(readFileSync(nested, 'utf8')) as { version: string }).version).toBe('2.1.0');
    expect(filesIn(path.join(dir, 'a', 'b'))).toEqual(['kposture.sarif']);
  });
});
