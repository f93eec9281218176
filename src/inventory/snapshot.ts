import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { KpostureError } from '../errors.js';
import { MAX_YAML_ALIASES } from '../util/yaml.js';
import { isForbiddenKind, kindId, knownKinds, splitApiVersion, type KindId } from '../k8s/kinds.js';
import { MAX_OBJECT_DEPTH, TOO_DEEP, describeObject, isTooDeep } from '../k8s/depth.js';
import { isRecord, type K8sObject, type ResourceRef } from '../k8s/object.js';
import { neverRead, type Inventory, type InventorySource, type KindCollection, type SourceLocation } from '../k8s/inventory.js';
import { deriveDynamicKinds } from './dynamic-kinds.js';
import { BinaryDataError, JsonSyntaxError, readJsonItems, startsLikeJson, type ListHandler } from './json-items.js';
import { wholeObjects, type Projection } from '../k8s/slim.js';
import { appendTo } from '../util/collections.js';
import { isListKind, itemKind, metadataProblem, typedObject } from './snapshot-objects.js';
import { ItemDecoders, ParallelReadFailed, defaultItemWorkers, type DecodedItems, type ItemDecoderStats } from './item-decoders.js';

/** Annotations kposture puts on the List it writes with `kposture snapshot`. */
export const SNAPSHOT_ANNOTATIONS = {
  serverVersion: 'kposture.dev/server-version',
  notServed: 'kposture.dev/not-served',
  context: 'kposture.dev/context',
} as const;

const CRD_KIND_IDS: KindId[] = knownKinds()
  .filter((k) => !k.builtin)
  .map((k) => k.id);
/**
 * JSON files are read item by item (see json-items.ts), whatever their size. Other files are
 * parsed whole, as one string: a V8 string holds at most ~512 MiB, and a YAML tree takes many
 * times the file's size in memory.
 */
const MAX_WHOLE_FILE_BYTES = 512 * 1024 * 1024;
const SNAPSHOT_EXTENSIONS = new Set(['.json', '.yaml', '.yml']);

export interface Doc {
  value: unknown;
  line: number;
  /** The document's place in its file, 1 for the first (empty documents counted). */
  index: number;
}

interface Loaded {
  collections: Map<KindId, KindCollection>;
  /**
   * Per kind and namespace ('' for cluster-scoped objects), where each object was read, by name:
   * the locations reports point to, and what was read already (the same object in two files: the
   * first one wins). Keyed by the object's own name string, so the index costs no new strings.
   */
  located: Map<KindId, Map<string, Map<string, SourceLocation>>>;
  notServed: Set<KindId>;
  serverVersion?: string;
  project: Projection;
  /** Worker threads that parse the file's items, for the file being read (large files only). */
  decoders?: ItemDecoders;
  /** Objects read so far and files done, told to `onProgress` now and then. */
  progress: SnapshotProgress;
  onProgress?: (progress: SnapshotProgress) => void;
}

/** How far a snapshot read has got: for the progress line of a long read. */
export interface SnapshotProgress {
  files: number;
  filesDone: number;
  objects: number;
}

/** Objects between two progress reports within a file (and one after each file). */
const PROGRESS_EVERY = 10_000;

export interface SnapshotOptions {
  /**
   * What is kept of each object (default: all of it). The audit passes the slim projection, so
   * that the largest clusters fit in memory; it is applied to each object as it is read.
   */
  project?: Projection;
  /**
   * Large JSON files have their items (those of typed lists, and those of a `List` that say their
   * own kind) parsed and reduced to slim records by worker threads, and by the main thread while
   * they have their fill (item-decoders.ts); pass it with the slim projection as `project`, so
   * that every record is slim. Smaller files, and anything the workers cannot take as it is, are
   * read on the main thread alone, with the same result.
   */
  slimInWorkers?: {
    workers?: number;
    minBytes?: number;
    /** Bytes of items per batch (default 1 MiB). */
    batchBytes?: number;
    /** Told, after each file read in parallel, how many batches it took and how many the main thread decoded. */
    onStats?: (stats: ItemDecoderStats) => void;
    /** Told why, when the workers could not finish and the files are read again on the main thread. */
    onFallback?: (why: string) => void;
  };
  /** Told how far the read has got: after each file, and every 10,000 objects within one. */
  onProgress?: (progress: SnapshotProgress) => void;
}

