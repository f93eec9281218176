import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import { collectionOf } from '../../src/k8s/inventory.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { KpostureError } from '../../src/errors.js';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kposture-snap-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

function loadError(files: Record<string, string>): KpostureError {
  const dir = dirWith(files);
  try {
    loadSnapshot([dir], dir);
  } catch (err) {
    expect(err).toBeInstanceOf(KpostureError);
    return err as KpostureError;
  }
  throw new Error('expected the snapshot to be rejected');
}

const pod = (ns: string, name: string): object => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers: [] } });

describe('snapshot loader', () => {
  it('reads kubectl `List` output, keeping each item under its own kind', () => {
    const dir = dirWith({
      'all.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('a', 'p1'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }] }),
    });
    const inv = loadSnapshot([dir], dir);
    expect(collectionOf(inv, KINDS.Pod).items).toHaveLength(1);
    expect(collectionOf(inv, KINDS.Namespace).status).toBe('ok');
    expect(collectionOf(inv, KINDS.NetworkPolicy).status).toBe('missing');
    expect(inv.locate({ kind: 'Pod', namespace: 'a', name: 'p1' })).toEqual({ uri: 'all.json', startLine: 1 });
  });

  it('marks a kind collected from an empty typed list, and fills kind/apiVersion of typed-list items', () => {
    const dir = dirWith({
      'np.yaml': 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems: []\n',
      'pods.json': JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'p', namespace: 'x' } }] }),
    });
    const inv = loadSnapshot([dir], dir);
    expect(collectionOf(inv, KINDS.NetworkPolicy)).toEqual({ status: 'ok', items: [] });
    expect(collectionOf(inv, KINDS.Pod).items[0]).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
  });

  it('does not treat an empty generic List as collecting anything', () => {
    const dir = dirWith({ 'np.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [] }) });
    expect(collectionOf(loadSnapshot([dir], dir), KINDS.NetworkPolicy).status).toBe('missing');
  });

  it('reads multi-document YAML with line numbers', () => {
    const dir = dirWith({
      'ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: one\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: two\n',
    });
    const inv = loadSnapshot([dir], dir);
    expect(collectionOf(inv, KINDS.Namespace).items.map((n) => (n.metadata as { name: string }).name)).toEqual(['one', 'two']);
    expect(inv.locate({ kind: 'Namespace', name: 'two' })).toEqual({ uri: 'ns.yaml', startLine: 6 });
  });

  it('never keeps Secrets', () => {
    const dir = dirWith({
      's.json': JSON.stringify({ apiVersion: 'v1', kind: 'SecretList', items: [{ metadata: { name: 's', namespace: 'a' }, data: { password: 'c2VjcmV0' } }] }),
    });
    const inv = loadSnapshot([dir], dir);
    expect([...inv.kinds.values()].flatMap((c) => c.items)).toHaveLength(0);
  });

  it('infers not-served for known CRD kinds the CRD list does not define, and keeps defined ones missing', () => {
    const crd = (group: string, kind: string, plural: string): object => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.${group}` },
      spec: { group, names: { kind, plural } },
    });
    const dir = dirWith({
      'crds.json': JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinitionList',
        items: [crd('kyverno.io', 'ClusterPolicy', 'clusterpolicies')],
      }),
    });
    const inv = loadSnapshot([dir], dir);
    expect(collectionOf(inv, KINDS.GatekeeperConstraintTemplate).status).toBe('not-served');
    expect(collectionOf(inv, KINDS.KyvernoClusterPolicy).status).toBe('missing');
  });

  it('reads the server version and not-served kinds that `kposture snapshot` records', () => {
    const dir = dirWith({
      'snap.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        metadata: { annotations: { 'kposture.dev/server-version': 'v1.31.2', 'kposture.dev/not-served': 'ClusterPolicy.kyverno.io' } },
        items: [{ apiVersion: 'v1', kind: 'NamespaceList', items: [] }],
      }),
    });
    const inv = loadSnapshot([dir], dir);
    expect(inv.serverVersion).toBe('v1.31.2');
    expect(collectionOf(inv, KINDS.KyvernoClusterPolicy).status).toBe('not-served');
    expect(collectionOf(inv, KINDS.Namespace).status).toBe('ok');
  });

  it.each([
    [{ 'bad.json': '{"kind": "List", "items": [' }, /bad\.json: invalid JSON/],
    [{ 'bad.yaml': 'kind: List\nitems: [\n' }, /bad\.yaml(:\d+)?: invalid YAML/],
    [{ 'x.json': '[1,2]' }, /x\.json: field \(document\) must be a Kubernetes object or list/],
    [{ 'x.json': '{"kind":"List","items":{}}' }, /x\.json: field items must be an array/],
    [{ 'x.json': '{"kind":"List","items":[5]}' }, /field items\[0\]\.\(item\) must be an object/],
    [
      { 'x.json': JSON.stringify({ kind: 'List', items: [{ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', labels: 5 } }] }) },
      /field items\[0\]\.metadata\.labels must be a map of strings/,
    ],
    [{ 'x.json': JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', labels: { a: 1 } } }) }, /field metadata\.labels\.a must be a string/],
    [{ 'x.json': JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: {} }) }, /field metadata\.name must be a non-empty string/],
    [{ 'x.json': JSON.stringify({ apiVersion: 'v1', metadata: { name: 'a' } }) }, /field kind must be a non-empty string/],
    [{ 'x.bin.json': '\u0000\u0001binary' }, /binary data/],
    // A typed list holds its own kind: an item that names another is refused, not relabelled.
    [
      { 'x.json': JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: [{ kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'd' } }] }) },
      /field items\[0\]\.kind is Deployment, but the list holds Pod objects/,
    ],
    [
      { 'x.yaml': 'kind: PodList\napiVersion: v1\nitems:\n- kind: Deployment\n  metadata: {name: d}\n' },
      /field items\[0\]\.kind is Deployment, but the list holds Pod objects/,
    ],
    [
      { 'x.json': JSON.stringify({ items: [{ kind: 'Deployment', metadata: { name: 'd' } }], kind: 'PodList', apiVersion: 'v1' }) },
      /field items\[0\]\.kind is Deployment, but the list is a PodList/,
    ],
    [{ 'empty.yaml': '   \n' }, /the file is empty/],
  ])('rejects malformed input with one line naming the file and field: %j', (files, message) => {
    const err = loadError(files);
    expect(err.message).toMatch(message);
    expect(err.exitCode).toBe(2);
    expect(err.oneLine()).not.toContain('\n');
  });

  it('rejects a missing path and an empty folder', () => {
    expect(() => loadSnapshot(['/definitely/not/here'])).toThrow(/no such file or directory/);
    const empty = dirWith({ 'notes.txt': 'x' });
    expect(() => loadSnapshot([empty], empty)).toThrow(/holds no \.json, \.yaml or \.yml file/);
  });
});

describe('snapshot loader progress', () => {
  it('tells how many files are done and objects read: after each file, and every 10,000 objects within one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kposture-progress-'));
    const namespaces = (from: number, n: number): string =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'NamespaceList',
        items: Array.from({ length: n }, (_, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${from + i}` } })),
      });
    writeFileSync(path.join(dir, 'a.json'), namespaces(0, 25_000));
    writeFileSync(path.join(dir, 'b.json'), namespaces(25_000, 10));
    const told: { files: number; filesDone: number; objects: number }[] = [];
    const inventory = loadSnapshot([dir], dir, { onProgress: (p) => told.push(p) });
    expect(collectionOf(inventory, KINDS.Namespace).items).toHaveLength(25_010);
    expect(told).toEqual([
      { files: 2, filesDone: 0, objects: 10_000 },
      { files: 2, filesDone: 0, objects: 20_000 },
      { files: 2, filesDone: 1, objects: 25_000 },
      { files: 2, filesDone: 2, objects: 25_010 },
    ]);
  });
});
