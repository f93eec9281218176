/**
 * The table report as a person reads it in an 80-column terminal or a CI log: every line fits the
 * width on every fixture, the summary comes first, failing checks are ordered by severity and
 * cost, info and unscored checks are notes (not failures), long commands still paste whole.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { renderTable } from '../../src/report/table.js';
import { columns, wrap, wrapCommand } from '../../src/report/wrap.js';
import { kubectl, shellQuote } from '../../src/util/shell.js';
import { runCli } from '../cli/run.js';
import { FIXTURES, fixtureArgs, fixtureReport, hostileReport } from './formats-support.js';

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

function tooWide(text: string, width: number): string[] {
  return text.split('\n').filter((line) => columns(line) > width);
}

/**
 * The words a POSIX shell passes to the commands (kubectl, grep) of each of `scripts`, sorted:
 * what `sh` reads, not what the table shows.
 */
function asShellReadsThem(scripts: string[]): string[] {
  const show = 'kubectl() { printf "<%s>" kubectl "$@"; echo; }; grep() { cat; printf "<%s>" grep "$@"; echo; }';
  const body = scripts.map((s) => `echo "#"\n${s}\n`).join('');
  const run = spawnSync('sh', ['-c', `${show}\n${body}`], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return run.stdout.split('#\n').slice(1).sort();
}

/** The lines of a section, from its heading to the next blank line. */
function section(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l === '');
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

describe('the table report fits the terminal', () => {
  it.each(FIXTURES)('%s: every line is at most 80 columns at COLUMNS=80, and at most 60 at COLUMNS=60', async (name) => {
    for (const [cols, extra] of [
      [80, []],
      [80, ['--verbose', '--fail-under', '99', '--min-coverage', '100']],
      [60, ['--verbose']],
    ] as const) {
      const run = await runCli([...fixtureArgs(name), ...extra], { env: { COLUMNS: String(cols) } });
      expect(run.stdout).toContain('Score ');
      expect(tooWide(run.stdout, cols)).toEqual([]);
    }
  });

  it('wraps to 80 columns when COLUMNS is not set and stdout is not a terminal', async () => {
    const run = await runCli(fixtureArgs('demo'));
    expect(tooWide(run.stdout, 80)).toEqual([]);
    expect(Math.max(...run.stdout.split('\n').map(columns))).toBeGreaterThan(70);
  });

  it('keeps hostile text inside the width and escaped', async () => {
    const report = hostileReport(await fixtureReport('demo'));
    const text = renderTable(report, { color: false, width: 80 });
    expect(tooWide(text, 80)).toEqual([]);
    expect(Array.from(text).filter((ch) => ch.charCodeAt(0) < 0x20 && ch !== '\n')).toEqual([]);
    // (a wrapped message reads the same once its lines are joined)
    expect(text.replace(/\n +/g, ' ')).toContain('line one\\nline two\\x1b[2J\\x07');
  });
});

describe('the table report reads top-down', () => {
  it('starts with score, grade, coverage, gate and counts, before the categories', async () => {
    const run = await runCli([...fixtureArgs('demo'), '--fail-under', '80']);
    const lines = run.stdout.split('\n');
    expect(lines[2]).toMatch(/^Score [\d.]+\/100 {2}Grade [A-F] {2}Coverage 100%$/);
    expect(lines[3]).toMatch(/^Gate failed: score [\d.]+ < 80$/);
    expect(lines[4]).toMatch(/^27 checks: \d+ pass, \d+ fail, 4 not scored, 1 not applicable; \d+ findings$/);
    expect(lines.findIndex((l) => l.startsWith('Categories'))).toBe(6);
  });

  it('gives one line per category with its counts and score, and its failing checks by title under it', async () => {
    const report = await fixtureReport('demo');
    const text = renderTable(report, { color: false, width: 80 });
    const block = section(text, 'Categories');
    for (const cat of report.categories) {
      const line = block.find((l) => l.startsWith(cat.inTotal ? cat.title : `${cat.title} (not in total)`));
      expect(line).toBeDefined();
      expect(line!.trimEnd().endsWith(String(cat.score))).toBe(true);
    }
    expect(block).toContain('  ✗ MT-05 cluster-admin is bound only to system subjects');
    // MT-01 is info: a note under its category, not a failure.
    expect(block.find((l) => l.includes('MT-01'))).toMatch(/^ {2}i MT-01 .*\(info, not scored\)/);
  });

  it('orders failing checks by severity, then by the points they cost, and keeps notes apart', async () => {
    const report = await fixtureReport('demo');
    const text = renderTable(report, { color: false, width: 80 });
    const failing = section(text, 'Failing checks');
    const factsAfter = (i: number): string =>
      failing
        .slice(i + 1)
        .find((l) => /^ {4}(critical|high|medium|low|info) · /.test(l))!
        .trim();
    const heads = failing.flatMap((l, i) => (l.startsWith('  ✗ ') ? [{ id: l.split(' ')[3]!, facts: factsAfter(i) }] : []));
    expect(heads.length).toBe(report.checks.filter((c) => c.status === 'fail' && c.weight > 0 && c.category !== 'die').length);
    const keyed = heads.map(({ id, facts }) => {
      const [severity, cost] = facts.split(' · ');
      return { id, rank: SEVERITY_RANK[severity!]!, cost: Number(/costs ([\d.]+) point/.exec(cost!)![1]) };
    });
    for (let i = 1; i < keyed.length; i++) {
      const [a, b] = [keyed[i - 1]!, keyed[i]!];
      expect(a.rank < b.rank || (a.rank === b.rank && a.cost >= b.cost)).toBe(true);
    }
    expect(keyed.some((k) => k.cost > 0)).toBe(true);
    // Info checks (MT-01, NP-06) and the DIE category (not in the total) are notes, never ✗.
    const notes = section(text, 'Notes');
    for (const id of ['MT-01', 'NP-06', 'DIE-01', 'DIE-03']) {
      expect(text).not.toContain(`✗ ${id} `);
      expect(notes).toContainEqual(expect.stringMatching(new RegExp(`^ {2}i ${id} `)));
    }
  });

  it('prints each verify command so that a shell reads it back as the same command, even when wrapped', async () => {
    const report = await fixtureReport('demo');
    for (const width of [80, 60]) {
      const lines = renderTable(report, { color: false, width }).split('\n');
      // A command starts with `      $ ` and goes on while its lines end with a backslash.
      const wrapped: string[] = [];
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i]!.startsWith('      $ ')) continue;
        const block = [lines[i]!.slice(8)];
        while (block.at(-1)!.endsWith('\\')) block.push(lines[++i]!);
        wrapped.push(block.join('\n'));
      }
      // Explained findings are not shown: their check names the check that reports their cause.
      const shown = report.checks.flatMap((c) =>
        c.findings
          .filter((f) => !f.explainedBy)
          .slice(0, c.weight > 0 && c.category !== 'die' ? 3 : 1)
          .map((f) => f.verify),
      );
      expect(wrapped).toHaveLength(shown.length);
      expect(wrapped.some((w) => w.includes('\n'))).toBe(true);
      expect(asShellReadsThem(wrapped)).toEqual(asShellReadsThem(shown));
    }
  });

  it('says a root cause once: a check whose findings another check reports names it in one line, and a failed premise names the checks it makes moot', async () => {
    const demo = renderTable(await fixtureReport('demo'), { color: false, width: 80 }).split('\n');
    // NP-02's finding on kyverno (no NetworkPolicy at all) stands for NP-03's and NP-04's.
    const failing = demo.indexOf('Failing checks, most severe and costliest first');
    const np02 = demo.findIndex((l, i) => i > failing && l.startsWith('  ✗ NP-02 '));
    const np03 = demo.findIndex((l, i) => i > failing && l.startsWith('  ✗ NP-03 '));
    expect(
      demo
        .slice(np02, np02 + 12)
        .join(' ')
        .replace(/\s+/g, ' '),
    ).toContain('[also NP-03, NP-04] Namespace kyverno has no default-deny Ingress or Egress NetworkPolicy (4 pods on the pod network)');
    const np03Block = demo
      .slice(
        np03,
        demo.findIndex((l, i) => i > np03 && l.startsWith('  ✗ ')),
      )
      .join('\n');
    expect(np03Block).not.toContain('Namespace kyverno has');
    expect(np03Block.replace(/\s+/g, ' ')).toContain('= same root cause as the findings of NP-02: Namespace cert-manager, Namespace kyverno');

    const flannel = renderTable(await fixtureReport('kubeadm-flannel'), { color: false, width: 80 }).replace(/\s+/g, ' ');
    expect(flannel).toContain(
      '= NP-02, NP-03, NP-04, NP-05, NP-06 not applicable until this is fixed: NetworkPolicy has no effect on this cluster until the CNI enforces it',
    );
    expect(flannel).not.toMatch(/✗ NP-0[2-4]/);
  });

  it('shows how the score is computed only with --verbose, and the summary alone with --quiet', async () => {
    const plain = await runCli(fixtureArgs('demo'));
    const verbose = await runCli([...fixtureArgs('demo'), '--verbose']);
    const quiet = await runCli([...fixtureArgs('demo'), '--quiet', '--fail-under', '10']);
    expect(plain.stdout).not.toContain('How the score is computed');
    expect(plain.stdout.replace(/\n/g, ' ')).toContain('--verbose shows how the score is computed');
    expect(verbose.stdout).toContain('How the score is computed');
    expect(verbose.stdout).toContain('  - check weight from severity: critical 5, high 3');
    expect(quiet.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^kposture .* — snapshot fixtures\/clusters\/demo\/snapshot, Kubernetes v1\.30\.4$/),
      '',
      expect.stringMatching(/^Score [\d.]+\/100 {2}Grade [A-F] {2}Coverage 100%$/),
      'Gate passed',
      expect.stringMatching(/^27 checks: /),
    ]);
    expect(quiet.code).toBe(0);
    // The gate's verdict is the one line on stderr even with --quiet: CI logs read it there.
    expect(quiet.stderr).toMatch(/^gate passed: score [\d.]+ ≥ 10; coverage 100%\n$/);
  });
});