/**
 * Files from this size on are worth starting worker threads for: below it they save little or no
 * time and cost memory; above it they pay off more as the file grows
 * (docs/performance.md#item-decoders-large-files-on-every-core; the runs are in bench/HISTORY.md).
 */
const DEFAULT_MIN_PARALLEL_BYTES = 256 * 1024 * 1024;

/** Loads one or more snapshot files or directories into an inventory. */
export function loadSnapshot(paths: string[], cwd = process.cwd(), options: SnapshotOptions = {}): Inventory {
  if (options.slimInWorkers) {
    try {
      return load(paths, cwd, options, options.slimInWorkers);
    } catch (err) {
      if (!(err instanceof ParallelReadFailed)) throw err;
      // Whatever stopped the parallel read (a file the workers could not take as it is, or an
      // error in the file, found while earlier items were still with the workers), reading on
      // the main thread either succeeds or reports the first problem in file order, exactly as
      // without workers.
      options.slimInWorkers.onFallback?.(err.message);
    }
  }
  return load(paths, cwd, options, undefined);
}

function load(paths: string[], cwd: string, options: SnapshotOptions, parallel: SnapshotOptions['slimInWorkers']): Inventory {
  const loaded = createIntake(options.project ?? wholeObjects, options.onProgress);
  const files: string[] = [];
  // Every path is expanded first: the progress line counts the files to read.
  const expanded = paths.map((p) => expand(path.resolve(cwd, p), p));
  loaded.progress.files = expanded.reduce((n, found) => n + found.length, 0);
  for (const found of expanded) {
    for (const file of found) {
      const rel = path.relative(cwd, file).split(path.sep).join('/') || path.basename(file);
      files.push(rel);
      if (path.extname(file).toLowerCase() === '.json' && startsLikeJson(file)) {
        const decoders =
          parallel && statSync(file).size >= (parallel.minBytes ?? DEFAULT_MIN_PARALLEL_BYTES)
            ? new ItemDecoders(file, {
                workers: parallel.workers ?? defaultItemWorkers(),
                local: loaded.project,
                ...(parallel.batchBytes ? { batchBytes: parallel.batchBytes } : {}),
              })
            : undefined;
        try {
          if (decoders) loaded.decoders = decoders;
          streamJsonFile(file, rel, loaded);
          if (decoders) {
            decoders.drain();
            parallel?.onStats?.(decoders.stats);
          }
          fileDone(loaded);
        } catch (err) {
          if (!decoders || err instanceof ParallelReadFailed) throw err;
          throw new ParallelReadFailed(err instanceof Error ? err.message : String(err));
        } finally {
          decoders?.close();
          delete loaded.decoders;
        }
        continue;
      }
      for (const doc of readDocuments(file, rel)) {
        addTopLevel(doc.value, { file: rel, line: doc.line, where: '', level: 1 }, loaded);
      }
      fileDone(loaded);
    }
  }
  inferNotServed(loaded);
  deriveDynamicKinds(loaded.collections);
  return intakeInventory(loaded, { type: 'snapshot', paths: [...paths] }, files);
}

/**
 * Objects taken in one at a time, by the snapshot loader's rules (what a document may hold, how
 * an object's metadata is checked, Secrets dropped unseen, the first of two same objects kept,
 * where each was read), for a reader of other inputs (inventory/manifests.ts).
 */
export type Intake = Loaded;

export function createIntake(project: Projection, onProgress?: (progress: SnapshotProgress) => void): Intake {
  return {
    collections: new Map(),
    located: new Map(),
    notServed: new Set(),
    project,
    progress: { files: 0, filesDone: 0, objects: 0 },
    ...(onProgress ? { onProgress } : {}),
  };
}

