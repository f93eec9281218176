import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { collectLiveInventory, type LiveOptions } from '../../src/inventory/live.js';
import { ApiClient } from '../../src/kube/client.js';
import { resolveKubeconfig } from '../../src/kube/kubeconfig.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { field } from '../../src/k8s/object.js';
import { KpostureError } from '../../src/errors.js';
import {
  closedPort,
  startFixtureServer,
  writeKubeconfig,
  writeKubeconfigFor,
  TLS_DIR,
  type FixtureServer,
  type FixtureServerOptions,
  type ServedResource,
} from '../support/fixture-server.js';
import { writeSyntheticCluster } from '../support/fixture-cluster.js';
import { runMain } from '../support/fixture-cli.js';

const servers: FixtureServer[] = [];
let clusterFile: string;

beforeAll(() => {
  clusterFile = writeSyntheticCluster({ namespaces: 5, podsPerNamespace: 7, finishedPods: 3 });
});

afterAll(async () => {
  // Every request any test made, to any fixture server: reads only, and never a Secret.
  const all = servers.flatMap((s) => s.requests);
  expect(all.length).toBeGreaterThan(50);
  expect(all.filter((r) => r.method !== 'GET')).toEqual([]);
  expect(all.filter((r) => /secrets/i.test(r.path))).toEqual([]);
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(options: FixtureServerOptions = {}): Promise<FixtureServer> {
  const s = await startFixtureServer({ snapshot: [clusterFile], ...options });
  servers.push(s);
  return s;
}

function collect(server: FixtureServer, options: Partial<LiveOptions> & { kinds: string[] }): ReturnType<typeof collectLiveInventory> {
  return collectLiveInventory({ kubeconfig: writeKubeconfig(server).file, requestTimeoutMs: 5000, ...options });
}

function podNames(items: readonly unknown[]): string[] {
  return items.map((p) => `${String(field(p, 'metadata', 'namespace'))}/${String(field(p, 'metadata', 'name'))}`).sort();
}

describe('paging', () => {
  test('a list spread over many pages arrives whole, one request per page, with limit and continue', async () => {
    const server = await serve();
    const inv = await collect(server, { kinds: [KINDS.Pod], pageSize: 4 });
    const served = server.objects(KINDS.Pod);
    expect(served.length).toBe(6 * 7 + 3); // five tenants and kube-system, seven running pods each, three finished
    const pods = inv.kinds.get(KINDS.Pod)!;
    expect(pods.status).toBe('ok');
    expect(podNames(pods.items)).toEqual(podNames(served));
    const pageRequests = server.requests.filter((r) => r.path === '/api/v1/pods');
    expect(pageRequests).toHaveLength(Math.ceil(served.length / 4));
    expect(pageRequests.every((r) => r.query.limit === '4')).toBe(true);
    expect(pageRequests[0]!.query.continue).toBeUndefined();
    expect(pageRequests.slice(1).every((r) => typeof r.query.continue === 'string' && r.query.continue !== '')).toBe(true);
    expect(pageRequests.some((r) => r.query.resourceVersion !== undefined)).toBe(false);
  });

  test('items get the apiVersion and kind the API leaves out of typed lists', async () => {
    const server = await serve();
    const inv = await collect(server, { kinds: [KINDS.Pod, KINDS.NetworkPolicy] });
    const raw = server.requests.find((r) => r.path === '/api/v1/pods');
    expect(raw).toBeDefined();
    for (const p of inv.kinds.get(KINDS.Pod)!.items) expect([p.apiVersion, p.kind]).toEqual(['v1', 'Pod']);
    const nps = inv.kinds.get(KINDS.NetworkPolicy)!.items;
    expect(nps.length).toBeGreaterThan(0);
    for (const np of nps) expect([np.apiVersion, np.kind]).toEqual(['networking.k8s.io/v1', 'NetworkPolicy']);
    expect(inv.apiVersions.get(KINDS.NetworkPolicy)).toBe('networking.k8s.io/v1');
  });

  test('finished pods are listed like the others, as a kubectl snapshot holds them, and no list is filtered', async () => {
    const server = await serve();
    const inv = await collect(server, { kinds: [KINDS.Pod] });
    const served = server.objects(KINDS.Pod);
    expect(served.filter((p) => field(p, 'status', 'phase') !== 'Running')).toHaveLength(3);
    expect(inv.kinds.get(KINDS.Pod)!.items).toHaveLength(served.length);
    expect(server.requests.filter((r) => r.query.fieldSelector !== undefined)).toEqual([]);
  });

  test('an expired continue token (410 Gone) restarts the list instead of stitching two versions', async () => {
    let expired = false;
    const server = await serve({
      intercept: (req, res) => {
        if (req.path === '/api/v1/namespaces' && req.query.continue && !expired) {
          expired = true;
          res.writeHead(410, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              reason: 'Expired',
              code: 410,
              message: 'The provided continue parameter is too old',
            }),
          );
          return true;
        }
        return false;
      },
    });
    const inv = await collect(server, { kinds: [KINDS.Namespace], pageSize: 3 });
    expect(expired).toBe(true);
    const names = inv.kinds.get(KINDS.Namespace)!.items.map((n) => field(n, 'metadata', 'name'));
    expect(names).toHaveLength(server.objects(KINDS.Namespace).length);
    expect(new Set(names).size).toBe(names.length);
    const firstPages = server.requests.filter((r) => r.path === '/api/v1/namespaces' && !r.query.continue);
    expect(firstPages).toHaveLength(2);
  });

  test('many pages of several kinds share a few keep-alive connections', async () => {
    const server = await serve();
    await collect(server, {
      kinds: [KINDS.Pod, KINDS.Namespace, KINDS.Node, KINDS.ReplicaSet, KINDS.Deployment, KINDS.NetworkPolicy],
      pageSize: 2,
      concurrency: 4,
    });
    expect(server.requests.length).toBeGreaterThan(30);
    expect(server.connections()).toBeGreaterThan(0);
    expect(server.connections()).toBeLessThanOrEqual(4);
  });
});

