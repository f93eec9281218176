import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { KpostureError } from '../../src/errors.js';
import { writeFilesAtomic } from '../../src/cli/io.js';
import { runMain } from '../support/fixture-cli.js';
import { REPO_ROOT } from '../support/fixture-server.js';
import { filesIn, removeDir, tempDir } from './run.js';

const DEMO = path.join(REPO_ROOT, 'fixtures', 'clusters', 'demo', 'snapshot');
const BIN = path.join(REPO_ROOT, 'bin', 'kposture.js');

/** A rename that fails with `code` when a file is put in place of `target`, and renames anything else. */
function renameFailingOn(target: string, code = 'EIO'): (from: string, to: string) => void {
  return (from, to) => {
    if (to === target) throw Object.assign(new Error(`${code}: simulated`), { code });
    renameSync(from, to);
  };
}

/** The given tokens in turn, as the random part of temp and backup names. */
function tokens(...list: string[]): () => string {
  let i = 0;
  return () => list[i++ % list.length]!;
}

function expectOneLine(stderr: string, says: string): void {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).toContain(says);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('output files: temp files', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('atomic');
  });
  afterEach(() => removeDir(dir));

  it('follows no symbolic link planted at the name the old temp scheme (.NAME.PID.MS.tmp) would take, or at other guesses', async () => {
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'not yours\n');
    const out = path.join(dir, 'out');
    mkdirSync(out);
    // The clock held still, so that the pid-and-clock name is known for certain.
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const guesses = [`.report.json.${process.pid}.1700000000000.tmp`, '.report.json.tmp', 'report.json.tmp', `.report.json.${process.pid}.tmp`, 'report.json~'];
    for (const name of guesses) symlinkSync(victim, path.join(out, name));
    try {
      const run = await runMain(['audit', '--snapshot', DEMO, '--format', 'json', '-o', path.join(out, 'report.json')]);
      expect(run.code).toBe(0);
    } finally {
      now.mockRestore();
    }
    expect(readFileSync(victim, 'utf8')).toBe('not yours\n');
    expect(JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'))).toHaveProperty('score');
    for (const name of guesses) expect(readlinkSync(path.join(out, name))).toBe(victim);
    expect(filesIn(out)).toEqual([...guesses, 'report.json'].sort());
  });

  it('creates temp files exclusively: a name already taken, by a link or a file, is skipped, not opened', () => {
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'not yours\n');
    const file = path.join(dir, 'r.json');
    symlinkSync(victim, path.join(dir, '.r.json.aaaa.tmp'));
    writeFileSync(path.join(dir, '.r.json.bbbb.tmp'), 'someone else\n');
    writeFilesAtomic([{ file, content: '{}\n' }], { token: tokens('aaaa', 'bbbb', 'cccc') });
    expect(readFileSync(file, 'utf8')).toBe('{}\n');
    expect(readFileSync(victim, 'utf8')).toBe('not yours\n');
    expect(lstatSync(path.join(dir, '.r.json.aaaa.tmp')).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(dir, '.r.json.bbbb.tmp'), 'utf8')).toBe('someone else\n');
    expect(filesIn(dir)).toEqual(['.r.json.aaaa.tmp', '.r.json.bbbb.tmp', 'r.json', 'victim']);
  });

  it('gives up with one "cannot write" error when every name it tries is taken', () => {
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'not yours\n');
    symlinkSync(victim, path.join(dir, '.r.json.aaaa.tmp'));
    const file = path.join(dir, 'r.json');
    expect(() => writeFilesAtomic([{ file, content: '{}\n' }], { token: tokens('aaaa') })).toThrow(`cannot write ${file}: EEXIST`);
    expect(readFileSync(victim, 'utf8')).toBe('not yours\n');
    expect(filesIn(dir)).toEqual(['.r.json.aaaa.tmp', 'victim']);
  });

  it('writes and replaces a file whose name is as long as a name can be (255 bytes)', () => {
    const file = path.join(dir, `${'\u00e9'.repeat(125)}.json`);
    expect(Buffer.byteLength(path.basename(file))).toBe(255);
    writeFilesAtomic([{ file, content: 'first\n' }]);
    writeFilesAtomic([{ file, content: 'second\n' }]);
    expect(readFileSync(file, 'utf8')).toBe('second\n');
    expect(filesIn(dir)).toEqual([path.basename(file)]);
  });

  it('gives a new file the mode any new file gets, and a replaced file keeps its own', () => {
    const usual = path.join(dir, 'usual');
    writeFileSync(usual, '');
    const fresh = path.join(dir, 'fresh.json');
    const secret = path.join(dir, 'secret.json');
    const shared = path.join(dir, 'shared.json');
    writeFileSync(secret, 'old\n');
    chmodSync(secret, 0o600);
    writeFileSync(shared, 'old\n');
    chmodSync(shared, 0o664);
    writeFilesAtomic([
      { file: fresh, content: 'new\n' },
      { file: secret, content: 'new\n' },
      { file: shared, content: 'new\n' },
    ]);
    expect(statSync(fresh).mode & 0o777).toBe(statSync(usual).mode & 0o777);
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    expect(statSync(shared).mode & 0o777).toBe(0o664);
    expect(readFileSync(secret, 'utf8')).toBe('new\n');
  });
});

