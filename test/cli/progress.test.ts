/**
 * Progress on stderr: on a terminal one status line rewritten in place, in a log a line now and
 * then, nothing with --quiet. The clock is the test's: no timer is waited for or asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeCounts, describeSnapshotProgress, startProgress } from '../../src/cli/progress.js';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { writeSyntheticCluster } from '../support/fixture-cluster.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer } from '../support/fixture-server.js';

const ERASE = '\r\u001b[2K';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('the status line on a terminal', () => {
  it('rewrites one line in place, at most every redraw interval, and erases it when done', () => {
    const c = clock();
    let out = '';
    const p = startProgress({ terminal: { write: (t) => void (out += t), columns: 80 }, now: c.now, redrawMs: 100 });
    p.status('reading the cluster: kinds 0/20, 0 pages, 0 objects');
    c.advance(50);
    p.status('reading the cluster: kinds 1/20, 1 page, 500 objects');
    c.advance(60);
    p.status('reading the cluster: kinds 2/20, 3 pages, 1,500 objects');
    p.done();
    p.status('too late');
    expect(out).toBe(`${ERASE}reading the cluster: kinds 0/20, 0 pages, 0 objects${ERASE}reading the cluster: kinds 2/20, 3 pages, 1,500 objects${ERASE}`);
  });

  it('prints a line to keep above the status line, escaped, and draws the status again', () => {
    const c = clock();
    let out = '';
    const p = startProgress({ terminal: { write: (t) => void (out += t), columns: 80 }, now: c.now });
    p.status('reading');
    p.note('could not list Foo: forbidden\u001b[2J\nnext');
    expect(out).toBe(`${ERASE}reading${ERASE}could not list Foo: forbidden\\x1b[2J\\nnext\nreading`);
  });

  it('fits the line in the terminal, one column short, so that it never wraps', () => {
    let out = '';
    const p = startProgress({ terminal: { write: (t) => void (out += t), columns: 30 }, now: clock().now });
    p.status('reading the cluster: kinds 12/27, 340 pages, 150,000 objects');
    expect(out).toBe(`${ERASE}reading the cluster: kinds 1…`);
    expect(Array.from(out.slice(ERASE.length))).toHaveLength(29);
  });
});

describe('progress in a log (CI)', () => {
  it('prints nothing in the first interval, then a line at most every interval, with the time taken', () => {
    const c = clock();
    const lines: string[] = [];
    const p = startProgress({ line: (t) => lines.push(t), now: c.now, everyMs: 10_000 });
    p.status('reading the cluster: kinds 1/27, 1 page, 10 objects');
    c.advance(9_999);
    p.status('reading the cluster: kinds 2/27, 2 pages, 20 objects');
    c.advance(1);
    p.status('reading the cluster: kinds 3/27, 30 pages, 15,000 objects');
    c.advance(4_000);
    p.status('reading the cluster: kinds 4/27, 40 pages, 20,000 objects');
    c.advance(6_500);
    p.status('running checks: 3/27');
    p.note('kept only on a terminal');
    p.done();
    c.advance(60_000);
    p.status('after done');
    expect(lines).toEqual(['reading the cluster: kinds 3/27, 30 pages, 15,000 objects (10 s)', 'running checks: 3/27 (21 s)']);
  });

  it('describes the counts of a read', () => {
    expect(describeCounts({ kinds: 27, kindsDone: 12, pages: 340, objects: 150_000 })).toBe('reading the cluster: kinds 12/27, 340 pages, 150,000 objects');
    expect(describeCounts({ kinds: 3, kindsDone: 0, pages: 1, objects: 0 })).toBe('reading the cluster: kinds 0/3, 1 page, 0 objects');
    expect(describeSnapshotProgress({ files: 12, filesDone: 3, objects: 20_000 })).toBe('reading the snapshot: files 3/12, 20,000 objects');
  });
});

describe('kposture audit against a live API server', () => {
  let server: FixtureServer;
  let kubeconfig: string;
  beforeAll(async () => {
    server = await startFixtureServer({ snapshot: [writeSyntheticCluster()] });
    kubeconfig = writeKubeconfig(server).file;
  });
  afterAll(async () => server.close());

  async function audit(argv: string[]): Promise<{ code: number; stdout: string; stderr: string; raw: string }> {
    return auditOnTerminal(argv, { KUBECONFIG: kubeconfig, NO_COLOR: '1' });
  }

  it('shows the counts of the read on one status line, and leaves the terminal clean', async () => {
    const run = await audit([]);
    expect(run.code).toBe(0);
    const [first, ...rest] = run.raw.split(ERASE);
    expect(first).toBe('');
    expect(rest[0]).toMatch(/^reading context "[^"]+" at https:\/\/\S+ \(Kubernetes v[\d.]+\)\n$/);
    expect(rest).toContainEqual(expect.stringMatching(/^reading the cluster: kinds 0\/\d+, 0 pages, 0 objects$/));
    expect(run.raw.endsWith(ERASE)).toBe(true);
    // No line per kind: the status line says it.
    expect(run.raw).not.toContain('listed ');
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ target: { source: 'live' } });
  });

  it('is silent with --quiet', async () => {
    const run = await audit(['--quiet']);
    expect(run.code).toBe(0);
    expect(run.raw).toBe('');
    expect(run.stderr).toBe('');
  });
});

describe('kposture audit of a snapshot on a terminal', () => {
  it('shows the files and objects read on the status line, file by file, and leaves the terminal clean', async () => {
    // A folder of files. The line is redrawn at most every 100 ms, so how many counts show depends
    // on the machine's speed; what must hold is that every line drawn is a snapshot count, and
    // that the counts never go backwards.
    const out = await auditOnTerminal(['--snapshot', 'fixtures/clusters/demo/snapshot'], { NO_COLOR: '1' });
    expect(out.code).toBe(0);
    const drawn = out.raw.split(ERASE).filter(Boolean);
    const reading = drawn.filter((line) => line.startsWith('reading the snapshot'));
    expect(reading.length).toBeGreaterThan(0);
    // After reading, the line says which check runs.
    expect(drawn.slice(reading.length).every((line) => line.startsWith('running checks'))).toBe(true);
    const counts = reading.map((line) => /^reading the snapshot: files (\d+)\/(\d+), ([\d,]+) objects$/.exec(line));
    expect(counts.every(Boolean)).toBe(true);
    const done = counts.map((m) => Number(m![1]));
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(Number(counts[0]![2])).toBeGreaterThan(1);
    expect(out.raw.endsWith(ERASE)).toBe(true);
    expect(out.stderr).toBe('');
  });
});

/** `audit --format json` through main() with stderr a 100-column terminal: what each stream got. */
async function auditOnTerminal(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string; raw: string }> {
  const out = { stdout: '', stderr: '', raw: '' };
  const io: Io = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    stderrRaw: (t) => void (out.raw += t),
    stdoutIsTTY: false,
    stderrIsTTY: true,
    stderrColumns: 100,
    env,
    cwd: process.cwd(),
  };
  const code = await main(['audit', '--format', 'json', ...argv], io);
  return { code, ...out };
}