/**
 * One document, an object or a list of them, read at `file`:`line`; `named` is how errors name
 * it (default `snapshot FILE`).
 */
export function addDocument(value: unknown, at: { file: string; line: number; named?: string }, intake: Intake): void {
  addTopLevel(value, { ...at, where: '', level: 1 }, intake);
}

/** The collections taken in so far, by kind: a reader may add the ones its input implies. */
export function intakeCollections(intake: Intake): Map<KindId, KindCollection> {
  return intake.collections;
}

export function intakeInventory(intake: Intake, source: InventorySource, files: string[]): Inventory {
  const inventory: Inventory = { source, kinds: intake.collections, locate: locator(intake.located), files };
  if (intake.serverVersion) inventory.serverVersion = intake.serverVersion;
  return inventory;
}

function expand(full: string, given: string): string[] {
  let stat;
  try {
    stat = statSync(full);
  } catch {
    throw new KpostureError(
      'input',
      `snapshot ${given}: no such file or directory`,
      'pass a file or folder written by `kubectl get … -o json` or `kposture snapshot`',
    );
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
  if (size > MAX_WHOLE_FILE_BYTES) {
    throw new KpostureError(
      'input',
      `snapshot ${rel}: ${Math.round(size / 1048576)} MiB is larger than the ${MAX_WHOLE_FILE_BYTES / 1048576} MiB a YAML snapshot file may be`,
      'write it as JSON in a .json file (`kubectl get … -o json`), which is read item by item whatever its size, or split it by kind',
    );
  }
  const buf = readFileSync(file);
  if (buf.includes(0)) throw new KpostureError('input', `snapshot ${rel}: binary data, not JSON or YAML`);
  const text = buf.toString('utf8');
  const trimmed = text.trimStart();
  if (trimmed === '') throw new KpostureError('input', `snapshot ${rel}: the file is empty`);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return [{ value: JSON.parse(text), line: 1, index: 1 }];
    } catch (err) {
      if (path.extname(file).toLowerCase() === '.json') {
        throw new KpostureError('input', `snapshot ${rel}: invalid JSON: ${(err as Error).message}`, 'write it again with `kubectl get … -o json`');
      }
      // Fall through: flow-style YAML also starts with a brace.
    }
  }
  return parseYamlDocuments(text, (_doc, line) => `snapshot ${rel}${line ? `:${line}` : ''}`, 'write it again with `kubectl get … -o yaml`');
}

/**
 * The documents of a YAML text, empty ones left out, each with the line it starts on and its
 * place among the documents (1 for the first). A document that does not parse stops the read
 * with one line: `where(doc, line)` names it, `hint` says what to do.
 */
export function parseYamlDocuments(text: string, where: (doc: number, line: number | undefined) => string, hint: string): Doc[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
  if (!Array.isArray(docs)) return [];
  const out: Doc[] = [];
  for (const [i, doc] of docs.entries()) {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      // The parser recurses once per level of nesting: past a few hundred, it runs out of stack.
      if (error.message.startsWith('Maximum call stack size exceeded')) {
        throw new KpostureError('input', `${where(i + 1, pos?.line)}: invalid YAML: a value nests too deeply for the YAML parser`, TOO_DEEP_HINT);
      }
      throw new KpostureError('input', `${where(i + 1, pos?.line)}: invalid YAML: ${error.message.split('\n')[0]}`, hint);
    }
    const start = doc.contents?.range[0] ?? 0;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (err) {
      // An alias bomb ("billion laughs"): the yaml library refuses to expand it.
      throw new KpostureError('input', `${where(i + 1, lines.linePos(start).line)}: invalid YAML: ${(err as Error).message.split('\n')[0]}`, hint);
    }
    if (value === null || value === undefined) continue;
    out.push({ value, line: lines.linePos(start).line, index: i + 1 });
  }
  return out;
}

