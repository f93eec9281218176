import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { KindId } from '../k8s/kinds.js';
import type { KindCollection } from '../k8s/inventory.js';
import type { Check } from './check.js';
import type { ContextInput } from './context.js';

/**
 * Plugin checks are third-party code: each runs in a worker thread with a time limit, so one
 * that loops forever or crashes turns `unknown` and the rest of the audit completes. The engine
 * stays synchronous: the main thread blocks on a shared flag until the worker answers or the
 * time is up.
 */
export const DEFAULT_PLUGIN_TIMEOUT_MS = 30_000;

interface PluginSource {
  file: string;
  index: number;
}

const sources = new WeakMap<Check, PluginSource>();

export function registerPluginSource(check: Check, file: string, index: number): void {
  sources.set(check, { file, index });
}

export function pluginSource(check: Check): PluginSource | undefined {
  return sources.get(check);
}

export interface WorkerRequest {
  file: string;
  index: number;
  kinds: [KindId, KindCollection][];
  catalogs: ContextInput['catalogs'];
  systemNamespaces: string[];
  options: Record<string, unknown>;
  serverVersion?: string;
  done: SharedArrayBuffer;
}

export type WorkerAnswer = { outcome: unknown } | { failure: string };

export function evaluateInWorker(source: PluginSource, context: ContextInput, timeoutMs: number): WorkerAnswer {
  const declared = [...context.meta.reads, ...(context.meta.optionalReads ?? [])];
  const done = new SharedArrayBuffer(4);
  const flag = new Int32Array(done);
  const request: WorkerRequest = {
    file: source.file,
    index: source.index,
    kinds: declared.map((id) => [id, context.collection(id)]),
    catalogs: context.catalogs,
    systemNamespaces: [...context.systemNamespaces],
    options: context.options,
    ...(context.serverVersion ? { serverVersion: context.serverVersion } : {}),
    done,
  };
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./sandbox-worker.js', import.meta.url), {
    workerData: { request, port: port2 },
    transferList: [port2],
    stdout: true,
    stderr: true,
  });
  worker.unref();
  try {
    const waited = Atomics.wait(flag, 0, 0, timeoutMs);
    const message = receiveMessageOnPort(port1);
    if (waited === 'timed-out' || !message) {
      return { failure: `did not finish within ${Math.round(timeoutMs / 100) / 10} s and was stopped` };
    }
    return message.message as WorkerAnswer;
  } finally {
    port1.close();
    void worker.terminate();
  }
}
