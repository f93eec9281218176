/**
 * Generators for the property-based tests: real Kubernetes objects from every fixture cluster,
 * mutated the ways hostile or broken data differs from what a check expects (fields deleted,
 * nulled, retyped, replaced by arbitrary JSON, arrays emptied or padded, keys added), plus
 * objects built from arbitrary JSON under a known kind. Inventories mix them with every kind
 * status (ok, forbidden, error, missing, not-served).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import type { Inventory, KindCollection, KindStatus } from '../../src/k8s/inventory.js';
import { knownKinds, type KindId } from '../../src/k8s/kinds.js';
import type { K8sObject } from '../../src/k8s/object.js';
import { REPO_ROOT } from '../support/fixture-server.js';

export interface Sample {
  id: KindId;
  obj: K8sObject;
}

let cachedClusters: Inventory[] | undefined;
let cached: Sample[] | undefined;

/** Every fixtures/clusters/<name>/snapshot, loaded. */
function clusters(): Inventory[] {
  if (cachedClusters) return cachedClusters;
  const root = path.join(REPO_ROOT, 'fixtures', 'clusters');
  cachedClusters = (existsSync(root) ? readdirSync(root).sort() : [])
    .map((name) => path.join(root, name, 'snapshot'))
    .filter((dir) => existsSync(dir))
    .map((dir) => loadSnapshot([dir]));
  return cachedClusters;
}

/** Every object of every fixture cluster, with its kind id. */
export function corpus(): Sample[] {
  cached ??= clusters().flatMap((inv) => [...inv.kinds].flatMap(([id, c]) => c.items.map((obj) => ({ id, obj }))));
  return cached;
}

export type Op = 'delete' | 'null' | 'replace' | 'retype' | 'empty' | 'pad' | 'addKey';
const OPS: Op[] = ['delete', 'null', 'replace', 'retype', 'empty', 'pad', 'addKey'];

export interface Mutation {
  /** Which path of the object (modulo the number of paths). */
  at: number;
  op: Op;
  value: unknown;
}

/** JSON a check could meet where it expects something else. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, '', 0, -1, 1.5, true, false, [], {}, 'Always', '*', 'kube-system', '0', 'NaN', '__proto__', 'constructor'),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.jsonValue({ maxDepth: 3 }),
);

const mutation: fc.Arbitrary<Mutation> = fc.record({ at: fc.nat(), op: fc.constantFrom(...OPS), value: hostileValue });

/** Every path to a value inside `v` (objects and arrays), the root excluded. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...prefix, i]), paths(x, [...prefix, i], out)));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push([...prefix, k]);
      paths(x, [...prefix, k], out);
    }
  }
  return out;
}

function retype(v: unknown): unknown {
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 0;
  if (Array.isArray(v)) return v.length > 0 ? Object.fromEntries(v.map((x, i) => [String(i), x])) : 'none';
  if (v !== null && typeof v === 'object') return Object.values(v);
  return {};
}

/** An object or an array inside a sample, indexed by the keys paths() gives. */
type Holder = Record<string | number, unknown>;

/** A deep copy of `obj` with the mutations applied in turn. */
function mutate(obj: unknown, mutations: readonly Mutation[]): unknown {
  const root: { value: unknown } = { value: structuredClone(obj) };
  for (const m of mutations) {
    const all = paths(root.value);
    if (all.length === 0) break;
    const p = all[m.at % all.length]!;
    // Every step of a path but the last leads into an object or an array.
    let parent = root.value as Holder;
    for (const key of p.slice(0, -1)) parent = parent[key] as Holder;
    const key = p.at(-1)!;
    const current = parent[key];
    switch (m.op) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else Reflect.deleteProperty(parent, key);
        break;
      case 'null':
        parent[key] = null;
        break;
      case 'replace':
        parent[key] = structuredClone(m.value);
        break;
      case 'retype':
        parent[key] = retype(current);
        break;
      case 'empty':
        parent[key] = Array.isArray(current) ? [] : current !== null && typeof current === 'object' ? {} : '';
        break;
      case 'pad':
        parent[key] = Array.isArray(current)
          ? [...(current as unknown[]), structuredClone(m.value), structuredClone((current as unknown[])[0] ?? null)]
          : [current, structuredClone(m.value)];
        break;
      case 'addKey':
        if (current !== null && typeof current === 'object' && !Array.isArray(current))
          (current as Holder)[String(m.value).slice(0, 20) || 'k'] = structuredClone(m.value);
        else parent[key] = { value: current, extra: structuredClone(m.value) };
        break;
    }
  }
  return root.value;
}