interface Where {
  file: string;
  line: number;
  /** How messages name the input: `snapshot FILE` unless set (`manifests FILE document 3`). */
  named?: string;
  /** JSON path of the current object inside the document, for error messages. */
  where: string;
  /** How deep the current object sits in the document: 1 at the top, 3 for an item of a list. */
  level: number;
}

/**
 * A JSON snapshot read incrementally: each item is checked, projected and added as soon as it
 * is parsed, so that only the slim records stay in memory.
 */
function streamJsonFile(file: string, rel: string, loaded: Loaded): void {
  const at: Where = { file: rel, line: 1, where: '', level: 1 };
  try {
    readJsonItems(file, {
      value: (value) => addTopLevel(value, at, loaded),
      openList: (head) => new StreamedList(head, at, loaded),
      isListKind,
    });
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      const inside = err.where ? `, in ${err.where}` : '';
      throw new KpostureError(
        'input',
        `snapshot ${rel}: invalid JSON: ${err.message} (byte ${err.offset}${inside})`,
        'write it again with `kubectl get … -o json`',
      );
    }
    if (err instanceof BinaryDataError) throw new KpostureError('input', `snapshot ${rel}: binary data, not JSON or YAML`);
    throw err;
  }
}

function itemWhere(at: Where, index: number): Where {
  return { ...at, where: `${at.where ? `${at.where}.` : ''}items[${index}]`, level: at.level + 2 };
}

/**
 * A list whose items arrive one at a time, with the same rules addAny applies to a whole list.
 * `kubectl get -o json` writes `kind` after `items` (its keys are sorted): until the kind is
 * known, items are read as a `List`'s, which is what kubectl writes. An item without a kind of
 * its own (a typed list whose keys were sorted, e.g. by `jq -S`) waits for the list's, and so
 * do the items after it, whole: such a file is held in memory until its kind is read. When the
 * kind turns out to be a typed list, each item read ahead must be of that kind and group (a
 * PodList of Deployments is refused rather than relabelled).
 */
class StreamedList implements ListHandler {
  nested = true;
  private kind: string | undefined;
  private group = '';
  private typed: string | undefined;
  /** Items read before the kind was known: the first index of each kind/group seen. */
  private readAhead = new Map<string, { kind: string; group: string; index: number }>();
  /** Items waiting for the list's kind, and the lists among them whose first error (if any) waits too. */
  private waiting: ({ item: Record<string, unknown>; index: number } | { list: { error?: Error } })[] = [];
  private nestedListAt: number | undefined;

  constructor(
    head: Record<string, unknown>,
    private readonly at: Where,
    private readonly loaded: Loaded,
  ) {
    checkListLevel(at);
    if ('kind' in head) this.setKind(head);
    else checkApiVersion(head, at);
  }

  private setKind(fields: Record<string, unknown>): void {
    const kind = fields.kind;
    if (typeof kind !== 'string' || kind === '') fail(this.at, 'kind', 'must be a non-empty string');
    checkApiVersion(fields, this.at);
    if (!isListKind(kind)) fail(this.at, 'kind', `is ${kind}, which is not a list, but the object has items before it`);
    this.kind = kind;
    this.group = typeof fields.apiVersion === 'string' ? splitApiVersion(fields.apiVersion).group : '';
    this.typed = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    if (this.typed) ensureCollection(this.loaded, kindId(this.group, this.typed));
    // Objects in a typed list are never lists themselves: they can be read without a look inside.
    this.nested = this.typed === undefined;
  }

  /** Items go to the worker threads, when there are any (large files). */
  get range(): ((start: number, end: number, index: number) => void) | undefined {
    return this.loaded.decoders ? this.rangeOf : undefined;
  }

  /** Items that say their own kind go to the workers unless the list must hold them until its kind is known. */
  takesRange(kind: unknown): boolean {
    return typeof kind === 'string' && kind !== '' && this.waiting.length === 0;
  }

  private readonly rangeOf = (start: number, end: number, index: number): void => {
    if (this.typed) this.loaded.decoders!.add(start, end, index, this.typed, this.group, this.deliverTyped);
    else this.loaded.decoders!.add(start, end, index, undefined, '', this.deliverOwn);
  };

