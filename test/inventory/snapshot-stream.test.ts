/**
 * JSON snapshots are read item by item (src/inventory/json-items.ts). Two oracles:
 * - for the reader, JSON.parse of the whole text: the values handed out, put back together,
 *   must equal it, whatever the formatting and wherever chunk boundaries fall;
 * - for the loader, the whole-file path: the same text in a `.yaml` file is JSON.parse'd whole
 *   and goes through the same rules, so both inventories must be equal.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KpostureError } from '../../src/errors.js';
import { collectionOf, type Inventory } from '../../src/k8s/inventory.js';
import { JsonSyntaxError, readJsonItems, type ListHandler } from '../../src/inventory/json-items.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import type { ItemDecoderStats } from '../../src/inventory/item-decoders.js';
import { slimProjection } from '../../src/k8s/slim.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { refKey, refOf } from '../../src/k8s/object.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-stream-'));
let serial = 0;
function fileWith(text: string | Buffer, ext = '.json'): string {
  const file = path.join(dir, `f${serial++}${ext}`);
  writeFileSync(file, text);
  return file;
}

const isListKind = (kind: unknown): boolean => typeof kind === 'string' && kind.endsWith('List');

/** Reads a file with readJsonItems and puts the value back together (key order aside). */
function rebuild(file: string, chunkBytes?: number): unknown {
  let doc: unknown;
  const open = (head: Record<string, unknown>): { handler: ListHandler; result: Record<string, unknown> } => {
    const result: Record<string, unknown> = {};
    const items: unknown[] = [];
    const handler: ListHandler = {
      // Typed lists take the reader's fast path; the others look inside each element.
      nested: !(isListKind(head.kind) && head.kind !== 'List'),
      item: (value, index) => {
        expect(index).toBe(items.length);
        items.push(value);
      },
      openList: (index, h) => {
        expect(index).toBe(items.length);
        const sub = open(h);
        items.push(sub.result);
        return sub.handler;
      },
      close: (fields) => {
        for (const [k, v] of Object.entries(head)) expect(fields[k]).toEqual(v);
        Object.assign(result, fields);
        result.items = items;
      },
    };
    return { handler, result };
  };
  readJsonItems(
    file,
    {
      value: (v) => {
        doc = v;
      },
      openList: (head) => {
        const top = open(head);
        doc = top.result;
        return top.handler;
      },
      isListKind,
    },
    chunkBytes ? { chunkBytes } : {},
  );
  return doc;
}

/** Formattings a JSON writer may produce. */
const FORMATS: { name: string; format: (value: unknown) => string }[] = [
  { name: 'compact', format: (v) => JSON.stringify(v) },
  { name: 'indent 1', format: (v) => JSON.stringify(v, null, 1) },
  { name: 'indent 2', format: (v) => `${JSON.stringify(v, null, 2)}\n` },
  { name: 'indent 4 (kubectl)', format: (v) => `${JSON.stringify(v, null, 4)}\n` },
  { name: 'tabs', format: (v) => JSON.stringify(v, null, '\t') },
  { name: 'CRLF', format: (v) => JSON.stringify(v, null, 2).replace(/\n/g, '\r\n') },
  { name: 'BOM', format: (v) => `\ufeff${JSON.stringify(v, null, 2)}` },
  { name: 'surrounding whitespace', format: (v) => ` \n\t${JSON.stringify(v, null, 3)}\r\n\n ` },
];