/** A real object, mutated 0 to 6 times. */
const mutatedSample: fc.Arbitrary<Sample> = fc.tuple(fc.nat(), fc.array(mutation, { maxLength: 6 })).map(([i, ms]) => {
  const all = corpus();
  const s = all[i % all.length]!;
  const obj = mutate(s.obj, ms);
  // The loader guarantees an object with kind and metadata.name (or rejects the file): keep that shape.
  return { id: s.id, obj: (obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? obj : { value: obj }) as K8sObject };
});

/** Arbitrary JSON under a known kind: apiVersion, kind, and whatever else. */
const arbitrarySample: fc.Arbitrary<Sample> = fc
  .tuple(
    fc.constantFrom(...knownKinds().filter((k) => !k.dynamic)),
    fc.dictionary(fc.constantFrom('metadata', 'spec', 'status', 'webhooks', 'rules', 'subjects', 'roleRef', 'data', 'x'), hostileValue, { maxKeys: 5 }),
    fc.string({ minLength: 1, maxLength: 8 }),
    fc.option(fc.string({ maxLength: 8 })),
  )
  .map(([spec, fields, name, namespace]) => {
    const metadata = fields.metadata !== null && typeof fields.metadata === 'object' && !Array.isArray(fields.metadata) ? fields.metadata : {};
    return {
      id: spec.id,
      obj: {
        ...structuredClone(fields),
        apiVersion: spec.group ? `${spec.group}/${spec.versions[0]}` : spec.versions[0],
        kind: spec.kind,
        metadata: { ...metadata, name, ...(spec.namespaced && namespace !== null ? { namespace } : {}) },
      },
    };
  });

export const sample: fc.Arbitrary<Sample> = fc.oneof({ weight: 3, arbitrary: mutatedSample }, { weight: 1, arbitrary: arbitrarySample });

const STATUSES: KindStatus[] = ['forbidden', 'error', 'missing', 'not-served'];

/**
 * A whole fixture cluster (so that checks have their kinds and evaluate), with some of its objects
 * mutated, some arbitrary objects added, and a few kinds given another status than ok.
 */
export const inventory: fc.Arbitrary<{ inventory: Inventory; objects: number; mutated: number }> = fc
  .tuple(
    fc.nat(),
    fc.array(fc.tuple(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 5 })), { minLength: 1, maxLength: 10 }),
    fc.array(arbitrarySample, { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...knownKinds().map((k) => k.id)), fc.constantFrom(...STATUSES), { maxKeys: 2 }),
    fc.option(fc.constantFrom('v1.31.2', 'v1.24.0', 'garbage', '')),
  )
  .map(([c, mutations, extra, statuses, serverVersion]) => {
    const base = clusters()[c % clusters().length]!;
    const kinds = new Map<KindId, KindCollection>([...base.kinds].map(([id, col]) => [id, { ...col, items: [...col.items] }]));
    const okKinds = [...kinds].filter(([, col]) => col.items.length > 0);
    for (const [at, ms] of mutations) {
      const [, col] = okKinds[at % okKinds.length]!;
      const i = Math.floor(at / okKinds.length) % col.items.length;
      const obj = mutate(col.items[i], ms);
      col.items[i] = (obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? obj : { value: obj }) as K8sObject;
    }
    for (const { id, obj } of extra) {
      const col = kinds.get(id);
      if (col && col.status === 'ok') col.items.push(obj);
      else kinds.set(id, { status: 'ok', items: [obj] });
    }
    for (const [id, status] of Object.entries(statuses)) {
      if (status === 'missing') kinds.delete(id);
      else kinds.set(id, { status, items: [], reason: `${id} ${status} (generated)` });
    }
    const inv: Inventory = { source: base.source, kinds, locate: () => undefined };
    if (serverVersion) inv.serverVersion = serverVersion;
    const objects = [...kinds.values()].reduce((n, col) => n + col.items.length, 0);
    return { inventory: inv, objects, mutated: mutations.length + extra.length };
  });