  /** Records of a typed list's items from the workers, in file order: still to be located and kept. */
  private readonly deliverTyped = ({ records }: DecodedItems): void => {
    const id = kindId(this.group, this.typed!);
    for (const record of records as K8sObject[]) collect(this.loaded, id, record.metadata, this.at)?.items.push(record);
  };

  /** Records of items that said their own kind, as `item` would have added them. */
  private readonly deliverOwn = ({ records, kinds }: DecodedItems, indexes: readonly number[]): void => {
    if (this.kind === undefined) (kinds ?? []).forEach(({ kind, group }, i) => this.noteReadAhead(kind, group, indexes[i]!));
    for (const { kind, group } of kinds ?? []) if (isForbiddenKind(group, kind)) ensureCollection(this.loaded, kindId(group, kind));
    for (const record of records as K8sObject[]) {
      const id = kindId(splitApiVersion(record.apiVersion as string).group, record.kind as string);
      collect(this.loaded, id, record.metadata, this.at)?.items.push(record);
    }
  };

  /** An item of this kind and group was read before the list's own kind was known. */
  private noteReadAhead(kind: string, group: string, index: number): void {
    const key = `${kind}|${group}`;
    if (!this.readAhead.has(key)) this.readAhead.set(key, { kind, group, index });
  }

  item(value: unknown, index: number): void {
    // Items still with the workers come first.
    if (this.loaded.decoders?.busy) this.loaded.decoders.drain();
    const itemAt = itemWhere(this.at, index);
    if (!isRecord(value)) fail(itemAt, '(item)', 'must be an object');
    if (this.kind !== undefined) {
      if (this.typed) addItem(value, { kind: this.typed, group: this.group }, itemAt, this.loaded);
      else addAny(value, itemAt, this.loaded);
      return;
    }
    const kind = value.kind;
    // Once one item waits, the ones after it wait too: items are added in the file's order.
    if (typeof kind !== 'string' || kind === '' || this.waiting.length > 0) {
      this.waiting.push({ item: value, index });
      return;
    }
    this.noteReadAhead(kind, typeof value.apiVersion === 'string' ? splitApiVersion(value.apiVersion).group : '', index);
    addAny(value, itemAt, this.loaded);
  }

  openList(index: number, head: Record<string, unknown>): ListHandler {
    // Items still with the workers come before those of the list opening here.
    if (this.loaded.decoders?.busy) this.loaded.decoders.drain();
    this.nestedListAt ??= index;
    const nested = new StreamedList(head, itemWhere(this.at, index), this.loaded);
    if (this.waiting.length === 0) return nested;
    // Items before this list wait for this list's kind: an error inside the nested list is
    // reported after theirs, in the file's order, as a reading of the whole file would.
    const list: { error?: Error } = {};
    this.waiting.push({ list });
    return new ErrorsDeferred(nested, list);
  }

  close(fields: Record<string, unknown>): void {
    // Items still with the workers come before anything read after this list.
    if (this.loaded.decoders?.busy) this.loaded.decoders.drain();
    if (this.kind === undefined) {
      this.setKind(fields);
      if (this.typed) {
        const listKind = this.kind!;
        if (this.nestedListAt !== undefined) fail(itemWhere(this.at, this.nestedListAt), '(item)', `is a list, but ${listKind} holds ${this.typed} objects`);
        for (const seen of this.readAhead.values()) {
          if (seen.kind !== this.typed || seen.group !== this.group) {
            fail(
              itemWhere(this.at, seen.index),
              'kind',
              `is ${seen.kind}${seen.group ? ` (${seen.group})` : ''}, but the list is a ${listKind}${this.group ? ` (${this.group})` : ''}`,
            );
          }
        }
      }
      const waiting = this.waiting;
      this.waiting = [];
      for (const w of waiting) {
        if ('list' in w) {
          if (w.list.error !== undefined) throw w.list.error;
        } else {
          this.item(w.item, w.index);
        }
      }
    }
    readListAnnotations(fields, this.loaded);
  }
}