// Strings full of what a careless scanner would take for structure.
const tricky = fc.string({
  unit: fc.constantFrom('a', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '\t', 'é', '😀', '/', '\u0000', '\u2028'),
  maxLength: 10,
});
const scalar = fc.oneof(tricky, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const value = fc.oneof({ maxDepth: 3 }, scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(tricky, scalar, { maxKeys: 3 }));
const kind = fc.oneof(fc.constantFrom('List', 'PodList', 'NamespaceList', 'Pod', 'Namespace', ''), fc.integer());
const member = fc.oneof(
  fc.tuple(fc.constant('kind'), kind),
  fc.tuple(fc.constantFrom('apiVersion', 'metadata', 'spec', 'items '), value),
  fc.tuple(tricky, value),
);

interface Doc {
  [key: string]: unknown;
}

/** Objects with `items` arrays at any depth, members in any order around them. */
const listDoc: fc.Arbitrary<Doc> = fc.letrec<{ list: Doc; element: unknown }>((tie) => ({
  list: fc
    .tuple(fc.array(member, { maxLength: 3 }), fc.array(tie('element'), { maxLength: 5 }), fc.array(member, { maxLength: 2 }), fc.boolean())
    .map(([before, items, after, itemsArray]) => {
      const out: Doc = {};
      for (const [k, v] of before) if (k !== 'items') out[k] = v;
      out.items = itemsArray ? items : { notAnArray: items.length };
      for (const [k, v] of after) if (!(k in out)) out[k] = v;
      return out;
    }),
  element: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.dictionary(tricky, value, { maxKeys: 4 }), tie('list')),
})).list;

describe('readJsonItems', () => {
  it('hands out values that put back together equal JSON.parse of the file, in any formatting and chunking', () => {
    fc.assert(
      fc.property(listDoc, fc.constantFrom(...FORMATS), fc.constantFrom(1, 2, 3, 7, 64, undefined), (doc, { format }, chunk) => {
        const text = format(doc);
        const file = fileWith(text);
        expect(rebuild(file, chunk)).toEqual(JSON.parse(text.replace(/^\ufeff/, '')));
      }),
      { numRuns: 300 },
    );
  });

  it('tells strings from structure: brackets, quotes and backslashes inside strings', () => {
    const doc = {
      kind: 'PodList',
      items: [
        { metadata: { name: 'a"}]', annotations: { x: '{"nested": ["json"]}', y: '\\', z: '\\"}', w: 'ends with \\\\' } } },
        { metadata: { name: 'line\n  }\nbreaks', labels: { '}': ']' } } },
        { metadata: { name: 'ünïcødé 😀', labels: { 'a\\': 'b\\\\"' } } },
      ],
    };
    for (const { format } of FORMATS) {
      for (const chunk of [1, 5, undefined]) expect(rebuild(fileWith(format(doc)), chunk)).toEqual(doc);
    }
  });

  it('streams a List of typed lists and kubectl lists whose kind follows the items', () => {
    const events: string[] = [];
    const handler = (name: string): ListHandler => ({
      nested: true,
      item: (v, i) => events.push(`${name}[${i}]=${JSON.stringify(v)}`),
      openList: (i, head) => {
        events.push(`${name}[${i}] opens ${JSON.stringify(head)}`);
        return handler(`${name}[${i}]`);
      },
      close: (fields) => events.push(`${name} closes ${JSON.stringify(fields)}`),
    });
    const file = fileWith(
      JSON.stringify(
        {
          apiVersion: 'v1',
          items: [
            { kind: 'PodList', items: [1, 2] },
            { apiVersion: 'v1', items: [], kind: 'NodeList' },
            { kind: 'Pod', items: [3] },
          ],
          kind: 'List',
          metadata: {},
        },
        null,
        4,
      ),
    );
    readJsonItems(file, { value: () => events.push('value'), openList: (head) => (events.push(`opens ${JSON.stringify(head)}`), handler('top')), isListKind });
    expect(events).toEqual([
      'opens {"apiVersion":"v1"}',
      'top[0] opens {"kind":"PodList"}',
      'top[0][0]=1',
      'top[0][1]=2',
      'top[0] closes {"kind":"PodList"}',
      'top[1] opens {"apiVersion":"v1"}',
      'top[1] closes {"apiVersion":"v1","kind":"NodeList"}',
      // Its kind says it is no list: one plain value, items and all.
      'top[2]={"kind":"Pod","items":[3]}',
      'top closes {"apiVersion":"v1","kind":"List","metadata":{}}',
    ]);
  });

  it('falls back to scanning when indentation is irregular', () => {
    const text =
      '{"kind":"PodList","items":[\n  {"metadata": {"name": "a", "labels": {\n  }}, "spec": {}\n  },\n  {"metadata": {"name": "b"}}\n,\n  {"metadata": {"name": "c"}}]}';
    expect(rebuild(fileWith(text))).toEqual(JSON.parse(text));
  });

  it.each([
    ['{"kind":"List","items":[', /ends inside items/],
    ['{"kind":"List","items":[{"a":1},', /ends inside items/],
    ['{"kind":"PodList","items":[{"a":"x}]}', /ends inside a string/],
    ['{"kind":"PodList","items":[{"a":1]]}', /Expected ',' or '}'|Unexpected/],
    ['{"kind":"List","items":[] "x":1}', /expected , or \}/],
    ['{"kind":"List","items":[1 2]}', /expected , or \]/],
    ['{"kind":"List" "items":[]}', /expected , or \}/],
    ['{"kind":"List",items:[]}', /expected a string key/],
    ['{"a":1} {"b":2}', /unexpected data after the JSON document/],
    ['   ', /holds no JSON value/],
  ])('rejects %j', (text, message) => {
    expect(() => rebuild(fileWith(text))).toThrow(JsonSyntaxError);
    expect(() => rebuild(fileWith(text))).toThrow(message);
  });

  it('names the byte and the item where the JSON breaks', () => {
    const text = '{"kind":"PodList","items":[{"a":1},{"b":tru}]}';
    try {
      rebuild(fileWith(text));
      throw new Error('expected an error');
    } catch (err) {
      expect(err).toBeInstanceOf(JsonSyntaxError);
      expect((err as JsonSyntaxError).where).toBe('items[1]');
      expect((err as JsonSyntaxError).offset).toBeGreaterThanOrEqual(text.indexOf('{"b"'));
      expect((err as JsonSyntaxError).offset).toBeLessThan(text.length);
    }
  });
});