describe('output files: all or none', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('atomic');
  });
  afterEach(() => removeDir(dir));

  it.each([
    ['-o good.json --report sarif=adir', (good: string, adir: string) => ['--format', 'json', '-o', good, '--report', `sarif=${adir}`]],
    ['--report json=good.json --report sarif=adir', (good: string, adir: string) => ['--report', `json=${good}`, '--report', `sarif=${adir}`]],
  ])('%s with adir a folder: exit 2 naming adir, good.json byte-identical', async (_name, args) => {
    const good = path.join(dir, 'good.json');
    const adir = path.join(dir, 'adir');
    writeFileSync(good, 'the previous report\n');
    mkdirSync(adir);
    const run = await runMain(['audit', '--snapshot', DEMO, ...args(good, adir)]);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, `cannot write ${adir}: it is a folder`);
    expect(readFileSync(good, 'utf8')).toBe('the previous report\n');
    expect(filesIn(dir)).toEqual(['adir', 'good.json']);
    expect(filesIn(adir)).toEqual([]);
  });

  it('refuses a folder given to writeFilesAtomic itself before renaming anything', () => {
    const good = path.join(dir, 'good.json');
    const adir = path.join(dir, 'adir');
    writeFileSync(good, 'the previous report\n');
    mkdirSync(adir);
    const write = (): void =>
      writeFilesAtomic([
        { file: good, content: 'new\n' },
        { file: adir, content: 'new\n' },
      ]);
    expect(write).toThrow(KpostureError);
    expect(write).toThrow(`cannot write ${adir}: it is a folder`);
    expect(readFileSync(good, 'utf8')).toBe('the previous report\n');
    expect(filesIn(dir)).toEqual(['adir', 'good.json']);
  });

  it("refuses a file named twice (the second rename would replace the first one's output)", async () => {
    const file = path.join(dir, 'r.json');
    const run = await runMain(['audit', '--snapshot', DEMO, '--format', 'json', '-o', file, '--report', `sarif=${dir}/./r.json`]);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, 'r.json: it is named twice');
    expect(filesIn(dir)).toEqual([]);
  });

  it('puts back the first file, byte-identical and with its mode, when the second rename fails', () => {
    const first = path.join(dir, 'first.json');
    const second = path.join(dir, 'second.sarif');
    const previous = Buffer.from('previous first \u00e9\n', 'utf8');
    writeFileSync(first, previous);
    chmodSync(first, 0o640);
    writeFileSync(second, 'previous second\n');
    const write = (): void =>
      writeFilesAtomic(
        [
          { file: first, content: 'new first\n' },
          { file: second, content: ['new ', 'second\n'] },
        ],
        { rename: renameFailingOn(second) },
      );
    expect(write).toThrow(`cannot write ${second}: EIO`);
    expect(readFileSync(first).equals(previous)).toBe(true);
    expect(statSync(first).mode & 0o777).toBe(0o640);
    expect(readFileSync(second, 'utf8')).toBe('previous second\n');
    expect(filesIn(dir)).toEqual(['first.json', 'second.sarif']);
  });

  it('removes the files and folders the run created when a later rename fails, leaving what was there before', () => {
    const created = path.join(dir, 'new', 'first.json');
    const kept = path.join(dir, 'kept.txt');
    const failing = path.join(dir, 'third.sarif');
    writeFileSync(kept, 'kept\n');
    const write = (): void =>
      writeFilesAtomic(
        [
          { file: created, content: 'new\n' },
          { file: kept, content: 'replaced\n' },
          { file: failing, content: 'new\n' },
        ],
        { rename: renameFailingOn(failing, 'EXDEV') },
      );
    expect(write).toThrow(`cannot write ${failing}: EXDEV`);
    expect(existsSync(created)).toBe(false);
    expect(readFileSync(kept, 'utf8')).toBe('kept\n');
    expect(filesIn(dir)).toEqual(['kept.txt']);
  });

  it('puts back the first file when a target becomes a folder between the checks and the renames (no injected fault)', () => {
    const first = path.join(dir, 'first.json');
    const second = path.join(dir, 'second.sarif');
    const third = path.join(dir, 'third.txt');
    writeFileSync(first, 'previous first\n');
    writeFileSync(third, 'previous third\n');
    function* thirdContent(): Generator<string> {
      // Rendered after the second temp file is written: another process puts a folder in its place.
      mkdirSync(second);
      writeFileSync(path.join(second, 'theirs'), 'theirs\n');
      yield 'new third\n';
    }
    const write = (): void =>
      writeFilesAtomic([
        { file: first, content: 'new first\n' },
        { file: second, content: 'new second\n' },
        { file: third, content: thirdContent() },
      ]);
    expect(write).toThrow(`cannot write ${second}: it is a folder`);
    expect(readFileSync(first, 'utf8')).toBe('previous first\n');
    expect(readFileSync(third, 'utf8')).toBe('previous third\n');
    expect(filesIn(dir)).toEqual(['first.json', 'second.sarif', 'third.txt']);
    expect(filesIn(second)).toEqual(['theirs']);
  });
});

