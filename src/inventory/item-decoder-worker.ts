/**
 * A snapshot item decoder worker (item-decoders.ts): reads a batch of items from the file by
 * their byte ranges, parses each on its own, applies the loader's rules for objects of a typed
 * list and answers with their slim records. One projection per worker, so the pods of one
 * ReplicaSet in a batch share their common parts, as on the main thread.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { isForbiddenKind, splitApiVersion } from '../k8s/kinds.js';
import { isRecord } from '../k8s/object.js';
import type { ItemAnswer, ItemBatch, ItemWorkerData } from './item-decoders.js';
import { slimProjection } from './slim.js';
import { isListKind, metadataProblem, typedObject } from './snapshot-objects.js';

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
  const kinds: { kind: string; group: string }[] | undefined = kind === undefined ? [] : undefined;
  for (let i = 0; i < starts.length; i++) {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8', starts[i]! - from, ends[i]! - from));
    } catch {
      return { seq, failed: `item at byte ${starts[i]} is not one JSON object` };
    }
    const own = isRecord(value) ? ownKind(value, kind, group) : undefined;
    if (!own || metadataProblem(value as Record<string, unknown>)) return { seq, failed: `item at byte ${starts[i]} breaks the loader's rules` };
    kinds?.push(own);
    if (isForbiddenKind(own.group, own.kind)) continue;
    const { id, typed } = typedObject(value as Record<string, unknown>, own.kind, own.group);
    records.push(project(id, typed));
  }
  return { seq, records, ...(kinds ? { kinds } : {}) };
}

/**
 * The kind and group of an item: its list's, or (items of a `List`) its own, which must be a
 * kind that is not a list, with a string apiVersion if any; undefined otherwise (the main thread
 * then reads the file and says what is wrong).
 */
function ownKind(value: Record<string, unknown>, kind: string | undefined, group: string): { kind: string; group: string } | undefined {
  if (kind !== undefined) return { kind, group };
  const own = value.kind;
  const apiVersion = value.apiVersion;
  if (typeof own !== 'string' || own === '' || isListKind(own)) return undefined;
  if (apiVersion !== undefined && typeof apiVersion !== 'string') return undefined;
  return { kind: own, group: apiVersion !== undefined ? splitApiVersion(apiVersion).group : '' };
}