describe('wrapping', () => {
  const words = fc.array(fc.stringMatching(/^[a-z0-9|`'"./=-]{1,30}$/), { minLength: 1, maxLength: 30 });

  it('keeps every word, in order, within the width', () => {
    fc.assert(
      fc.property(words, fc.integer({ min: 20, max: 100 }), (ws, width) => {
        const text = ws.join(' ');
        const lines = wrap(text, width, '  - ', '    ');
        for (const line of lines) expect(columns(line)).toBeLessThanOrEqual(width);
        // Words longer than a line are cut, so compare without the spaces wrapping chose.
        expect(
          lines
            .map((l) => l.slice(4))
            .join('')
            .replaceAll(' ', ''),
        ).toBe(ws.join(''));
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it('breaks a command only between shell words, each broken line ending in a backslash', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 40, max: 100 }), (args, width) => {
        const command = kubectl(...args);
        const lines = wrapCommand(command, width, '$ ', '    ');
        for (const line of lines) expect(columns(line)).toBeLessThanOrEqual(width);
        const joined = lines
          .map((l, i) => (i === 0 ? l.slice(2) : l.slice(4)))
          .reduce((acc, l) => (acc.endsWith(' \\') ? `${acc.slice(0, -2)} ${l}` : acc + l));
        // Only a word longer than a line is cut without a backslash; short words paste back exactly.
        if (args.every((a) => columns(shellQuote(a)) < width - 10)) expect(joined).toBe(command);
      }),
      { numRuns: 300, seed: 18 },
    );
  });
});
