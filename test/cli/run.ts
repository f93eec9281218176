import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

/** The repository root (this file runs from dist/test/cli/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const WEAK = 'test/data/report-weak';
export const STRONG = 'test/data/report-strong';
/** Namespaces only: PE-01 cannot read its kinds and is unknown. */
export const PARTIAL = 'test/data/report-partial';
/** Deployments only: every check is unknown and no score can be computed. */
export const UNKNOWN = 'test/data/report-unknown';
/** The two checks the gate tests pin, so that new checks in the catalogue do not move the numbers. */
export const PINNED = ['--check', 'MT-04', '--check', 'PE-01'];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  tty?: boolean;
  cwd?: string;
  /** The CLI's clock (when the report is made, which waivers have expired); the real one when absent. */
  now?: () => Date;
}

/** Runs main() in-process with captured output, as a terminal (tty) or a pipe. */
export async function runCli(argv: string[], options: CliOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.tty ?? false,
    env: options.env ?? {},
    cwd: options.cwd ?? REPO_ROOT,
    ...(options.now ? { now: options.now } : {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Parses the JSON report a run printed on stdout. */
export function jsonOf(result: CliResult): { score: number | null; coverage: number; gate?: { passed: boolean; reasons: string[] } } & Record<string, unknown> {
  return JSON.parse(result.stdout) as never;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `kposture-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function filesIn(dir: string): string[] {
  return readdirSync(dir).sort();
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\u001b\[[0-9;]*m/;
