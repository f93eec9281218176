import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ANSI, removeDir, runCli, tempDir, WEAK } from './run.js';

const audit = ['audit', '--snapshot', WEAK];

describe('colors', () => {
  it('colors the table on a terminal', async () => {
    const run = await runCli(audit, { tty: true });
    expect(run.stdout).toMatch(ANSI);
  });

  it.each<[string, string[], NodeJS.ProcessEnv, boolean]>([
    ['NO_COLOR on a terminal', [], { NO_COLOR: '1' }, true],
    ['NO_COLOR set to anything, even with FORCE_COLOR', [], { NO_COLOR: 'yes', FORCE_COLOR: '1' }, true],
    ['--no-color on a terminal', ['--no-color'], {}, true],
    ['--no-color with FORCE_COLOR', ['--no-color'], { FORCE_COLOR: '1' }, true],
    ['a pipe (not a terminal)', [], {}, false],
    ['FORCE_COLOR=0 on a pipe', [], { FORCE_COLOR: '0' }, false],
  ])('prints no ANSI escape with %s', async (_name, flags, env, tty) => {
    const run = await runCli([...audit, ...flags], { env, tty });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Failing checks');
    expect(run.stdout).not.toMatch(ANSI);
    expect(run.stderr).not.toMatch(ANSI);
  });

  it('colors with FORCE_COLOR on a terminal', async () => {
    const run = await runCli(audit, { env: { FORCE_COLOR: '1' }, tty: true });
    expect(run.stdout).toMatch(ANSI);
  });

  it('never colors JSON or SARIF, nor a table written to a file', async () => {
    const dir = tempDir('color');
    try {
      const file = path.join(dir, 'table.txt');
      for (const format of ['json', 'sarif']) {
        const run = await runCli([...audit, '--format', format], { env: { FORCE_COLOR: '1' }, tty: true });
        expect(run.stdout).not.toMatch(ANSI);
        expect(() => JSON.parse(run.stdout) as unknown).not.toThrow();
      }
      const run = await runCli([...audit, '-o', file], { env: { FORCE_COLOR: '1' }, tty: true });
      expect(run.code).toBe(0);
      const table = readFileSync(file, 'utf8');
      expect(table).toContain('Failing checks');
      expect(table).not.toMatch(ANSI);
    } finally {
      removeDir(dir);
    }
  });
});
