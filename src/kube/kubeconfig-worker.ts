/**
 * Resolves a kubeconfig off the main thread (kubeconfig.ts, resolveTarget): answers with the
 * target and its fixed request options when the credentials are static, with nothing otherwise
 * (or, for listContexts, with the context names), then exits, so that client-node is never loaded into the thread that holds the inventory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fixedTarget, readContexts, type ContextsRequest, type KubeconfigOptions } from './kubeconfig.js';

const request = workerData as KubeconfigOptions | ContextsRequest;
// Asked for the context names (a fleet audit, listContexts): those, or nothing on any error.
const answer = 'contexts' in request ? readContexts(request) : fixedTarget(request);
parentPort!.postMessage(await answer.catch(() => undefined));
