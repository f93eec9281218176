import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { KindId } from '../k8s/kinds.js';
import type { KindCollection } from '../k8s/inventory.js';
import type { Check } from './check.js';
import type { ContextInput } from './context.js';
import { describeError } from '../errors.js';
import { TOO_DEEP, describeObject, isTooDeep } from '../k8s/depth.js';

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
  let worker: Worker;
  try {
    worker = new Worker(new URL('./sandbox-worker.js', import.meta.url), {
      workerData: { request, port: port2 },
      transferList: [port2],
      stdout: true,
      stderr: true,
    });
  } catch (err) {
    port1.close();
    return { failure: `its inventory could not be copied to a worker thread: ${copyProblem(request.kinds) ?? describeError(err)}` };
  }
  worker.unref();
  // The worker answers its own failures (sandbox-worker.ts); an 'error' event left unheard would end kposture.
  worker.on('error', () => undefined);
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

/**
 * Why the kinds could not be copied, when an object is too deep to copy (objects are refused
 * where they enter, k8s/depth.ts: this names one that came another way). Looked for only after
 * a copy failed, so that a copy that succeeds costs no walk.
 */
function copyProblem(kinds: WorkerRequest['kinds']): string | undefined {
  for (const [id, collection] of kinds) {
    const deep = collection.items.find(isTooDeep);
    if (deep) return `${describeObject({ kind: id, ...deep })} ${TOO_DEEP}`;
  }
  return undefined;
}
