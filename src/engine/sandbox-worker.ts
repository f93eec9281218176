import { pathToFileURL } from 'node:url';
import { workerData, type MessagePort } from 'node:worker_threads';
import { describeError } from '../errors.js';
import { makeContext } from './context.js';
import type { Check } from './check.js';
import type { KindCollection } from '../k8s/inventory.js';
import type { WorkerAnswer, WorkerRequest } from './sandbox.js';

const MISSING: KindCollection = { status: 'missing', items: [] };
const { request, port } = workerData as { request: WorkerRequest; port: MessagePort };

let answered = false;

function answer(value: WorkerAnswer): void {
  if (answered) return;
  answered = true;
  try {
    port.postMessage(value);
  } catch (err) {
    port.postMessage({ failure: `returned an outcome that is not plain data: ${describeError(err)}` });
  }
  const flag = new Int32Array(request.done);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

// The main thread is blocked waiting for the answer, so it cannot see this thread end: a plugin
// that ends it before answering (process.exit, an error thrown from a timer or a rejected
// promise) answers here, at once, instead of leaving the main thread to wait out the timeout.
let uncaught: string | undefined;
process.on('uncaughtExceptionMonitor', (err) => {
  uncaught ??= describeError(err);
});
process.on('exit', (code) => {
  answer({
    failure:
      uncaught !== undefined
        ? `failed outside evaluate, ending its worker thread: ${uncaught}`
        : `ended its worker thread with process.exit(${code}) before answering`,
  });
});

try {
  const mod = (await import(pathToFileURL(request.file).href)) as Record<string, unknown>;
  const exported = mod.checks ?? mod.default;
  const check = (Array.isArray(exported) ? exported[request.index] : exported) as Check;
  const kinds = new Map(request.kinds);
  const ctx = makeContext({
    meta: check.meta,
    collection: (kind) => kinds.get(kind) ?? MISSING,
    catalogs: request.catalogs,
    systemNamespaces: new Set(request.systemNamespaces),
    options: request.options,
    ...(request.serverVersion ? { serverVersion: request.serverVersion } : {}),
  });
  answer({ outcome: check.evaluate(ctx) });
} catch (err) {
  answer({ failure: `failed while evaluating: ${describeError(err)}` });
}