describe('discovery and per-kind status', () => {
  test('only the requested kinds are fetched, and only the discovery they need', async () => {
    const server = await serve();
    const inv = await collect(server, { kinds: [KINDS.Namespace] });
    expect([...inv.kinds.keys()]).toEqual([KINDS.Namespace]);
    expect(server.requests.map((r) => r.path)).toEqual(['/version', '/api', '/api/v1', '/api/v1/namespaces']);
    expect(inv.serverVersion).toBe('v1.30.3');
    expect(inv.source).toEqual({ type: 'live', context: 'fixture', server: server.url });
    expect(inv.locate({ kind: 'Namespace', name: 'default' })).toBeUndefined();
  });

  test('403 makes a kind forbidden with the server message; the other kinds are still read', async () => {
    const server = await serve({ forbidden: [KINDS.NetworkPolicy] });
    const inv = await collect(server, { kinds: [KINDS.NetworkPolicy, KINDS.Namespace] });
    const np = inv.kinds.get(KINDS.NetworkPolicy)!;
    expect(np.status).toBe('forbidden');
    expect(np.items).toEqual([]);
    expect(np.reason).toContain('networkpolicies is forbidden: User "system:serviceaccount:kposture:kposture" cannot list resource "networkpolicies"');
    expect(inv.kinds.get(KINDS.Namespace)!.status).toBe('ok');
  });

  test('CRD kinds whose API is absent are not-served, a fact, without a list request', async () => {
    const server = await serve({ hidden: [KINDS.KyvernoClusterPolicy, KINDS.KyvernoPolicy] });
    const inv = await collect(server, {
      kinds: [KINDS.KyvernoClusterPolicy, KINDS.GatekeeperConstraintTemplate, KINDS.CiliumNetworkPolicy, KINDS.Namespace],
    });
    for (const id of [KINDS.KyvernoClusterPolicy, KINDS.GatekeeperConstraintTemplate, KINDS.CiliumNetworkPolicy]) {
      expect(inv.kinds.get(id)).toMatchObject({ status: 'not-served', items: [] });
    }
    expect(inv.kinds.get(KINDS.GatekeeperConstraintTemplate)!.reason).toBe('API group templates.gatekeeper.sh is not served');
    expect(server.requests.some((r) => /gatekeeper|cilium|kyverno/.test(r.path))).toBe(false);
  });

  test('a served CRD kind is listed at the first version kposture understands', async () => {
    const server = await serve();
    const inv = await collect(server, { kinds: [KINDS.KyvernoClusterPolicy, KINDS.KyvernoPolicy] });
    expect(inv.kinds.get(KINDS.KyvernoClusterPolicy)!.status).toBe('ok');
    expect(inv.kinds.get(KINDS.KyvernoClusterPolicy)!.items.map((p) => field(p, 'metadata', 'name'))).toEqual(['require-labels']);
    expect(inv.kinds.get(KINDS.KyvernoPolicy)).toEqual({ status: 'ok', items: [] });
    expect(inv.apiVersions.get(KINDS.KyvernoClusterPolicy)).toBe('kyverno.io/v1');
  });

  test('a kind served only at an older version is read there; a version kposture does not read is not-served', async () => {
    const server = await serve({
      hidden: [KINDS.ValidatingAdmissionPolicy],
      extra: [
        {
          group: 'admissionregistration.k8s.io',
          version: 'v1beta1',
          resource: 'validatingadmissionpolicies',
          kind: 'ValidatingAdmissionPolicy',
          namespaced: false,
          items: [{ metadata: { name: 'no-privileged' }, spec: {} }],
        },
        { group: 'policy.jspolicy.com', version: 'v1alpha9', resource: 'jspolicies', kind: 'JsPolicy', namespaced: false },
      ],
    });
    const inv = await collect(server, { kinds: [KINDS.ValidatingAdmissionPolicy, KINDS.JsPolicy] });
    expect(inv.kinds.get(KINDS.ValidatingAdmissionPolicy)!.status).toBe('ok');
    expect(inv.apiVersions.get(KINDS.ValidatingAdmissionPolicy)).toBe('admissionregistration.k8s.io/v1beta1');
    expect(inv.kinds.get(KINDS.ValidatingAdmissionPolicy)!.items[0]).toMatchObject({
      apiVersion: 'admissionregistration.k8s.io/v1beta1',
      kind: 'ValidatingAdmissionPolicy',
    });
    const js = inv.kinds.get(KINDS.JsPolicy)!;
    expect(js.status).toBe('not-served');
    expect(js.reason).toContain('served: v1alpha9');
  });

  test('a kind declared by a plugin but unknown to kposture is placed by discovery', async () => {
    const server = await serve({
      extra: [
        {
          group: 'policy',
          version: 'v1',
          resource: 'poddisruptionbudgets',
          kind: 'PodDisruptionBudget',
          namespaced: true,
          items: [{ metadata: { name: 'web', namespace: 'team-a' }, spec: { minAvailable: 1 } }],
        },
      ],
    });
    const inv = await collect(server, { kinds: ['PodDisruptionBudget.policy', 'Widget.example.com'] });
    expect(inv.kinds.get('PodDisruptionBudget.policy')!.items).toEqual([
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'team-a' }, spec: { minAvailable: 1 } },
    ]);
    expect(inv.kinds.get('Widget.example.com')!.status).toBe('not-served');
  });

  test('a whole-group kind (every Gatekeeper constraint) is read as each kind the group serves', async () => {
    const constraint = (kind: string, name: string): ServedResource => ({
      group: 'constraints.gatekeeper.sh',
      version: 'v1beta1',
      resource: kind.toLowerCase(),
      kind,
      namespaced: false,
      items: name ? [{ metadata: { name }, spec: { enforcementAction: 'deny' } }] : [],
    });
    const server = await serve({ extra: [constraint('K8sRequiredLabels', 'must-have-team'), constraint('K8sAllowedRepos', '')] });
    const inv = await collect(server, { kinds: [KINDS.GatekeeperConstraint] });
    const all = inv.kinds.get(KINDS.GatekeeperConstraint)!;
    expect(all.status).toBe('ok');
    expect(all.items.map((i) => `${String(i.apiVersion)} ${String(i.kind)} ${String(field(i, 'metadata', 'name'))}`)).toEqual([
      'constraints.gatekeeper.sh/v1beta1 K8sRequiredLabels must-have-team',
    ]);
    expect(inv.kinds.get('K8sAllowedRepos.constraints.gatekeeper.sh')).toEqual({ status: 'ok', items: [] });
    expect(
      server.requests
        .filter((r) => r.path.startsWith('/apis/constraints.gatekeeper.sh/v1beta1/'))
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/apis/constraints.gatekeeper.sh/v1beta1/k8sallowedrepos', '/apis/constraints.gatekeeper.sh/v1beta1/k8srequiredlabels']);

    const partial = await serve({
      extra: [constraint('K8sRequiredLabels', 'must-have-team'), constraint('K8sAllowedRepos', '')],
      forbidden: ['K8sAllowedRepos.constraints.gatekeeper.sh'],
    });
    const denied = (await collect(partial, { kinds: [KINDS.GatekeeperConstraint] })).kinds.get(KINDS.GatekeeperConstraint)!;
    expect(denied.status).toBe('forbidden');
    expect(denied.reason).toContain('K8sAllowedRepos.constraints.gatekeeper.sh: k8sallowedrepos is forbidden');

    const absent = (await collect(await serve(), { kinds: [KINDS.GatekeeperConstraint] })).kinds.get(KINDS.GatekeeperConstraint)!;
    expect(absent).toMatchObject({ status: 'not-served', items: [] });
  });

  test('a list that fails after discovery listed it is an error with the reason', async () => {
    const server = await serve({ notFound: [KINDS.Node] });
    const inv = await collect(server, { kinds: [KINDS.Node, KINDS.Namespace] });
    expect(inv.kinds.get(KINDS.Node)).toMatchObject({ status: 'error', items: [] });
    expect(inv.kinds.get(KINDS.Node)!.reason).toBe('404 NotFound: the server could not find the requested resource');
    expect(inv.kinds.get(KINDS.Namespace)!.status).toBe('ok');
  });

  test('a group-version whose discovery fails (an aggregated API down) affects only its kinds', async () => {
    const server = await serve({
      intercept: (req, res) => {
        if (req.path !== '/apis/kyverno.io/v1') return false;
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            reason: 'ServiceUnavailable',
            code: 503,
            message: 'the server is currently unable to handle the request',
          }),
        );
        return true;
      },
    });
    const inv = await collect(server, { kinds: [KINDS.KyvernoClusterPolicy, KINDS.NetworkPolicy] });
    // kposture also reads kyverno.io/v2beta1, which answers: the kind is read there instead.
    expect(inv.apiVersions.get(KINDS.KyvernoClusterPolicy)).toBe('kyverno.io/v2beta1');
    const down = await serve({
      intercept: (req, res) => {
        if (!req.path.startsWith('/apis/kyverno.io/')) return false;
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            reason: 'ServiceUnavailable',
            code: 503,
            message: 'the server is currently unable to handle the request',
          }),
        );
        return true;
      },
    });
    const inv2 = await collect(down, { kinds: [KINDS.KyvernoClusterPolicy, KINDS.NetworkPolicy] });
    expect(inv2.kinds.get(KINDS.KyvernoClusterPolicy)).toEqual({
      status: 'error',
      items: [],
      // A 503 is retried (src/kube/retry.ts) before the kind is given up.
      reason: 'discovery of kyverno.io/v1: 503 ServiceUnavailable: the server is currently unable to handle the request (tried 4 times)',
    });
    expect(inv2.kinds.get(KINDS.NetworkPolicy)!.status).toBe('ok');
  });

  test('credentials rejected in the middle of the lists stop the audit with exit 3', async () => {
    const server = await serve({
      intercept: (req, res) => {
        if (req.path !== '/api/v1/pods' || !req.query.continue) return false;
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401, message: 'Unauthorized' }));
        return true;
      },
    });
    const err = await collect(server, { kinds: [KINDS.Pod, KINDS.Namespace], pageSize: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KpostureError);
    expect((err as KpostureError).exitCode).toBe(3);
    expect((err as KpostureError).message).toBe(`context "fixture" (${server.url}): the server rejected the credentials (401 Unauthorized)`);
  });

  test('a list slower than the request timeout becomes an error for that kind only', async () => {
    const server = await serve({
      intercept: (req) => req.path === '/api/v1/nodes', // never answers
    });
    const started = Date.now();
    const inv = await collect(server, { kinds: [KINDS.Node, KINDS.Namespace], requestTimeoutMs: 700 });
    expect(Date.now() - started).toBeLessThan(5000);
    // A slow answer is tried once more (a second timeout), then the kind is given up.
    expect(inv.kinds.get(KINDS.Node)).toEqual({ status: 'error', items: [], reason: 'no answer within 0.7s (tried 2 times)' });
    expect(inv.kinds.get(KINDS.Namespace)!.status).toBe('ok');
  });

  test('Secrets are never requested, even when asked for, and the client refuses the path', async () => {
    const server = await serve();
    const inv = await collect(server, { kinds: ['Secret', KINDS.Namespace] });
    expect(inv.kinds.get('Secret')).toEqual({ status: 'forbidden', items: [], reason: 'kposture never reads Secrets' });
    const target = await resolveKubeconfig({ kubeconfig: writeKubeconfig(server).file });
    const client = new ApiClient(target, { timeoutMs: 1000, maxSockets: 1 });
    const before = server.requests.length;
    await expect(client.getJson('/api/v1/secrets')).rejects.toThrow('kposture never reads Secrets');
    await expect(client.getJson('/api/v1/namespaces/default/secrets')).rejects.toThrow('kposture never reads Secrets');
    client.close();
    expect(server.requests.length).toBe(before);
  });
});