/** What is left of a list after its error: nothing more is read into the inventory. */
const IGNORED: ListHandler = {
  nested: true,
  item: () => undefined,
  openList: () => IGNORED,
  close: () => undefined,
};

/** A nested list whose first error is kept for its parent to throw in the file's order; later events are ignored. */
class ErrorsDeferred implements ListHandler {
  constructor(
    private readonly inner: ListHandler,
    private readonly list: { error?: Error },
  ) {}

  get nested(): boolean {
    return this.inner.nested;
  }

  item(value: unknown, index: number): void {
    this.guard(() => this.inner.item(value, index));
  }

  openList(index: number, head: Record<string, unknown>): ListHandler {
    let opened: ListHandler = IGNORED;
    this.guard(() => (opened = new ErrorsDeferred(this.inner.openList(index, head), this.list)));
    return opened;
  }

  close(fields: Record<string, unknown>): void {
    this.guard(() => this.inner.close(fields));
  }

  private guard(event: () => void): void {
    if (this.list.error !== undefined) return;
    try {
      event();
    } catch (err) {
      this.list.error = err instanceof Error ? err : new Error(String(err));
    }
  }
}

function checkApiVersion(value: Record<string, unknown>, at: Where): void {
  if (value.apiVersion !== undefined && typeof value.apiVersion !== 'string') fail(at, 'apiVersion', 'must be a string');
}

function fail(at: Where, field: string, problem: string): never {
  const loc = at.where ? `${at.where}.${field}` : field;
  throw new KpostureError('input', `${inputName(at)}: field ${loc} ${problem}`, 'expected objects as `kubectl get … -o json|yaml` prints them');
}

function tooDeep(at: Where, obj: Record<string, unknown>): never {
  throw new KpostureError('input', `${inputName(at)}: ${describeObject(obj)}${at.where ? ` (${at.where})` : ''} ${TOO_DEEP}`, TOO_DEEP_HINT);
}

/** Lists inside lists are read by recursion too: they are held to the limit objects are held to. */
function checkListLevel(at: Where): void {
  if (at.level > MAX_OBJECT_DEPTH) throw new KpostureError('input', `${inputName(at)}: a list inside lists ${TOO_DEEP}`, TOO_DEEP_HINT);
}

function inputName(at: Where): string {
  return at.named ?? `snapshot ${at.file}`;
}

const TOO_DEEP_HINT = `kposture reads objects up to ${MAX_OBJECT_DEPTH} levels deep, and Kubernetes objects nest far less: check what wrote the file`;

function addTopLevel(value: unknown, at: Where, loaded: Loaded): void {
  if (!isRecord(value)) fail(at, '(document)', 'must be a Kubernetes object or list');
  addAny(value, at, loaded);
}

/** A document, or an item of a `List`: an object or a list that says its own kind. */
function addAny(value: Record<string, unknown>, at: Where, loaded: Loaded): void {
  const own = itemKind(value, undefined);
  if (Array.isArray(own)) fail(at, own[0], own[1]);
  const { kind, group } = own;

  if (kind === 'List' || (kind.endsWith('List') && 'items' in value)) {
    checkListLevel(at);
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
      const itemAt = itemWhere(at, i);
      if (!isRecord(item)) fail(itemAt, '(item)', 'must be an object');
      if (typed) addItem(item, { kind: typed, group }, itemAt, loaded);
      else addAny(item, itemAt, loaded);
    }
    return;
  }
  addObject(value, kind, group, at, loaded);
}

/** An item of a typed list, by the loader's one rule for items (itemKind). */
function addItem(item: Record<string, unknown>, list: { kind: string; group: string }, at: Where, loaded: Loaded): void {
  const own = itemKind(item, list);
  if (Array.isArray(own)) fail(at, own[0], own[1]);
  addObject(item, own.kind, own.group, at, loaded);
}

