import { Command, InvalidArgumentError } from 'commander';
import { KpostureError } from '../../errors.js';
import type { LiveOptions } from '../../inventory/live.js';
import type { Io } from '../io.js';
import { visible } from '../../util/terminal.js';

export interface ClusterFlags {
  kubeconfig?: string;
  /** --context, repeatable: `audit` audits a fleet when given several (fleet.ts); other commands take one. */
  context?: string[];
  requestTimeout?: number;
  timeout?: number;
  maxPageMib?: number;
  maxPages?: number;
  debug?: boolean;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parsePercent(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new InvalidArgumentError(`${flag} takes a number from 0 to 100`);
  }
  return n;
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('takes a number of seconds above 0');
  return n;
}

/** The flags that say how to reach a cluster; `several`: --context may be repeated (a fleet audit). */
export function clusterOptions(cmd: Command, { several = false }: { several?: boolean } = {}): Command {
  const context = several
    ? 'kubeconfig context (default: the current context); repeat it to audit several clusters'
    : 'kubeconfig context (default: the current context)';
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)')
    .option('--context <name>', context, collect, [])
    .option('--request-timeout <seconds>', 'timeout of each API request (default 30)', parseSeconds)
    .option('--timeout <seconds>', 'deadline for reading the cluster; kinds not read by then are reported as errors (default 600)', parseSeconds)
    .option('--max-page-mib <MiB>', 'largest API answer read; a larger one makes its kind an error (default 256)', (v) => parseCount(v, '--max-page-mib'))
    .option('--max-pages <n>', 'most pages one kind may take; a longer list makes its kind an error (default 10000)', (v) => parseCount(v, '--max-pages'));
}

function parseCount(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} takes a whole number above 0`);
  return n;
}

/** What the cluster flags ask of the live reader (inventory/live.ts). */
export function liveReadOptions(
  flags: ClusterFlags,
): Pick<LiveOptions, 'kubeconfig' | 'context' | 'requestTimeoutMs' | 'timeoutMs' | 'maxPageBytes' | 'maxPages'> {
  const contexts = flags.context ?? [];
  if (contexts.length > 1) {
    throw new KpostureError('usage', `--context given ${contexts.length} times: this command reads one cluster`, 'give --context once');
  }
  return {
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(contexts[0] ? { context: contexts[0] } : {}),
    ...(flags.requestTimeout ? { requestTimeoutMs: flags.requestTimeout * 1000 } : {}),
    ...(flags.timeout ? { timeoutMs: flags.timeout * 1000 } : {}),
    ...(flags.maxPageMib ? { maxPageBytes: flags.maxPageMib * 2 ** 20 } : {}),
    ...(flags.maxPages ? { maxPages: flags.maxPages } : {}),
  };
}

/** Colors only for a terminal, never with NO_COLOR or --no-color. */
export function useColor(flag: boolean, io: Io, toStdout: boolean): boolean {
  if (!flag) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return toStdout && io.stdoutIsTTY;
}

/**
 * How wide the table may be: `COLUMNS` when it is set to a number, else the terminal's width
 * when stdout is one, else 80 (a CI log, a pipe, a file).
 */
export function terminalWidth(io: Io): number {
  const columns = io.env.COLUMNS?.trim() ?? '';
  if (/^\d+$/.test(columns) && Number(columns) > 0) return Number(columns);
  if (io.stdoutIsTTY && io.stdoutColumns) return io.stdoutColumns;
  return 80;
}

/**
 * Writes one line to stderr. What it carries (a server's error message, a name from the cluster)
 * may hold control characters, a line feed included: they are shown escaped, so the line stays
 * one line and leaves the terminal as it was.
 */
export function printLine(io: Io, text: string): void {
  io.stderr(`${visible(text)}\n`);
}
