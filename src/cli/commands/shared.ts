import { Command, InvalidArgumentError } from 'commander';
import type { Io } from '../io.js';

export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  requestTimeout?: number;
  timeout?: number;
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

export function clusterOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('--request-timeout <seconds>', 'timeout of each API request (default 30)', parseSeconds)
    .option('--timeout <seconds>', 'deadline for reading the cluster; kinds not read by then are reported as errors (default 600)', parseSeconds);
}

/** Colors only for a terminal, never with NO_COLOR or --no-color. */
export function useColor(flag: boolean, io: Io, toStdout: boolean): boolean {
  if (!flag) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return toStdout && io.stdoutIsTTY;
}
