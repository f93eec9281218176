/**
 * A snapshot item decoder worker (item-decoders.ts): decodes the batches of items it is sent
 * (item-batch.ts) and answers with their slim records. One projection per worker, so the pods of
 * one ReplicaSet in a batch share their common parts, as on the main thread.
 */
import { closeSync, openSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { BatchReader, decodeBatch, type ItemAnswer, type ItemBatch } from './item-batch.js';
import type { ItemWorkerData } from './item-decoders.js';
import { slimProjection } from '../k8s/slim.js';

const { file, port, signal } = workerData as ItemWorkerData;
const project = slimProjection();
const fd = openSync(file, 'r');
const reader = new BatchReader(fd);

port.on('message', (batch: ItemBatch) => {
  let answer: ItemAnswer;
  try {
    answer = decodeBatch(batch, reader, project);
  } catch (err) {
    answer = { seq: batch.seq, failed: `a snapshot item decoder failed: ${(err as Error).message}` };
  }
  port.postMessage(answer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
port.on('close', () => closeSync(fd));