/** Everything an audit can observe of an inventory, with file names taken out. */
function observable(inv: Inventory): unknown {
  const kinds = [...inv.kinds.entries()].map(([id, c]) => ({
    id,
    status: c.status,
    items: c.items,
    locations: c.items.map((o) => inv.locate(refOf(o))?.startLine ?? null),
  }));
  return { kinds: kinds.sort((a, b) => a.id.localeCompare(b.id)), serverVersion: inv.serverVersion ?? null };
}

/** Loads the text streamed (.json) and whole (.yaml holding JSON: JSON.parse'd at once). */
function loadBothWays(text: string): { streamed: unknown; whole: unknown } {
  const run = (file: string): unknown => {
    try {
      return observable(loadSnapshot([file], dir));
    } catch (err) {
      if (!(err instanceof KpostureError)) throw err;
      return { error: err.message.replace(/f\d+\.(json|yaml)/, 'FILE') };
    }
  };
  return { streamed: run(fileWith(text, '.json')), whole: run(fileWith(text, '.yaml')) };
}

const meta = (name: string, namespace?: string): Record<string, unknown> => ({ name, ...(namespace ? { namespace } : {}), labels: { app: name } });
const podItem = (name: string, ns = 'team-a'): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: meta(name, ns),
  spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
});

