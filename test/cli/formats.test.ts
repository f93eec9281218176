/**
 * Every format from one run: `--format` on stdout and `--report FORMAT=FILE` for the others,
 * all rendered from the same report (same timestamp, same findings), written all or none.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FORMATS } from '../../src/report/index.js';
import { ANSI, filesIn, removeDir, runCli, tempDir } from './run.js';

const DEMO = 'fixtures/clusters/demo/snapshot';

describe('all formats from one run', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('formats');
  });
  afterEach(() => removeDir(dir));

  it('registers every format for --format and --report', () => {
    expect(FORMATS).toEqual(['html', 'json', 'junit', 'markdown', 'sarif', 'table']);
  });

  it('prints Markdown on stdout and writes HTML, JUnit, JSON, SARIF and the table to files', async () => {
    const file = (name: string): string => path.join(dir, name);
    const reports = ['html=kposture.html', 'junit=junit.xml', 'json=kposture.json', 'sarif=kposture.sarif', 'table=table.txt'];
    const run = await runCli(
      ['audit', '--snapshot', DEMO, '--format', 'markdown', '--fail-under', '80', ...reports.map((r) => `--report=${r.replace('=', `=${dir}/`)}`)],
      {
        env: { FORCE_COLOR: '1' },
        tty: true,
      },
    );
    expect(run.code).toBe(1);
    expect(run.stdout.startsWith('## kposture: score ')).toBe(true);
    expect(filesIn(dir)).toEqual(['junit.xml', 'kposture.html', 'kposture.json', 'kposture.sarif', 'table.txt']);
    const report = JSON.parse(readFileSync(file('kposture.json'), 'utf8')) as { generatedAt: string; score: number; summary: { findings: number } };
    expect(readFileSync(file('kposture.html'), 'utf8')).toContain(`generated ${report.generatedAt}`);
    expect(readFileSync(file('junit.xml'), 'utf8')).toContain(`timestamp="${report.generatedAt}"`);
    expect(run.stdout).toContain(`Audited snapshot fixtures/clusters/demo/snapshot, Kubernetes v1.30.4 with kposture`);
    const table = readFileSync(file('table.txt'), 'utf8');
    expect(table).toContain(`Score ${report.score}/100`);
    expect(table).not.toMatch(ANSI);
    expect(Math.max(...table.split('\n').map((l) => Array.from(l).length))).toBeLessThanOrEqual(80);
  });

  it('names every format when --report has an unknown one, and writes nothing', async () => {
    const run = await runCli(['audit', '--snapshot', DEMO, '--report', `pdf=${path.join(dir, 'r.pdf')}`, '--report', `html=${path.join(dir, 'r.html')}`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('expected FORMAT=FILE with FORMAT one of html, json, junit, markdown, sarif, table');
    expect(filesIn(dir)).toEqual([]);
  });
});
