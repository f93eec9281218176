/**
 * One batch of snapshot items decoded: read by byte range from the file, each item parsed on its
 * own, checked by the loader's rules and reduced to its record. The item decoder workers and the
 * main thread (when every worker has its fill, item-decoders.ts) run this same code, so a record
 * never depends on which thread made it.
 */
import { readSync } from 'node:fs';
import { isForbiddenKind } from '../k8s/kinds.js';
import { isRecord } from '../k8s/object.js';
import { isTooDeep } from '../k8s/depth.js';
import type { Projection } from '../k8s/slim.js';
import { isListKind, itemKind, metadataProblem, typedObject } from './snapshot-objects.js';

/** A batch of items: which file ranges to read, and the kind they are (the decoders' request). */
export interface ItemBatch {
  seq: number;
  /** The kind of a typed list's items; undefined for items that say their own (a `List`'s). */
  kind: string | undefined;
  group: string;
  /** File offsets of each item's first byte and of the byte after its last (files may pass 4 GiB). */
  starts: Float64Array;
  ends: Float64Array;
}

/**
 * Records in item order (Secrets left out); for items that say their own kind, also each item's
 * kind and group, Secrets included, as the loader's checks of a `List` need them.
 */
export interface DecodedItems {
  records: unknown[];
  kinds?: { kind: string; group: string }[];
}

export type ItemAnswer = ({ seq: number } & DecodedItems) | { seq: number; failed: string };

/** Reads the bytes of a batch's items, reusing one buffer from batch to batch. */
export class BatchReader {
  private bytes = Buffer.allocUnsafe(1024 * 1024);

  constructor(private readonly fd: number) {}

  /** The bytes from the first item's start to the last one's end; undefined when the file ends first. */
  read(batch: ItemBatch): Buffer | undefined {
    const from = batch.starts[0]!;
    const length = batch.ends[batch.ends.length - 1]! - from;
    if (this.bytes.length < length) this.bytes = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = readSync(this.fd, this.bytes, read, length - read, from + read);
      if (n === 0) return undefined;
      read += n;
    }
    return this.bytes;
  }
}

export function decodeBatch(batch: ItemBatch, reader: BatchReader, project: Projection): ItemAnswer {
  const { seq, kind, group, starts, ends } = batch;
  if (starts.length === 0) return { seq, records: [] };
  const bytes = reader.read(batch);
  if (!bytes) return { seq, failed: 'the snapshot file is shorter than when it was read' };
  const from = starts[0]!;
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
    if (isTooDeep(value)) return { seq, failed: `item at byte ${starts[i]} breaks the loader's rules` };
    const { id, typed } = typedObject(value as Record<string, unknown>, own.kind, own.group);
    records.push(project(id, typed));
  }
  return { seq, records, ...(kinds ? { kinds } : {}) };
}

/**
 * The kind and group of an item by the loader's rule (itemKind); undefined for an item that breaks
 * it, or that is a list itself (nested lists are read on the main thread, which also says what is
 * wrong).
 */
function ownKind(value: Record<string, unknown>, kind: string | undefined, group: string): { kind: string; group: string } | undefined {
  const own = itemKind(value, kind !== undefined ? { kind, group } : undefined);
  return Array.isArray(own) || isListKind(own.kind) ? undefined : own;
}