describe('loadSnapshot on JSON read item by item', () => {
  it('gives the same inventory as reading the whole file, for kubectl output, typed lists and Lists of typed lists', () => {
    const docs: unknown[] = [
      // kubectl get pods,namespaces -A -o json: kind after items, items self-describing
      {
        apiVersion: 'v1',
        items: [podItem('a'), { apiVersion: 'v1', kind: 'Namespace', metadata: meta('team-a') }],
        kind: 'List',
        metadata: { resourceVersion: '' },
      },
      // the API's typed list: items without apiVersion/kind
      { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '42' }, items: [{ metadata: meta('p', 'x') }, { metadata: meta('q', 'x') }] },
      // kposture snapshot: a List of typed lists with annotations, empty lists marking kinds collected
      {
        apiVersion: 'v1',
        kind: 'List',
        metadata: { annotations: { 'kposture.dev/server-version': 'v1.31.2', 'kposture.dev/not-served': 'ClusterPolicy.kyverno.io' } },
        items: [
          { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicyList', items: [] },
          { apiVersion: 'v1', kind: 'PodList', items: [podItem('x'), podItem('y', 'team-b')] },
          {
            apiVersion: 'apps/v1',
            kind: 'DeploymentList',
            items: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('d', 'team-a'), spec: { replicas: 2 } }],
          },
        ],
      },
      // a typed list whose kind comes after its items (sorted keys), items without kind
      { apiVersion: 'v1', items: [{ metadata: meta('n1') }], kind: 'NamespaceList' },
      // nested Lists, a duplicate object (the first wins), a Secret (dropped unseen)
      {
        kind: 'List',
        items: [
          { kind: 'List', items: [podItem('dup'), { apiVersion: 'v1', kind: 'Secret', metadata: meta('s', 'x'), data: { k: 'c2VjcmV0' } }] },
          podItem('dup'),
        ],
      },
      // a List without items, a single object
      { apiVersion: 'v1', kind: 'List', metadata: {} },
      podItem('alone'),
    ];
    for (const doc of docs) {
      for (const { format } of FORMATS.filter((f) => f.name !== 'BOM')) {
        const { streamed, whole } = loadBothWays(format(doc));
        expect(streamed).not.toHaveProperty('error');
        expect(streamed).toEqual(whole);
      }
    }
  });

  it("reports the first error in the file's order when a nested list fails while earlier items wait for the kind", () => {
    // Keys sorted (kubectl): both lists' kinds come after their items. The PodList's Secret is
    // refused, but items[0] (no kind) comes first in the file, and so does its error.
    const doc = {
      items: [{ metadata: { name: 'a' } }, { items: [{ metadata: { name: 'a' } }, { kind: 'Secret', metadata: { name: 'a' } }], kind: 'PodList' }],
      kind: 'List',
    };
    const { streamed, whole } = loadBothWays(JSON.stringify(doc));
    expect(whole).toEqual({ error: 'snapshot FILE: field items[0].kind must be a non-empty string' });
    expect(streamed).toEqual(whole);
  });

  it('gives the same inventory or the same error as reading the whole file, for any document', () => {
    const entry = fc.record(
      {
        apiVersion: fc.constantFrom('v1', 'apps/v1', 'networking.k8s.io/v1'),
        kind: fc.constantFrom('Pod', 'Namespace', 'Deployment', 'NetworkPolicy', 'Secret'),
        metadata: fc.record(
          { name: fc.constantFrom('a', 'b', 'c'), namespace: fc.constantFrom('x', 'y', undefined), labels: fc.dictionary(tricky, tricky, { maxKeys: 2 }) },
          { requiredKeys: ['name'] },
        ),
      },
      { requiredKeys: ['metadata'] },
    );
    const typedList = fc.record(
      {
        apiVersion: fc.constantFrom('v1', 'apps/v1'),
        kind: fc.constantFrom('PodList', 'NamespaceList', 'DeploymentList'),
        items: fc.array(entry, { maxLength: 4 }),
      },
      { requiredKeys: ['kind', 'items'] },
    );
    const list = fc.record(
      { apiVersion: fc.constant('v1'), kind: fc.constant('List'), items: fc.array(fc.oneof(entry, typedList), { maxLength: 5 }) },
      { requiredKeys: ['kind', 'items'] },
    );
    // Keys sorted (as kubectl writes them) or not: kind before or after items.
    const sorted = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sorted)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
            )
          : v;
    fc.assert(
      fc.property(fc.oneof(list, typedList), fc.boolean(), fc.constantFrom(...FORMATS.filter((f) => f.name !== 'BOM')), (doc, sortKeys, { format }) => {
        const { streamed, whole } = loadBothWays(format(sortKeys ? sorted(doc) : doc));
        const error = (streamed as { error?: string }).error;
        if (error !== undefined && /but the list is a/.test(error)) {
          // The one refusal of the streamed path: a typed list whose kind, read after its
          // items, contradicts theirs (its items were already filed under their own kind).
          expect(sortKeys).toBe(true);
          return;
        }
        expect(streamed).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a file with a byte-order mark (a whole-file JSON.parse refuses it)', () => {
    const file = fileWith(`\ufeff${JSON.stringify({ kind: 'List', items: [podItem('bom')] })}`);
    expect(collectionOf(loadSnapshot([file], dir), KINDS.Pod).items.map((p) => refKey(refOf(p)))).toEqual(['Pod/team-a/bom']);
  });

  it('reports a truncated file in one line naming the file, wherever it was cut', () => {
    const text = JSON.stringify(
      { apiVersion: 'v1', kind: 'List', items: [{ kind: 'PodList', apiVersion: 'v1', items: [podItem('a'), podItem('b"}]')] }] },
      null,
      2,
    );
    for (let cut = 1; cut < text.trimEnd().length; cut++) {
      const file = fileWith(text.slice(0, cut));
      let message = '';
      try {
        loadSnapshot([file], dir);
      } catch (err) {
        expect(err).toBeInstanceOf(KpostureError);
        message = (err as Error).message;
      }
      expect(message).toMatch(new RegExp(`^snapshot ${path.basename(file)}: (invalid JSON: |the file is empty)`));
      expect(message).not.toContain('\n');
    }
  });

  it('says where in the file the JSON breaks', () => {
    const file = fileWith('{"kind":"List","items":[{"kind":"PodList","items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b",}}]}]}');
    expect(() => loadSnapshot([file], dir)).toThrow(/^snapshot f\d+\.json: invalid JSON: .* \(byte \d+, in items\[0\]\.items\[1\]\)$/);
  });

  it.each([
    [
      'a field of a streamed item',
      { kind: 'List', items: [podItem('a'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 5 } } }] },
      /field items\[1\]\.metadata\.labels\.a must be a string/,
    ],
    [
      'an item of a nested typed list',
      { kind: 'List', items: [{ kind: 'PodList', items: [{ metadata: { name: 'ok' } }, { metadata: {} }] }] },
      /field items\[0\]\.items\[1\]\.metadata\.name must be a non-empty string/,
    ],
    ['an item that is not an object', { kind: 'PodList', items: [5] }, /field items\[0\]\.\(item\) must be an object/],
    [
      'a typed list whose kind follows items of another kind',
      { items: [podItem('a')], kind: 'DeploymentList' },
      /field items\[0\]\.kind is Pod, but the list is a DeploymentList/,
    ],
    ['an object with items whose kind, after them, is not a list', { items: [podItem('a')], kind: 'Pod' }, /field kind is Pod, which is not a list/],
    ['a list without a kind', { apiVersion: 'v1', items: [podItem('a')] }, /field kind must be a non-empty string/],
  ])('rejects %s in one line', (_what, doc, message) => {
    const file = fileWith(JSON.stringify(doc, null, 2));
    expect(() => loadSnapshot([file], dir)).toThrow(message);
    try {
      loadSnapshot([file], dir);
    } catch (err) {
      expect((err as Error).message).toMatch(/^snapshot f\d+\.json: field /);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('calls data with a NUL byte binary, even past the first chunk', () => {
    const items = Array.from({ length: 4000 }, (_, i) => podItem(`p${i}`));
    const text = JSON.stringify({ kind: 'List', items }, null, 2);
    const buf = Buffer.from(text);
    buf[buf.length - 20] = 0;
    expect(buf.length).toBeGreaterThan(1024 * 1024);
    expect(() => loadSnapshot([fileWith(buf)], dir)).toThrow(/: binary data, not JSON or YAML$/);
  });

  it('reads items larger than the read chunk', () => {
    const big = { ...podItem('big'), metadata: { ...meta('big', 'team-a'), annotations: { blob: 'x'.repeat(9 * 1024 * 1024) } } };
    const file = fileWith(JSON.stringify({ kind: 'List', items: [podItem('a'), big, podItem('b')] }, null, 2));
    const pods = collectionOf(loadSnapshot([file], dir), KINDS.Pod).items;
    expect(pods.map((p) => refKey(refOf(p)))).toEqual(['Pod/team-a/a', 'Pod/team-a/big', 'Pod/team-a/b']);
  });
});

describe('loadSnapshot with typed lists parsed in worker threads', () => {
  /**
   * Loads `text` as a JSON file with slim records, on the main thread and with workers. Batches
   * are small, so that a file of a few KB makes several and the main thread decodes some of them
   * itself while the worker has its fill.
   */
  function loadWithAndWithoutWorkers(text: string, batchBytes = 256): { workers: unknown; main: unknown; fallbacks: string[]; stats: ItemDecoderStats[] } {
    const file = fileWith(text);
    const fallbacks: string[] = [];
    const stats: ItemDecoderStats[] = [];
    const run = (withWorkers: boolean): unknown => {
      try {
        const parallel = {
          minBytes: 0,
          workers: 1,
          batchBytes,
          onFallback: (why: string) => fallbacks.push(why),
          onStats: (s: ItemDecoderStats) => stats.push(s),
        };
        const options = { project: slimProjection(), ...(withWorkers ? { slimInWorkers: parallel } : {}) };
        return observable(loadSnapshot([file], dir, options));
      } catch (err) {
        if (!(err instanceof KpostureError)) throw err;
        return { error: err.message };
      }
    };
    return { workers: run(true), main: run(false), fallbacks, stats };
  }

  it('gives the inventory the main thread gives, without falling back, for kposture and API lists', () => {
    const pods = Array.from({ length: 3000 }, (_, i) => ({
      metadata: {
        ...meta(`web-${i}`, `team-${i % 7}`),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${i % 40}`, controller: true }],
      },
      spec: { containers: [{ name: 'web', image: `registry.example.com/web:${i % 3}` }] },
      status: { phase: 'Running' },
    }));
    const doc = {
      apiVersion: 'v1',
      kind: 'List',
      metadata: { annotations: { 'kposture.dev/server-version': 'v1.31.2' } },
      items: [
        { apiVersion: 'v1', kind: 'NamespaceList', items: Array.from({ length: 7 }, (_, i) => ({ metadata: meta(`team-${i}`) })) },
        { apiVersion: 'v1', kind: 'PodList', items: pods },
        { apiVersion: 'v1', kind: 'SecretList', items: [{ metadata: meta('token', 'team-0'), data: { k: 'c2VjcmV0' } }] },
        // the same pod again (the first one read wins), then a pod only this list has
        { apiVersion: 'v1', kind: 'PodList', items: [{ metadata: meta('web-0', 'team-0'), spec: { hostNetwork: true } }, podItem('late')] },
      ],
    };
    // kubectl get pods,namespaces -A -o json: items that say their own kind, the List's kind after them
    const kubectl = {
      apiVersion: 'v1',
      items: [
        ...doc.items[0]!.items.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', ...n })),
        ...pods.map((p) => ({ apiVersion: 'v1', kind: 'Pod', ...p })),
      ],
      kind: 'List',
      metadata: { resourceVersion: '' },
    };
    for (const written of [doc, kubectl]) {
      for (const { format } of FORMATS.filter((f) => ['compact', 'indent 4 (kubectl)', 'tabs', 'CRLF'].includes(f.name))) {
        const { workers, main, fallbacks, stats } = loadWithAndWithoutWorkers(format(written), 8192);
        expect(main).not.toHaveProperty('error');
        expect(workers).toEqual(main);
        expect(fallbacks).toEqual([]);
        // Both kinds of batch were in it: decoded by the worker, and by the main thread meanwhile.
        expect(stats).toHaveLength(1);
        expect(stats[0]!.decodedHere).toBeGreaterThan(0);
        expect(stats[0]!.decodedHere).toBeLessThan(stats[0]!.batches);
      }
    }
  });

  it('gives the same inventory with one batch for the whole file, all of it with the worker', () => {
    const pods = Array.from({ length: 50 }, (_, i) => podItem(`p-${i}`));
    const { workers, main, stats } = loadWithAndWithoutWorkers(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: pods }, null, 2), 1024 * 1024);
    expect(workers).toEqual(main);
    expect(stats).toEqual([{ batches: 1, decodedHere: 0 }]);
  });

  it('reads the file again on the main thread when indentation misleads the shortcut, with the same result', () => {
    // The first pod's metadata closes on a line indented like the pod itself.
    const text = [
      '{',
      '  "kind": "PodList",',
      '  "apiVersion": "v1",',
      '  "items": [',
      '    {',
      '      "metadata": {"name": "a",',
      '    "namespace": "x"',
      '    },',
      '      "spec": {}',
      '    },',
      '    {',
      '      "metadata": {"name": "b", "namespace": "x"}',
      '    }',
      '  ]',
      '}',
    ].join('\n');
    const { workers, main, fallbacks } = loadWithAndWithoutWorkers(text);
    expect(main).not.toHaveProperty('error');
    expect(workers).toEqual(main);
    // The reader, past a wrong end, trips over the rest of the item, or a worker over its part.
    expect(fallbacks).toHaveLength(1);
  });

  it.each([
    [
      'metadata that breaks the rules',
      { kind: 'List', items: [{ kind: 'PodList', items: [{ metadata: { name: 'ok' } }, { metadata: { name: 'p', labels: { a: 5 } } }] }] },
    ],
    ['invalid JSON inside an item', '{"kind":"PodList","items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b",}}]}'],
    ['a file cut inside an item', JSON.stringify({ kind: 'PodList', items: [podItem('a'), podItem('b')] }, null, 2).slice(0, -40)],
  ])('reports %s exactly as the main thread does', (_what, doc) => {
    const { workers, main, fallbacks } = loadWithAndWithoutWorkers(typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
    expect(main).toHaveProperty('error');
    expect(workers).toEqual(main);
    expect(fallbacks).toHaveLength(1);
  });

  it('gives the same inventory or the same error as the main thread, for any document', () => {
    const entry = fc.record(
      {
        metadata: fc.record(
          {
            name: fc.constantFrom('a', 'b', 'c', ''),
            namespace: fc.constantFrom('x', 'y', undefined),
            labels: fc.dictionary(tricky, fc.oneof(tricky, fc.integer()), { maxKeys: 2 }),
          },
          { requiredKeys: ['name'] },
        ),
        spec: fc.record({ hostNetwork: fc.boolean(), containers: fc.array(fc.record({ name: tricky, image: tricky }), { maxLength: 2 }) }),
      },
      { requiredKeys: ['metadata'] },
    );
    const typedList = fc.record(
      {
        apiVersion: fc.constantFrom('v1', 'apps/v1'),
        kind: fc.constantFrom('PodList', 'NamespaceList', 'DeploymentList', 'SecretList'),
        items: fc.array(entry, { maxLength: 4 }),
      },
      { requiredKeys: ['kind', 'items'] },
    );
    // Items of a List say their own kind (kubectl's output); some say it oddly.
    const ownKind = fc.record(
      {
        apiVersion: fc.oneof(fc.constantFrom('v1', 'apps/v1', 'networking.k8s.io/v1'), fc.constant(7)),
        kind: fc.oneof(fc.constantFrom('Pod', 'Namespace', 'Deployment', 'NetworkPolicy', 'Secret'), fc.constantFrom('', 3)),
        metadata: entry.map((e) => e.metadata),
      },
      { requiredKeys: ['kind', 'metadata'] },
    );
    const list = fc.record(
      {
        apiVersion: fc.constant('v1'),
        kind: fc.constantFrom('List', 'PodList'),
        items: fc.array(fc.oneof({ weight: 3, arbitrary: ownKind }, { weight: 1, arbitrary: typedList }), { maxLength: 6 }),
      },
      { requiredKeys: ['kind', 'items'] },
    );
    // Keys sorted (as kubectl writes them: a List's kind after its items) or not.
    const sorted = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sorted)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
            )
          : v;
    fc.assert(
      fc.property(fc.oneof(list, typedList), fc.boolean(), fc.constantFrom(...FORMATS.filter((f) => f.name !== 'BOM')), (doc, sortKeys, { format }) => {
        const { workers, main } = loadWithAndWithoutWorkers(format(sortKeys ? sorted(doc) : doc));
        expect(workers).toEqual(main);
      }),
      { numRuns: 60 },
    );
  });
});
