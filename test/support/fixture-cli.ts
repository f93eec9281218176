import { spawn } from 'node:child_process';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { REPO_ROOT } from './fixture-server.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs main() in-process with captured output (the fixture server keeps serving meanwhile); `stdin` is standard input. */
export async function runMain(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: opts.env ?? { NO_COLOR: '1' },
    cwd: opts.cwd ?? process.cwd(),
    ...(opts.stdin !== undefined ? { readStdin: () => Promise.resolve(opts.stdin!) } : {}),
  };
  const started = Date.now();
  const code = await main(argv, io);
  return { code, stdout, stderr, ms: Date.now() - started };
}

/**
 * Node binaries the end-to-end tests run the built CLI with: KPOSTURE_E2E_NODES
 * (colon-separated absolute paths, set by CI for Node 20, 22 and 24), else this Node.
 */
export function e2eNodes(): string[] {
  const listed = (process.env.KPOSTURE_E2E_NODES ?? '').split(':').filter(Boolean);
  return listed.length > 0 ? listed : [process.execPath];
}

/** Spawns `node bin/kposture.js ...` asynchronously, so an in-process fixture server can answer. */
export function runBuiltCli(node: string, args: string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(node, [path.join(REPO_ROOT, 'bin', 'kposture.js'), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - started }),
    );
  });
}

/** Fails with the process's stderr in the message, so a wrong exit code explains itself. */
export function expectExit(run: CliRun, code: number): void {
  if (run.code !== code) throw new Error(`expected exit ${code}, got ${run.code}; stderr:\n${run.stderr}`);
}
