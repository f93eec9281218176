/**
 * Resolves a kubeconfig off the main thread (kubeconfig.ts, resolveTarget): answers with the
 * target and its fixed request options when the credentials are static, with nothing otherwise,
 * then exits, so that client-node is never loaded into the thread that holds the inventory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fixedTarget, type KubeconfigOptions } from './kubeconfig.js';

parentPort!.postMessage(await fixedTarget(workerData as KubeconfigOptions).catch(() => undefined));
