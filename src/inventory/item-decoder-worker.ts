/**
 * A snapshot item decoder worker (item-decoders.ts): reads a batch of items from the file by
 * their byte ranges, parses each on its own, applies the loader's rules for objects of a typed
 * list and answers with their slim records. One projection per worker, so the pods of one
 * ReplicaSet in a batch share their common parts, as on the main thread.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { isRecord } from '../k8s/object.js';
import type { ItemAnswer, ItemBatch, ItemWorkerData } from './item-decoders.js';
import { slimProjection } from './slim.js';
import { isSecret, metadataProblem, typedObject } from './snapshot-objects.js';

const { file, port, signal } = workerData as ItemWorkerData;
const project = slimProjection();
const fd = openSync(file, 'r');
let bytes = Buffer.allocUnsafe(1024 * 1024);

port.on('message', (batch: ItemBatch) => {
  let answer: ItemAnswer;
  try {
    answer = decode(batch);
  } catch (err) {
    answer = { seq: batch.seq, failed: `a snapshot item decoder failed: ${(err as Error).message}` };
  }
  port.postMessage(answer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
port.on('close', () => closeSync(fd));

function decode({ seq, kind, group, starts, ends }: ItemBatch): ItemAnswer {
  if (starts.length === 0) return { seq, records: [] };
  const from = starts[0]!;
  const length = ends[ends.length - 1]! - from;
  if (bytes.length < length) bytes = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, bytes, read, length - read, from + read);
    if (n === 0) return { seq, failed: 'the snapshot file is shorter than when it was read' };
    read += n;
  }
  const records: unknown[] = [];
  for (let i = 0; i < starts.length; i++) {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8', starts[i]! - from, ends[i]! - from));
    } catch {
      return { seq, failed: `item at byte ${starts[i]} is not one JSON object` };
    }
    if (!isRecord(value) || metadataProblem(value)) return { seq, failed: `item at byte ${starts[i]} breaks the loader's rules` };
    if (isSecret(kind, group)) continue;
    const { id, typed } = typedObject(value, kind, group);
    records.push(project(id, typed));
  }
  return { seq, records };
}
