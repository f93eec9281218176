import { plainObjectMaker, setOwnField, type PlainObjectMaker } from './plain.js';
import type { StringTable } from './strings.js';

/**
 * A copy of records received from a worker thread, laid out as compactly as the main thread's
 * own. A structured clone arrives with its own copy of every string, arrays with room to grow
 * (a one-element `drop: [ALL]` takes several times its size) and objects of more than four fields
 * with those fields outside the object, so a large inventory is markedly bigger than the same
 * records made on the main thread (docs/performance.md#page-decoder-workers). The copy gives each
 * string back its first copy (`strings`), each array its exact length and each object its fields
 * inline. A part that occurs several times in `value` (the container list of a ReplicaSet's pods)
 * is copied once and stays shared. Values other than plain objects and arrays are kept as they are.
 */
export function compactCopy<T>(value: T, strings: StringTable): T {
  return copy(value, strings, new Map()) as T;
}

function copy(value: unknown, strings: StringTable, copies: Map<object, unknown>): unknown {
  if (typeof value === 'string') return strings.intern(value);
  if (typeof value !== 'object' || value === null) return value;
  const done = copies.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    copies.set(value, out);
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i], strings, copies);
    return out;
  }
  if (!isPlainObject(value)) return value;
  const record = value as Record<string, unknown>;
  const out = new (makerFor(Object.keys(record).length))();
  copies.set(value, out);
  for (const key in record) setOwnField(out, key, copy(record[key], strings, copies));
  return out;
}

/** A plain object from any realm (a worker's messages may be made in another one under test). */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** One constructor per field count, so that V8 sizes each one's objects to their fields. */
function makerFor(fields: number): PlainObjectMaker {
  let make = MAKERS[fields];
  if (!make) MAKERS[fields] = make = plainObjectMaker();
  return make;
}
const MAKERS: PlainObjectMaker[] = [];