describe('output files: folders', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('atomic');
  });
  afterEach(() => removeDir(dir));

  const onProc = existsSync('/proc/self') ? it : it.skip;

  onProc('exits 2 at once on -o /proc/nonexistent/x.json, with one line naming the path (the built CLI)', () => {
    // The timeout only stops a run that loops (as recursive mkdir did), so the test can fail.
    const run = spawnSync(process.execPath, [BIN, 'audit', '--snapshot', DEMO, '-o', '/proc/nonexistent/x.json'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 20_000,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(2);
    expectOneLine(run.stderr, 'cannot write /proc/nonexistent/x.json: cannot create folder /proc/nonexistent: ENOENT');
    expect(run.stdout).toBe('');
  });

  onProc('kposture snapshot -o /proc/nonexistent/x.json exits 2 before it reads the cluster', async () => {
    const run = await runMain(['snapshot', '-o', '/proc/nonexistent/x.json'], { env: { KUBECONFIG: path.join(dir, 'no-kubeconfig') } });
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, 'cannot write /proc/nonexistent/x.json');
  });

  it('creates missing folders level by level, and a file on the way is exit 2 naming it', async () => {
    const nested = path.join(dir, 'a', 'b', 'c', 'report.sarif');
    const ok = await runMain(['audit', '--snapshot', DEMO, '--report', `sarif=${nested}`]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(readFileSync(nested, 'utf8'))).toHaveProperty('version', '2.1.0');

    writeFileSync(path.join(dir, 'blocker'), 'a file\n');
    const blocked = path.join(dir, 'blocker', 'x', 'report.json');
    const run = await runMain(['audit', '--snapshot', DEMO, '-o', blocked]);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, `cannot write ${blocked}: ${path.join(dir, 'blocker')} is not a folder`);
    expect(filesIn(dir)).toEqual(['a', 'blocker']);
  });

  it('leaves no folder behind when the audit fails after the outputs were checked', async () => {
    const out = path.join(dir, 'reports', 'daily', 'report.json');
    const run = await runMain(['audit', '--snapshot', path.join(dir, 'no-snapshot'), '-o', out]);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, 'no-snapshot');
    expect(filesIn(dir)).toEqual([]);
  });
});
