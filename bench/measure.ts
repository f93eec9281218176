/**
 * Runs one command as a child process and measures it alone: wall time, CPU time (user +
 * system) and peak RSS. GNU time (`/usr/bin/time -v`) reports the child's rusage when it is
 * installed; otherwise Node commands are run with an --import hook that records their own
 * resource usage at exit, and other commands get wall time only. Either way CPU time is the
 * whole process's, every thread included: kposture's worker threads count, which is what makes
 * its CPU time comparable with the single-threaded floor's (bench/run.ts divides one by the other).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GNU_TIME = '/usr/bin/time';

export interface Measurement {
  ok: boolean;
  exitCode: number | null;
  wallMs: number;
  /** User + system CPU time; undefined when it could not be measured. */
  cpuMs?: number;
  /** Peak resident set size in MiB; undefined when it could not be measured. */
  rssMiB?: number;
  timedOut?: boolean;
  stdout: string;
  /** The last lines the command wrote to stderr (its error, if it failed). */
  stderrTail: string;
}

export interface RunOptions {
  timeoutMs: number;
  /** Where the command's stdout goes: captured (small outputs) or discarded. */
  stdout?: 'capture' | 'discard';
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const hasGnuTime = existsSync(GNU_TIME);

/** An ESM module for `node --import` that writes the process's resource usage when it exits. */
function usageHook(dir: string): string {
  const file = path.join(dir, 'usage-hook.mjs');
  writeFileSync(
    file,
    "import { writeFileSync } from 'node:fs';\n" +
      "process.on('exit', () => { const u = process.resourceUsage(); writeFileSync(process.env.KPOSTURE_BENCH_USAGE, JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, rssMiB: u.maxRSS / 1024 })); });\n",
  );
  return file;
}

export async function measure(command: string, args: string[], options: RunOptions): Promise<Measurement> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'kposture-measure-'));
  try {
    let cmd = command;
    let argv = args;
    const env = { ...(options.env ?? process.env) };
    const usageFile = path.join(scratch, 'usage.json');
    if (hasGnuTime) {
      cmd = GNU_TIME;
      argv = ['-v', command, ...args];
    } else if (command === process.execPath) {
      argv = ['--import', usageHook(scratch), ...args];
      env.KPOSTURE_BENCH_USAGE = usageFile;
    }
    const out = options.stdout === 'capture' ? 'pipe' : openSync('/dev/null', 'w');
    const started = process.hrtime.bigint();
    const child = spawn(cmd, argv, { stdio: ['ignore', out, 'pipe'], env, ...(options.cwd ? { cwd: options.cwd } : {}) });
    if (typeof out === 'number') closeSync(out);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-64 * 1024);
    });
    // Set by the timer: TypeScript does not see a callback's assignment and would narrow to `false`.
    let timedOut = false as boolean;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    clearTimeout(timer);
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const m: Measurement = { ok: exitCode === 0 && !timedOut, exitCode, wallMs, stdout, stderrTail: '' };
    if (timedOut) m.timedOut = true;
    if (hasGnuTime) {
      const field = (label: string): string | undefined => new RegExp(`^\\s*${label}: (.+)$`, 'm').exec(stderr)?.[1];
      const user = Number(field('User time \\(seconds\\)'));
      const system = Number(field('System time \\(seconds\\)'));
      const rss = Number(field('Maximum resident set size \\(kbytes\\)'));
      if (Number.isFinite(user) && Number.isFinite(system)) m.cpuMs = (user + system) * 1000;
      if (Number.isFinite(rss) && rss > 0) m.rssMiB = rss / 1024;
      const exit = field('Exit status');
      if (exit !== undefined && !timedOut) {
        m.exitCode = Number(exit);
        m.ok = m.exitCode === 0;
      }
      stderr = stderr.slice(0, stderr.search(/^\s*Command (being timed|exited|terminated)/m) >>> 0);
    } else if (existsSync(usageFile)) {
      const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { cpuMs: number; rssMiB: number };
      m.cpuMs = usage.cpuMs;
      m.rssMiB = usage.rssMiB;
    }
    m.stderrTail = stderr.trim().split('\n').slice(-5).join('\n');
    return m;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function gnuTimeAvailable(): boolean {
  return hasGnuTime;
}
