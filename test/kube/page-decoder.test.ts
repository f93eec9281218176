import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PageDecodeError, PageDecoder } from '../../src/kube/page-decoder.js';
import { MalformedAnswerError, listMetadataOf, type PageKind } from '../../src/kube/list-page.js';
import { StringTable } from '../../src/util/strings.js';
import { compactCopy } from '../../src/util/compact.js';
import { field } from '../../src/k8s/object.js';
import { listAll } from '../../src/kube/pager.js';
import { ApiClient } from '../../src/kube/client.js';
import { BodyBuffers, BodyCollector } from '../../src/kube/body-buffers.js';
import { resolveKubeconfig } from '../../src/kube/kubeconfig.js';
import { slimProjection } from '../../src/k8s/slim.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer, type RecordedRequest } from '../support/fixture-server.js';
import { syntheticCluster, writeSyntheticCluster } from '../support/fixture-cluster.js';
import { FaultPlan, composeIntercepts } from '../support/faults.js';

const POD_KIND: PageKind = { id: KINDS.Pod, apiVersion: 'v1', kind: 'Pod' };

function podPage(): { page: Record<string, unknown>; pods: Record<string, unknown>[] } {
  const cluster = syntheticCluster({ namespaces: 2, podsPerNamespace: 6 }) as { items: { kind: string; items: Record<string, unknown>[] }[] };
  const pods = cluster.items.find((l) => l.kind === 'PodList')!.items;
  return {
    page: { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '4711', continue: 'eyJ2IjoxfQ', remainingItemCount: 3 }, items: pods },
    pods,
  };
}

describe('listMetadataOf: the continue token from the first bytes of a page', () => {
  const body = (text: string): Buffer => Buffer.from(text);

  it('reads the metadata of a page laid out as the API server writes it', () => {
    const { page } = podPage();
    expect(listMetadataOf(Buffer.from(JSON.stringify(page)))).toEqual(page.metadata);
    expect(listMetadataOf(body('{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}\n'))).toEqual({ resourceVersion: '1' });
  });

  it('declines any other layout, so the page is parsed whole instead', () => {
    for (const text of [
      '{"items":[{"metadata":{"name":"a"}}],"metadata":{"continue":"x"}}', // items first (kubectl order)
      '{"kind":"PodList","extra":{"a":1},"metadata":{"continue":"x"},"items":[]}', // something else first
      '{"kind":"PodList","metadata":{"continue":"a}b"},"items":[]}', // a brace inside a string
      '{"kind":"PodList","metadata":{"labels":{"a":"b"}},"items":[]}', // not a ListMeta
      '[]',
      '',
    ]) {
      expect(listMetadataOf(body(text))).toBeUndefined();
    }
  });

  it('declines a body cut short, which is then read again', () => {
    expect(listMetadataOf(body('{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"x"},"items":[{"metadata":'))).toBeUndefined();
  });
});

