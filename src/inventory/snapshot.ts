import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { KpostureError } from '../errors.js';
import { kindId, kindSpec, knownKinds, splitApiVersion, type KindId } from '../k8s/kinds.js';
import { isRecord, refKey, type K8sObject, type ResourceRef } from '../k8s/object.js';
import type { Inventory, KindCollection, SourceLocation } from './inventory.js';
import { deriveDynamicKinds } from './dynamic-kinds.js';

/** Annotations kposture puts on the List it writes with `kposture snapshot`. */
export const SNAPSHOT_ANNOTATIONS = {
  serverVersion: 'kposture.dev/server-version',
  notServed: 'kposture.dev/not-served',
  context: 'kposture.dev/context',
} as const;

const CRD_KIND_IDS: KindId[] = knownKinds().filter((k) => !k.builtin).map((k) => k.id);
const MAX_FILE_BYTES = 512 * 1024 * 1024;
const SNAPSHOT_EXTENSIONS = new Set(['.json', '.yaml', '.yml']);

interface Doc {
  value: unknown;
  line: number;
}

interface Loaded {
  collections: Map<KindId, KindCollection>;
  locations: Map<string, SourceLocation>;
  notServed: Set<KindId>;
  serverVersion?: string;
}

/** Loads one or more snapshot files or directories into an inventory. */
export function loadSnapshot(paths: string[], cwd = process.cwd()): Inventory {
  const loaded: Loaded = { collections: new Map(), locations: new Map(), notServed: new Set() };
  const seen = new Set<string>();
  for (const p of paths) {
    for (const file of expand(path.resolve(cwd, p), p)) {
      const rel = path.relative(cwd, file).split(path.sep).join('/') || path.basename(file);
      for (const doc of readDocuments(file, rel)) {
        addTopLevel(doc.value, { file: rel, line: doc.line, where: '' }, loaded, seen);
      }
    }
  }
  inferNotServed(loaded);
  deriveDynamicKinds(loaded.collections);
  const inventory: Inventory = {
    source: { type: 'snapshot', paths: [...paths] },
    kinds: loaded.collections,
    locate: (ref: ResourceRef) => loaded.locations.get(refKey(ref)),
  };
  if (loaded.serverVersion) inventory.serverVersion = loaded.serverVersion;
  return inventory;
}

function expand(full: string, given: string): string[] {
  let stat;
  try {
    stat = statSync(full);
  } catch {
    throw new KpostureError('input', `snapshot ${given}: no such file or directory`, 'pass a file or folder written by `kubectl get … -o json` or `kposture snapshot`');
  }
  if (stat.isFile()) return [full];
  if (!stat.isDirectory()) throw new KpostureError('input', `snapshot ${given}: not a file or directory`);
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name, 'en'))) {
      const child = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() && SNAPSHOT_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) files.push(child);
    }
  };
  walk(full);
  if (files.length === 0) {
    throw new KpostureError('input', `snapshot ${given}: the folder holds no .json, .yaml or .yml file`);
  }
  return files;
}

function readDocuments(file: string, rel: string): Doc[] {
  const size = statSync(file).size;
  if (size > MAX_FILE_BYTES) {
    throw new KpostureError('input', `snapshot ${rel}: ${Math.round(size / 1048576)} MiB is larger than the ${MAX_FILE_BYTES / 1048576} MiB a snapshot file may be`, 'split it by kind, one file per `kubectl get` list');
  }
  const buf = readFileSync(file);
  if (buf.includes(0)) throw new KpostureError('input', `snapshot ${rel}: binary data, not JSON or YAML`);
  const text = buf.toString('utf8');
  const trimmed = text.trimStart();
  if (trimmed === '') throw new KpostureError('input', `snapshot ${rel}: the file is empty`);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return [{ value: JSON.parse(text), line: 1 }];
    } catch (err) {
      if (path.extname(file).toLowerCase() === '.json') {
        throw new KpostureError('input', `snapshot ${rel}: invalid JSON: ${(err as Error).message}`, 'write it again with `kubectl get … -o json`');
      }
      // Fall through: flow-style YAML also starts with a brace.
    }
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
  if (!Array.isArray(docs)) return [];
  const out: Doc[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      throw new KpostureError('input', `snapshot ${rel}${pos ? `:${pos.line}` : ''}: invalid YAML: ${error.message.split('\n')[0]}`, 'write it again with `kubectl get … -o yaml`');
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const start = doc.contents?.range?.[0] ?? 0;
    out.push({ value, line: lines.linePos(start).line });
  }
  return out;
}

interface Where {
  file: string;
  line: number;
  /** JSON path of the current object inside the document, for error messages. */
  where: string;
}

function fail(at: Where, field: string, problem: string): never {
  const loc = at.where ? `${at.where}.${field}` : field;
  throw new KpostureError('input', `snapshot ${at.file}: field ${loc} ${problem}`, 'expected objects as `kubectl get … -o json|yaml` prints them');
}

function addTopLevel(value: unknown, at: Where, loaded: Loaded, seen: Set<string>): void {
  if (!isRecord(value)) fail(at, '(document)', 'must be a Kubernetes object or list');
  addAny(value, at, loaded, seen, undefined);
}

