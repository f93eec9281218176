/**
 * Every command kposture prints for a person to run (a finding's `verify`) is built from words by
 * util/shell.ts, which quotes each one: a command assembled by string interpolation would pass a
 * name from the cluster to the shell unquoted. This keeps any new check from doing so.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/fixture-server.js';

function sources(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f))
    .sort();
}

/** A template literal that starts a kubectl or grep command and interpolates into it, or a string concatenated onto one. */
const INTERPOLATED = [/`(?:kubectl|grep) [^`]*\$\{/, /['"](?:kubectl|grep) [^'"]*['"]\s*\+\s*[A-Za-z_(]/];

describe('shell commands', () => {
  it('are never interpolated by hand in src/ or checks/ (use kubectl() or command() from util/shell.ts)', () => {
    const found: string[] = [];
    for (const file of [...sources('src'), ...sources('checks')]) {
      for (const [i, line] of readFileSync(path.join(REPO_ROOT, file), 'utf8').split('\n').entries()) {
        if (INTERPOLATED.some((re) => re.test(line))) found.push(`${file}:${i + 1}: ${line.trim()}`);
      }
    }
    expect(found).toEqual([]);
  });
});
