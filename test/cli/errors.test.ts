import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { jsonOf, removeDir, runCli, tempDir, WEAK } from './run.js';

/** One line on stderr, naming what is wrong; never a stack trace unless --debug. */
function expectOneLine(stderr: string, mentions: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^kposture/);
  expect(lines[0]).toMatch(mentions);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toMatch(/Error:/);
}

describe('usage and input errors', () => {
  it.each<[string, string[], RegExp]>([
    ['--fail-under abc', ['--fail-under', 'abc'], /--fail-under .*'abc'.*0 to 100/],
    ['--fail-under 101', ['--fail-under', '101'], /--fail-under .*0 to 100/],
    ['--min-coverage -5', ['--min-coverage', '-5'], /--min-coverage .*0 to 100/],
    ['--format xml', ['--format', 'xml'], /'xml' is invalid.*html, json, junit, markdown, sarif, table/],
    ['--report foo', ['--report', 'foo'], /--report foo: expected FORMAT=FILE .*html, json, junit, markdown, sarif, table/],
    ['--report xml=out.xml', ['--report', 'xml=out.xml'], /--report xml=out\.xml/],
    ['--report sarif=', ['--report', 'sarif='], /--report sarif=: expected FORMAT=FILE/],
    ['an unknown option', ['--frobnicate'], /unknown option '--frobnicate'/],
    ['an unknown check id', ['--check', 'XX-99'], /--check XX-99: unknown check id/],
    ['an unknown check id to skip', ['--skip', 'XX-98'], /--skip XX-98: unknown check id/],
  ])('exits 2 with one line for %s', async (_name, flags, mentions) => {
    const run = await runCli(['audit', '--snapshot', WEAK, ...flags]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expectOneLine(run.stderr, mentions);
  });

  it.each([
    ['checks:\n  disable: [NP-02, XX-99]\n', /config .*kposture\.yaml: field checks\.disable\.1: unknown check id XX-99/],
    ['checks:\n  options:\n    IMG-99: { registries: [a.io] }\n', /config .*kposture\.yaml: field checks\.options\.IMG-99: unknown check id IMG-99/],
  ])('names the config file and field of an unknown check id (%j)', async (yaml, mentions) => {
    const dir = tempDir('config-ids');
    try {
      const file = path.join(dir, 'kposture.yaml');
      writeFileSync(file, yaml);
      const run = await runCli(['audit', '--snapshot', WEAK, '--config', file]);
      expect(run.code).toBe(2);
      expectOneLine(run.stderr, mentions);
    } finally {
      removeDir(dir);
    }
  });

  it('exits 2 with one line for an unknown command', async () => {
    const run = await runCli(['frobnicate']);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, /unknown command 'frobnicate'/);
  });

  it('names the snapshot file and the field of a malformed object', async () => {
    const dir = tempDir('errors');
    try {
      const file = path.join(dir, 'namespaces.json');
      writeFileSync(
        file,
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 5 } } }] }),
      );
      const run = await runCli(['audit', '--snapshot', file], { cwd: dir });
      expect(run.code).toBe(2);
      expectOneLine(run.stderr, /snapshot namespaces\.json: field items\[0\]\.metadata\.labels\.team must be a string/);
    } finally {
      removeDir(dir);
    }
  });

  it('prints how long each phase took, and the memory after it, with --debug', async () => {
    const run = await runCli(['audit', '--snapshot', WEAK, '--format', 'json', '--debug']);
    expect(run.code).toBe(0);
    const phases = run.stderr.split('\n').filter((l) => / in \d+\.\d\d s \(heap \d+ MiB, RSS \d+ MiB\)$/.test(l));
    // In-process, main() is a guest of the caller: it leaves the process's heap settings alone
    // (no "collected the garbage of reading" phase; the built CLI has one, test/e2e).
    expect(phases.map((l) => l.split(' in ')[0]!.replace(/\(slowest: .*\)/, '(slowest: …)'))).toEqual([
      'read the inventory',
      expect.stringMatching(/^ran \d+ checks \(slowest: …\)$/),
      'wrote the report',
    ]);
    expect(jsonOf(run).score).toEqual(expect.any(Number));
  });

  it('prints the stack trace only with --debug', async () => {
    const run = await runCli(['audit', '--snapshot', 'test/data/report-does-not-exist', '--debug']);
    expect(run.code).toBe(2);
    const [first, ...rest] = run.stderr.split('\n').filter(Boolean);
    expect(first).toMatch(/^kposture: snapshot test\/data\/report-does-not-exist: no such file or directory/);
    expect(rest.some((l) => /^\s+at /.test(l))).toBe(true);
  });
});