function addAny(value: Record<string, unknown>, at: Where, loaded: Loaded, seen: Set<string>, listGroup: string | undefined): void {
  const kind = value.kind;
  if (typeof kind !== 'string' || kind === '') fail(at, 'kind', 'must be a non-empty string');
  const apiVersion = value.apiVersion;
  if (apiVersion !== undefined && typeof apiVersion !== 'string') fail(at, 'apiVersion', 'must be a string');
  const group = apiVersion !== undefined ? splitApiVersion(apiVersion).group : (listGroup ?? '');

  if (kind === 'List' || (kind.endsWith('List') && 'items' in value)) {
    readListAnnotations(value, loaded);
    const items = value.items;
    if (items === undefined || items === null) {
      if (kind === 'List') return;
    } else if (!Array.isArray(items)) {
      fail(at, 'items', 'must be an array');
    }
    const typed = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    if (typed) ensureCollection(loaded, kindId(group, typed));
    for (const [i, item] of (Array.isArray(items) ? items : []).entries()) {
      const itemAt = { ...at, where: `${at.where ? `${at.where}.` : ''}items[${i}]` };
      if (!isRecord(item)) fail(itemAt, '(item)', 'must be an object');
      if (typed) {
        addObject(item, typed, group, itemAt, loaded, seen);
      } else {
        addAny(item, itemAt, loaded, seen, undefined);
      }
    }
    return;
  }
  addObject(value, kind, group, at, loaded, seen);
}

function readListAnnotations(list: Record<string, unknown>, loaded: Loaded): void {
  const annotations = isRecord(list.metadata) && isRecord(list.metadata.annotations) ? list.metadata.annotations : {};
  const version = annotations[SNAPSHOT_ANNOTATIONS.serverVersion];
  if (typeof version === 'string' && version) loaded.serverVersion = version;
  const notServed = annotations[SNAPSHOT_ANNOTATIONS.notServed];
  if (typeof notServed === 'string') {
    for (const id of notServed.split(',').map((s) => s.trim()).filter(Boolean)) loaded.notServed.add(id);
  }
}

function ensureCollection(loaded: Loaded, id: KindId): KindCollection {
  let c = loaded.collections.get(id);
  if (!c) {
    c = { status: 'ok', items: [] };
    loaded.collections.set(id, c);
  }
  return c;
}

function addObject(
  obj: Record<string, unknown>,
  kind: string,
  group: string,
  at: Where,
  loaded: Loaded,
  seen: Set<string>,
): void {
  validateMetadata(obj, at);
  // Secrets are never read: a snapshot that holds them is accepted, their data is dropped unseen.
  if (group === '' && kind === 'Secret') return;
  const id = kindId(group, kind);
  const collection = ensureCollection(loaded, id);
  const meta = obj.metadata as Record<string, unknown>;
  const ref: ResourceRef = { kind, name: meta.name as string };
  if (typeof meta.namespace === 'string' && meta.namespace !== '') ref.namespace = meta.namespace;
  const key = `${id}|${refKey(ref)}`;
  if (seen.has(key)) return; // the same object in two files: the first one wins
  seen.add(key);
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : defaultApiVersion(group, id);
  collection.items.push({ ...obj, apiVersion, kind } as K8sObject);
  loaded.locations.set(refKey(ref), { uri: at.file, startLine: at.line });
}

function defaultApiVersion(group: string, id: KindId): string {
  const version = kindSpec(id)?.versions[0] ?? 'v1';
  return group ? `${group}/${version}` : version;
}

function validateMetadata(obj: Record<string, unknown>, at: Where): void {
  const meta = obj.metadata;
  if (!isRecord(meta)) fail(at, 'metadata', 'must be an object');
  if (typeof meta.name !== 'string' || meta.name === '') fail(at, 'metadata.name', 'must be a non-empty string');
  if (meta.namespace !== undefined && typeof meta.namespace !== 'string') fail(at, 'metadata.namespace', 'must be a string');
  for (const key of ['labels', 'annotations'] as const) {
    const map = meta[key];
    if (map === undefined || map === null) continue;
    if (!isRecord(map)) fail(at, `metadata.${key}`, 'must be a map of strings');
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string') fail(at, `metadata.${key}.${k}`, 'must be a string');
    }
  }
}

/**
 * A CRD-backed kind absent from the snapshot is `not-served` when the snapshot lists
 * CRDs and none defines it (a fact); otherwise it stays missing (unknown).
 */
function inferNotServed(loaded: Loaded): void {
  for (const id of loaded.notServed) {
    if (!loaded.collections.has(id)) loaded.collections.set(id, { status: 'not-served', items: [] });
  }
  const crds = loaded.collections.get('CustomResourceDefinition.apiextensions.k8s.io');
  if (!crds || crds.status !== 'ok') return;
  const defined = new Set<string>();
  for (const crd of crds.items) {
    const spec = isRecord(crd.spec) ? crd.spec : {};
    const names = isRecord(spec.names) ? spec.names : {};
    if (typeof spec.group === 'string' && typeof names.kind === 'string') defined.add(kindId(spec.group, names.kind));
  }
  return markUndefinedCrdKinds(loaded, defined);
}

function markUndefinedCrdKinds(loaded: Loaded, defined: Set<string>): void {
  for (const id of CRD_KIND_IDS) {
    if (!loaded.collections.has(id) && !defined.has(id)) {
      loaded.collections.set(id, { status: 'not-served', items: [] });
    }
  }
}