describe('logging', () => {
  test('progress and --debug request lines name paths and counts, never credentials', async () => {
    const server = await serve();
    const lines: string[] = [];
    await collect(server, { kinds: [KINDS.Namespace, KINDS.Pod], pageSize: 10, logRequests: true, log: (l) => lines.push(l) });
    expect(lines).toContain('credentials: static, made once by client-node in a worker thread');
    expect(lines).toContain(`reading context "fixture" at ${server.url} (Kubernetes v1.30.3)`);
    expect(lines).toContainEqual(expect.stringMatching(/^GET \/api\/v1\/namespaces\?limit=10 200 \d+ms$/));
    expect(lines).toContainEqual(expect.stringMatching(/^listed Pod: 45 in 5 pages \(\d+(ms|\.\ds)\)$/));
    expect(lines.join('\n')).not.toContain(server.token);
    expect(lines.join('\n')).not.toMatch(/authorization|bearer/i);
  });
});

describe('kubeconfig resolution', () => {
  test('a proxy-url is honoured: every request is tunnelled through it, credentials made per request', async () => {
    const server = await serve();
    const tunnels: string[] = [];
    const sockets: net.Socket[] = [];
    const proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      // Tunnels are not the proxy server's connections any more: closed by hand at the end.
      sockets.push(client, upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const proxyPort = (proxy.address() as net.AddressInfo).port;
      const file = writeKubeconfigFor(
        { server: server.url, 'certificate-authority': path.join(TLS_DIR, 'ca.crt'), 'proxy-url': `http://127.0.0.1:${proxyPort}` },
        { token: server.token },
      );
      const lines: string[] = [];
      const inv = await collectLiveInventory({
        kubeconfig: file,
        kinds: [KINDS.Namespace, KINDS.Pod],
        pageSize: 10,
        logRequests: true,
        log: (l) => lines.push(l),
      });
      expect([...inv.kinds.values()].map((c) => c.status)).toEqual(['ok', 'ok']);
      expect(inv.kinds.get(KINDS.Pod)!.items).toHaveLength(45);
      expect(lines).toContain('credentials: made per request by client-node');
      expect(tunnels.length).toBeGreaterThan(0);
      expect(new Set(tunnels)).toEqual(new Set([new URL(server.url).host]));
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  test('KUBECONFIG is a path list: missing files are skipped, the first current-context wins, --context picks from any file', async () => {
    const server = await serve();
    const a = writeKubeconfig(server, { context: 'first' });
    const b = writeKubeconfig(server, { context: 'second' });
    const env = { KUBECONFIG: [path.join(a.dir, 'missing'), a.file, b.file].join(path.delimiter) };
    const first = await collectLiveInventory({ kinds: [KINDS.Namespace], env });
    expect(first.source.context).toBe('first');
    const second = await collectLiveInventory({ kinds: [KINDS.Namespace], env, context: 'second' });
    expect(second.source.context).toBe('second');
    expect(second.kinds.get(KINDS.Namespace)!.status).toBe('ok');
  });

  test('~/.kube/config is used when neither --kubeconfig nor KUBECONFIG is given', async () => {
    const server = await serve();
    const home = mkdtempSync(path.join(os.tmpdir(), 'kposture-home-'));
    mkdirSync(path.join(home, '.kube'));
    const written = writeKubeconfig(server, { context: 'home', dir: path.join(home, '.kube') });
    writeFileSync(path.join(home, '.kube', 'config'), readFileSync(written.file));
    const inv = await collectLiveInventory({ kinds: [KINDS.Namespace], env: {}, homeDir: home });
    expect(inv.source.context).toBe('home');
  });

  test('in a pod, the service account token and CA are used', async () => {
    const server = await serve();
    const sa = mkdtempSync(path.join(os.tmpdir(), 'kposture-sa-'));
    writeFileSync(path.join(sa, 'token'), server.token);
    writeFileSync(path.join(sa, 'ca.crt'), readFileSync(path.join(TLS_DIR, 'ca.crt')));
    writeFileSync(path.join(sa, 'namespace'), 'kposture');
    const port = new URL(server.url).port;
    const inv = await collectLiveInventory({
      kinds: [KINDS.Namespace],
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
      homeDir: mkdtempSync(path.join(os.tmpdir(), 'kposture-nohome-')),
      serviceAccountDir: sa,
    });
    expect(inv.source).toEqual({ type: 'live', context: 'in-cluster', server: `https://127.0.0.1:${port}` });
    expect(inv.kinds.get(KINDS.Namespace)!.status).toBe('ok');
  });

  test('no kubeconfig anywhere is a configuration error (exit 2)', async () => {
    const err = await collectLiveInventory({
      kinds: [KINDS.Namespace],
      env: {},
      homeDir: mkdtempSync(path.join(os.tmpdir(), 'kposture-empty-')),
      serviceAccountDir: '/nonexistent',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KpostureError);
    expect((err as KpostureError).exitCode).toBe(2);
    expect((err as KpostureError).message).toContain('no kubeconfig found');
  });
});

describe('exit codes and one-line errors', () => {
  function expectOneLine(stderr: string): void {
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  }

  test('an unknown context exits 2 naming the kubeconfig file and the available contexts', async () => {
    const server = await serve();
    const kc = writeKubeconfig(server, { context: 'prod-eu' });
    const run = await runMain(['audit', '--kubeconfig', kc.file, '--context', 'prod-us']);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr);
    expect(run.stderr).toContain(`context "prod-us" is not in kubeconfig ${kc.file} (available: prod-eu)`);
  });

  test('a malformed kubeconfig exits 2 with one line naming the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-bad-'));
    const file = path.join(dir, 'config');
    writeFileSync(file, 'clusters:\n  - name: a\n   cluster: {server: https://x}\n');
    const run = await runMain(['audit', '--kubeconfig', file]);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr);
    expect(run.stderr).toContain(`kubeconfig --kubeconfig ${file}: invalid YAML`);
    const missing = await runMain(['audit', '--kubeconfig', path.join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });

  test('an unreachable server exits 3 quickly with one line naming context and server', async () => {
    const port = await closedPort();
    const kc = writeKubeconfig({ url: `https://127.0.0.1:${port}`, token: 'not-used-token-1' }, { context: 'gone' });
    const run = await runMain(['audit', '--kubeconfig', kc.file]);
    expect(run.code).toBe(3);
    expect(run.ms).toBeLessThan(10_000);
    expectOneLine(run.stderr);
    expect(run.stderr).toContain(`context "gone" (https://127.0.0.1:${port}): connection refused`);
    expect(run.stdout).toBe('');
  });

  test('a server that accepts connections but never answers exits 3 after the request timeout', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const kc = writeKubeconfig({ url: `https://127.0.0.1:${port}`, token: 'x' }, { context: 'silent' });
      const run = await runMain(['audit', '--kubeconfig', kc.file, '--request-timeout', '1']);
      expect(run.code).toBe(3);
      // One timeout, not four: a connection that never came up is not tried again.
      expect(sockets).toHaveLength(1);
      expectOneLine(run.stderr);
      expect(run.stderr).toContain('context "silent"');
      expect(run.stderr).toContain('no answer within 1s');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('a wrong token exits 3 (401) and the token is printed nowhere', async () => {
    const server = await serve();
    const token = 'wrong-token-8d1e2c7b9a';
    const kc = writeKubeconfig(server, { token, context: 'stale' });
    const run = await runMain(['audit', '--kubeconfig', kc.file]);
    expect(run.code).toBe(3);
    expectOneLine(run.stderr);
    expect(run.stderr).toContain('context "stale"');
    expect(run.stderr).toContain('401 Unauthorized');
    expect(run.stdout + run.stderr).not.toContain(token);
    expect(run.stdout + run.stderr).not.toContain(server.token);
  });

  test('a CA that did not sign the server certificate exits 3 as a TLS failure', async () => {
    const server = await serve();
    const kc = writeKubeconfig(server, { ca: 'other', context: 'mitm' });
    const run = await runMain(['audit', '--kubeconfig', kc.file]);
    expect(run.code).toBe(3);
    expectOneLine(run.stderr);
    expect(run.stderr).toContain('context "mitm"');
    expect(run.stderr).toContain('TLS verification failed');
    expect(server.requests).toEqual([]);
  });

  test('a failing exec credential plugin exits 3 without echoing what the plugin printed', async () => {
    const server = await serve();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-exec-'));
    const plugin = path.join(dir, 'get-token');
    writeFileSync(plugin, '#!/bin/sh\necho "plugin-secret-output-5c2f" >&2\nexit 1\n');
    chmodSync(plugin, 0o755);
    const withPlugin = (command: string): string =>
      writeKubeconfigFor(
        { server: server.url, 'certificate-authority': path.join(TLS_DIR, 'ca.crt') },
        { exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args: ['--cluster', 'x'] } },
        { context: 'eks' },
      );
    const failing = withPlugin(plugin);
    const run = await runMain(['audit', '--kubeconfig', failing]);
    expect(run.code).toBe(3);
    expectOneLine(run.stderr);
    expect(run.stderr).toContain('context "eks"');
    expect(run.stderr).toContain('the credential plugin "get-token" exited with an error');
    expect(run.stderr).not.toContain('plugin-secret-output-5c2f');

    const absent = withPlugin('kposture-no-such-plugin');
    const run2 = await runMain(['audit', '--kubeconfig', absent]);
    expect(run2.code).toBe(3);
    expect(run2.stderr).toContain('the credential plugin "kposture-no-such-plugin" was not found on PATH');
  });

  test('a working exec credential plugin authenticates every request', async () => {
    const server = await serve();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-exec-ok-'));
    const plugin = path.join(dir, 'get-token');
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: server.token, expirationTimestamp: '2999-01-01T00:00:00Z' },
    };
    writeFileSync(plugin, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(credential)}\nEOF\n`);
    chmodSync(plugin, 0o755);
    const file = writeKubeconfigFor(
      { server: server.url, 'certificate-authority': path.join(TLS_DIR, 'ca.crt') },
      { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin } },
      { context: 'eks', dir },
    );
    const inv = await collectLiveInventory({ kubeconfig: file, kinds: [KINDS.Namespace, KINDS.Pod, KINDS.Node], pageSize: 5 });
    expect([...inv.kinds.values()].map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    expect(server.requests.every((r) => r.status === 200)).toBe(true);
  });
});
