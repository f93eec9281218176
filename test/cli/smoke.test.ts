import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, WEAK } from './run.js';

const BIN = path.join(REPO_ROOT, 'bin', 'kposture.js');
const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the kposture binary', () => {
  it('prints its version', () => {
    const run = spawnSync(process.execPath, [BIN, '--version'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${VERSION}\n`);
    expect(run.stderr).toBe('');
  });

  it('sets the process exit code from the gate', () => {
    const run = spawnSync(process.execPath, [BIN, 'audit', '--snapshot', WEAK, '--fail-under', '90'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('Gate failed');
    expect(run.stdout).not.toMatch(/\u001b\[/);
  });
});