function readListAnnotations(list: Record<string, unknown>, loaded: Loaded): void {
  const annotations = isRecord(list.metadata) && isRecord(list.metadata.annotations) ? list.metadata.annotations : {};
  const version = annotations[SNAPSHOT_ANNOTATIONS.serverVersion];
  if (typeof version === 'string' && version) loaded.serverVersion = version;
  const notServed = annotations[SNAPSHOT_ANNOTATIONS.notServed];
  if (typeof notServed === 'string') {
    for (const id of notServed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      loaded.notServed.add(id);
  }
}

/**
 * The collection objects of kind `id` go to. A kind kposture never reads (Secrets) is not one a
 * snapshot can make known, even empty: it is reported as live reports it (`neverRead`), and
 * nothing is ever added to it.
 */
function ensureCollection(loaded: Loaded, id: KindId): KindCollection {
  let c = loaded.collections.get(id);
  if (!c) {
    c = neverRead(id) ?? { status: 'ok', items: [] };
    loaded.collections.set(id, c);
  }
  return c;
}

function addObject(obj: Record<string, unknown>, kind: string, group: string, at: Where, loaded: Loaded): void {
  validateMetadata(obj, at);
  // Secrets are never read: a snapshot that holds them is accepted, their data is dropped unseen.
  if (isForbiddenKind(group, kind)) {
    ensureCollection(loaded, kindId(group, kind));
    return;
  }
  if (isTooDeep(obj)) tooDeep(at, { ...obj, kind });
  const { id, typed } = typedObject(obj, kind, group);
  collect(loaded, id, obj.metadata, at)?.items.push(loaded.project(id, typed));
}

/**
 * The collection an object of kind `id` named in `meta` (checked already) goes to, with where it
 * was read recorded; undefined when it was read before (the same object in two files: the first
 * one wins). The collection exists either way.
 */
function collect(loaded: Loaded, id: KindId, metadata: unknown, at: Where): KindCollection | undefined {
  const collection = ensureCollection(loaded, id);
  const meta = metadata as Record<string, unknown>;
  const name = meta.name as string;
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  let byNamespace = loaded.located.get(id);
  if (!byNamespace) loaded.located.set(id, (byNamespace = new Map<string, Map<string, SourceLocation>>()));
  let byName = byNamespace.get(namespace);
  if (!byName) byNamespace.set(namespace, (byName = new Map<string, SourceLocation>()));
  if (byName.has(name)) return undefined;
  byName.set(name, locationOf(at));
  if (++loaded.progress.objects % PROGRESS_EVERY === 0) loaded.onProgress?.({ ...loaded.progress });
  return collection;
}

function fileDone(loaded: Loaded): void {
  loaded.progress.filesDone++;
  loaded.onProgress?.({ ...loaded.progress });
}

/** Finds where an object was read from its kind, namespace and name (reports carry no group). */
function locator(located: Loaded['located']): (ref: ResourceRef) => SourceLocation | undefined {
  const byKind = new Map<string, Map<string, Map<string, SourceLocation>>[]>();
  for (const [id, objects] of located) {
    const dot = id.indexOf('.');
    const kind = dot < 0 ? id : id.slice(0, dot);
    appendTo(byKind, kind, objects);
  }
  return (ref) => {
    for (const objects of byKind.get(ref.kind) ?? []) {
      const location = objects.get(ref.namespace ?? '')?.get(ref.name);
      if (location) return location;
    }
    return undefined;
  };
}

/** One location object per file and line, shared by the objects found there. */
const locationCache = new Map<string, SourceLocation>();
function locationOf(at: Where): SourceLocation {
  const key = `${at.line}:${at.file}`;
  let location = locationCache.get(key);
  if (!location) {
    if (locationCache.size > 10_000) locationCache.clear();
    location = { uri: at.file, startLine: at.line };
    locationCache.set(key, location);
  }
  return location;
}

function validateMetadata(obj: Record<string, unknown>, at: Where): void {
  const problem = metadataProblem(obj);
  if (problem) fail(at, ...problem);
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