describe('PageDecoder', () => {
  const decoder = new PageDecoder({ workers: 2, minBytes: 0 });
  afterAll(() => decoder.close());

  it('gives each item as the main thread would slim it, with apiVersion and kind filled in', async () => {
    const { page, pods } = podPage();
    const items = await decoder.decode(Buffer.from(JSON.stringify(page)), POD_KIND);
    const project = slimProjection();
    const expected = pods.map((p) => project(KINDS.Pod, { ...(JSON.parse(JSON.stringify(p)) as Record<string, unknown>), apiVersion: 'v1', kind: 'Pod' }));
    expect(items).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(items).toHaveLength(pods.length);
  });

  it('decodes many pages at once across its workers, each answer to its own page', async () => {
    const pages = Array.from({ length: 12 }, (_, i) => ({ kind: 'PodList', metadata: {}, items: [{ metadata: { name: `p${i}`, namespace: 'ns' } }] }));
    const answers = await Promise.all(pages.map((p) => decoder.decode(Buffer.from(JSON.stringify(p)), POD_KIND)));
    expect(answers.map((a) => (a[0] as { metadata: { name: string } }).metadata.name)).toEqual(pages.map((_, i) => `p${i}`));
  });

  it('rejects a page that is not valid JSON with PageDecodeError (read again), and one that is not the list with MalformedAnswerError', async () => {
    await expect(decoder.decode(Buffer.from('{"items":[{"metadata":'), POD_KIND)).rejects.toThrow(PageDecodeError);
    await expect(decoder.decode(Buffer.from('{"kind":"PodList","items":{"a":1}}'), POD_KIND)).rejects.toThrow(
      new MalformedAnswerError('items is an object, not an array'),
    );
    await expect(decoder.decode(Buffer.from('{"kind":"NodeList","items":[]}'), POD_KIND)).rejects.toThrow(
      new MalformedAnswerError('kind is "NodeList", not "PodList"'),
    );
    await expect(decoder.decode(Buffer.from('{"kind":"PodList","items":[{"kind":"Node"}]}'), POD_KIND)).rejects.toThrow(
      new MalformedAnswerError('items[0].kind is "Node", not "Pod"'),
    );
    // 100,000 levels: parsed, but no copy of it could be made without running out of stack.
    const deep = `{"kind":"PodList","items":[{},{"metadata":{"name":"deep","namespace":"shop"},"spec":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
    await expect(decoder.decode(Buffer.from(deep), POD_KIND)).rejects.toThrow(
      new MalformedAnswerError('items[1] (Pod shop/deep) is nested more than 500 levels deep'),
    );
  });

  it('transfers memory lent from a pool as it is, and gives it back to that pool with the answer', async () => {
    const { page, pods } = podPage();
    const pool = new BodyBuffers();
    const body = new BodyCollector(pool);
    body.add(Buffer.from(JSON.stringify(page)));
    const lent = body.body();
    const memory = lent.buffer;
    const decoding = decoder.decode(lent, POD_KIND, pool);
    expect(memory.byteLength).toBe(0); // handed over, not copied
    body.release();
    expect(pool.size).toBe(0);
    expect(await decoding).toHaveLength(pods.length);
    expect(pool.size).toBe(1);
    expect(pool.take(1).byteLength).toBeGreaterThanOrEqual(lent.length);
  });

  it('rejects once closed', async () => {
    const closed = new PageDecoder({ workers: 1 });
    closed.close();
    await expect(closed.decode(Buffer.from('{}'), POD_KIND)).rejects.toThrow(PageDecodeError);
  });
});

describe('listAll with the page decoder', () => {
  let server: FixtureServer;
  const requests: string[] = [];
  const plan = new FaultPlan([{ fault: 'truncated', kind: KINDS.Pod, times: 1 }]);
  beforeAll(async () => {
    const record = (req: RecordedRequest): boolean => {
      requests.push(req.path);
      return false;
    };
    server = await startFixtureServer({
      snapshot: [writeSyntheticCluster({ namespaces: 3, podsPerNamespace: 9 })],
      intercept: composeIntercepts(record, plan.intercept),
    });
  });
  afterAll(async () => {
    plan.close();
    await server.close();
  });

  async function client(): Promise<ApiClient> {
    return new ApiClient(await resolveKubeconfig({ kubeconfig: writeKubeconfig(server).file }), { timeoutMs: 5000, maxSockets: 2 });
  }

  it('keeps every item, in order, equal to slimming on the main thread; a cut page is read again', async () => {
    const api = await client();
    const decoder = new PageDecoder({ workers: 2, minBytes: 0 });
    try {
      const project = slimProjection();
      const here = await listAll(api, '/api/v1/pods', { limit: 5, kind: POD_KIND, project });
      const injected = plan.injected;
      const off = await listAll(api, '/api/v1/pods', { limit: 5, kind: POD_KIND, project, decoder });
      expect(injected).toBe(1); // the truncated answer went to the first listing, and was retried there
      expect(off.pages).toBe(here.pages);
      expect(off.pages).toBeGreaterThan(4);
      expect(JSON.parse(JSON.stringify(off.items))).toEqual(JSON.parse(JSON.stringify(here.items)));
      // The pages' memory came back from the workers, to be read into again.
      expect(api.buffers.size).toBeGreaterThan(0);
    } finally {
      decoder.close();
      api.close();
    }
  });

  it('reads a page again on the main thread when its worker cannot decode it', async () => {
    const api = await client();
    let calls = 0;
    const failing = {
      minBytes: 0,
      window: 2,
      decode: (): Promise<unknown[]> => {
        calls++;
        return Promise.reject(new PageDecodeError('a page decoder worker stopped'));
      },
    } as unknown as PageDecoder;
    try {
      requests.length = 0;
      const result = await listAll(api, '/api/v1/pods', { limit: 10, kind: POD_KIND, project: slimProjection(), decoder: failing });
      expect(result.items).toHaveLength(server.objects('Pod').length);
      expect(calls).toBe(result.pages);
      // Each page twice: once for the worker, once more to read it here.
      expect(requests.filter((p) => p.startsWith('/api/v1/pods'))).toHaveLength(2 * result.pages);
    } finally {
      api.close();
    }
  });
});

describe('compactCopy: records from workers, laid out as the main thread lays out its own', () => {
  const pod = (i: number): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${i}`,
      namespace: 'shop',
      labels: { app: 'web' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d4b9c8f5d', controller: true }],
    },
    spec: {
      containers: [{ name: 'web', image: 'registry.example.com/web:1.4.2', securityContext: { runAsNonRoot: true, capabilities: { drop: ['ALL'] } } }],
      hostNetwork: false,
    },
    status: { phase: null },
  });

  it('keeps every value as it was, through nested objects and arrays, and leaves its input alone', () => {
    const records = structuredClone([pod(0), pod(1), pod(2)]);
    const before = JSON.parse(JSON.stringify(records)) as unknown;
    const copy = compactCopy(records, new StringTable());
    expect(copy).not.toBe(records);
    expect(copy).toEqual(before);
    expect(records).toEqual(before);
    for (const record of copy) {
      expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
      expect(Object.keys(record)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    }
  });

  it('copies a part that occurs several times once, so siblings still share it, and shares strings across pages', () => {
    const spec = pod(0).spec;
    const page = structuredClone([0, 1].map((i) => ({ ...pod(i), spec })));
    const table = new StringTable();
    const [a, b] = compactCopy(page, table);
    expect(a!.spec).toBe(b!.spec);
    const [c] = compactCopy(structuredClone([pod(3)]), table);
    expect(field(c, 'metadata', 'namespace')).toBe(table.intern('shop'));
    expect(field(a, 'metadata', 'namespace')).toBe(field(c, 'metadata', 'namespace'));
  });

  it('keeps a __proto__ key as plain data', () => {
    const [record] = compactCopy([JSON.parse('{"kind":"ConfigMap","data":{"__proto__":{"polluted":true}}}') as Record<string, unknown>], new StringTable());
    expect(Object.keys(record.data as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(record.data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
