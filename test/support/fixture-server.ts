/**
 * A small Kubernetes API server for tests: HTTPS with the committed test CA, bearer-token auth,
 * `/version`, discovery (`/api`, `/api/v1`, `/apis`, `/apis/<group>[/<version>]`) built from the
 * objects it serves, and list/get endpoints (cluster-wide and per namespace) served from a
 * snapshot, with `limit`/`continue` paging, `fieldSelector` and `labelSelector`. It behaves like a
 * real API server where clients can tell: list items carry no apiVersion/kind for built-in kinds,
 * errors are Status objects, unknown paths are 404, and it answers only GET. Every request is
 * recorded (method, path, query; never headers) so tests can assert what a client asked for.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import type { Inventory } from '../../src/k8s/inventory.js';
import { kindId, kindSpec, splitApiVersion, type KindId } from '../../src/k8s/kinds.js';
import { asArray, asString, field, isRecord, type K8sObject } from '../../src/k8s/object.js';

/** The repository root, seen from dist/test/support. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TLS_DIR = path.join(REPO_ROOT, 'fixtures', 'tls');

export interface ServedResource {
  group: string;
  version: string;
  /** Plural name in the URL. */
  resource: string;
  kind: string;
  namespaced: boolean;
  /** Objects with apiVersion and kind set; served sorted by namespace and name. */
  items?: K8sObject[];
}

/** A Secret the server would serve if asked: `db` in team-a, with `password` (base64) as its data. */
export function servedSecret(passwordBase64: string): ServedResource {
  return {
    group: '',
    version: 'v1',
    resource: 'secrets',
    kind: 'Secret',
    namespaced: true,
    items: [{ metadata: { name: 'db', namespace: 'team-a' }, data: { password: passwordBase64 } }],
  };
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface FixtureServerOptions {
  /** Snapshot files or folders served as the cluster's objects (loaded with loadSnapshot). */
  snapshot?: string[];
  /** Or an inventory already loaded (its `ok` kinds are served). */
  inventory?: Inventory;
  /** Extra served resources, e.g. an API group with no objects. */
  extra?: ServedResource[];
  /** The bearer token the server accepts (default: random). */
  token?: string;
  /** gitVersion for /version (default: the snapshot's, else v1.31.2). */
  serverVersion?: string;
  /** Kinds whose list/get answers 403 Forbidden, as RBAC would; still in discovery. */
  forbidden?: KindId[];
  /** Kinds in discovery whose list answers 404 (a broken API). */
  notFound?: KindId[];
  /** Kinds of the snapshot removed from the served set: absent from discovery, 404 if asked for (`extra` still adds). */
  hidden?: KindId[];
  /**
   * Takes over a request before the server answers it (fault injection): return true when the
   * response was handled. Runs after authentication and recording. `answer()` is what the server
   * would send, for faults that cut, corrupt or delay it (test/support/faults.ts).
   */
  intercept?: (req: RecordedRequest, res: http.ServerResponse, answer: () => { status: number; body: unknown }) => boolean;
  /** The most items a list page holds whatever `limit` asks: a real server may return fewer than the limit. */
  maxPageSize?: number;
}

export interface FixtureServer {
  url: string;
  token: string;
  requests: RecordedRequest[];
  resources: readonly ServedResource[];
  /** TLS connections accepted so far (keep-alive clients reuse a few). */
  connections(): number;
  /** The objects served for a kind id, as stored (apiVersion and kind set). */
  objects(id: KindId): K8sObject[];
  close(): Promise<void>;
}

interface Resource extends ServedResource {
  id: KindId;
  /** Built-in kinds come back from a list without apiVersion/kind; custom resources with them. */
  builtin: boolean;
  items: K8sObject[];
}

const RESOURCE_VERSION = '424242';

export async function startFixtureServer(options: FixtureServerOptions = {}): Promise<FixtureServer> {
  const inventory = options.inventory ?? (options.snapshot ? loadSnapshot(options.snapshot) : undefined);
  const token = options.token ?? randomBytes(24).toString('base64url');
  const serverVersion = options.serverVersion ?? inventory?.serverVersion ?? 'v1.31.2';
  const hidden = new Set(options.hidden ?? []);
  const forbidden = new Set(options.forbidden ?? []);
  const notFound = new Set(options.notFound ?? []);
  const resources = buildResources(inventory, options.extra ?? [], hidden);
  const requests: RecordedRequest[] = [];

  const server = https.createServer(
    { key: readFileSync(path.join(TLS_DIR, 'server.key')), cert: readFileSync(path.join(TLS_DIR, 'server.crt')) },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://fixture');
      const record: RecordedRequest = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
      requests.push(record);
      const send = (status: number, body: unknown): void => {
        record.status = status;
        const text = JSON.stringify(body);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, statusObject(401, 'Unauthorized', 'Unauthorized'));
      if (req.method !== 'GET') return send(405, statusObject(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
      if (options.intercept) {
        const original = res.writeHead.bind(res);
        res.writeHead = (code: number, ...rest: unknown[]) => {
          record.status = code;
          return (original as (...a: unknown[]) => http.ServerResponse)(code, ...rest);
        };
      }
      const answer = (): Answer =>
        route(url, resources, { serverVersion, forbidden, notFound, port: (server.address() as AddressInfo).port, maxPageSize: options.maxPageSize });
      if (options.intercept?.(record, res, answer)) return;
      const a = answer();
      send(a.status, a.body);
    },
  );
  let connections = 0;
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    token,
    requests,
    resources,
    connections: () => connections,
    objects: (id) => resources.find((r) => r.id === id)?.items ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (connections to it are refused). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface KubeconfigFile {
  file: string;
  dir: string;
}

/** Writes a kubeconfig for the server in a new temp folder: one cluster, one user, one context. */
export function writeKubeconfig(
  server: Pick<FixtureServer, 'url' | 'token'>,
  opts: { context?: string; token?: string; ca?: 'test' | 'other'; server?: string; dir?: string } = {},
): KubeconfigFile {
  const caFile = path.join(TLS_DIR, opts.ca === 'other' ? 'other-ca.crt' : 'ca.crt');
  const file = writeKubeconfigFor(
    { server: opts.server ?? server.url, 'certificate-authority-data': readFileSync(caFile).toString('base64') },
    { token: opts.token ?? server.token },
    { context: opts.context ?? 'fixture', ...(opts.dir ? { dir: opts.dir } : {}) },
  );
  return { file, dir: path.dirname(file) };
}

/**
 * A kubeconfig file with one context over the given cluster and user fields (kubeconfig spelling:
 * `certificate-authority-data`, `client-certificate`, `exec`…), in a new temp folder or `dir`. The
 * cluster and user are named after the context (`fixture-cluster`, `fixture-user`), so that files
 * of different contexts merge as separate entries (KUBECONFIG path lists).
 */
export function writeKubeconfigFor(cluster: Record<string, unknown>, user: Record<string, unknown>, opts: { context?: string; dir?: string } = {}): string {
  return writeKubeconfigContexts([{ context: opts.context ?? 'ctx', cluster, user }], opts.dir);
}

/** A kubeconfig file with a context, cluster and user per entry, named after the context; the first is current. */
export function writeKubeconfigContexts(
  entries: readonly { context: string; cluster: Record<string, unknown>; user: Record<string, unknown> }[],
  dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-kubeconfig-')),
): string {
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: entries.map((e) => ({ name: `${e.context}-cluster`, cluster: e.cluster })),
      users: entries.map((e) => ({ name: `${e.context}-user`, user: e.user })),
      contexts: entries.map((e) => ({ name: e.context, context: { cluster: `${e.context}-cluster`, user: `${e.context}-user` } })),
      'current-context': entries[0]?.context ?? '',
    }),
    { mode: 0o600 },
  );
  return file;
}

// ---------------------------------------------------------------------------------------------
// The served model

const BUILTIN_GROUPS = new Set(['', 'apps', 'batch', 'policy', 'autoscaling']);

function isBuiltinGroup(group: string): boolean {
  return BUILTIN_GROUPS.has(group) || group.endsWith('.k8s.io');
}

function buildResources(inventory: Inventory | undefined, extra: ServedResource[], hidden: ReadonlySet<KindId>): Resource[] {
  const byKey = new Map<string, Resource>();
  const add = (r: Resource): void => {
    if (hidden.has(r.id)) return;
    const key = `${r.group}/${r.version}/${r.resource}`;
    if (!byKey.has(key)) byKey.set(key, r);
  };
  for (const [id, collection] of inventory?.kinds ?? []) {
    const spec = kindSpec(id);
    // Whole-group kinds (`*.constraints.gatekeeper.sh`) are served as their member kinds.
    if (collection.status !== 'ok' || spec?.dynamic) continue;
    const dot = id.indexOf('.');
    const kind = dot < 0 ? id : id.slice(0, dot);
    const group = dot < 0 ? '' : id.slice(dot + 1);
    const itemVersion = collection.items.map((i) => asString(i.apiVersion)).find(Boolean);
    add({
      id,
      group,
      version: itemVersion ? splitApiVersion(itemVersion).version : (spec?.versions[0] ?? 'v1'),
      resource: spec?.resource ?? plural(kind),
      kind,
      namespaced: spec?.namespaced ?? collection.items.some((i) => typeof field(i, 'metadata', 'namespace') === 'string'),
      builtin: spec?.builtin ?? isBuiltinGroup(group),
      items: sortObjects(collection.items),
    });
  }
  // Every CRD the cluster holds serves its resources, with or without objects.
  for (const crd of inventory?.kinds.get('CustomResourceDefinition.apiextensions.k8s.io')?.items ?? []) {
    const group = asString(field(crd, 'spec', 'group'));
    const kind = asString(field(crd, 'spec', 'names', 'kind'));
    const resource = asString(field(crd, 'spec', 'names', 'plural'));
    if (!group || !kind || !resource) continue;
    for (const v of asArray(field(crd, 'spec', 'versions'))) {
      const version = asString(field(v, 'name'));
      if (!version || field(v, 'served') === false) continue;
      const id = kindId(group, kind);
      // Like a real server, every served version lists every object of the kind, converted
      // (apiVersion rewritten, as a CRD with conversion strategy None does).
      const stored = inventory?.kinds.get(id)?.items ?? [];
      const items = sortObjects(stored.map((i) => ({ ...i, apiVersion: `${group}/${version}` })));
      add({ id, group, version, resource, kind, namespaced: field(crd, 'spec', 'scope') === 'Namespaced', builtin: false, items });
    }
  }
  const addExtra = (r: Resource): void => {
    const key = `${r.group}/${r.version}/${r.resource}`;
    if (!byKey.has(key)) byKey.set(key, r);
  };
  for (const r of extra) {
    const id = kindId(r.group, r.kind);
    addExtra({
      ...r,
      id,
      builtin: isBuiltinGroup(r.group),
      items: sortObjects((r.items ?? []).map((i) => ({ apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, ...i }))),
    });
  }
  // A real server always lists Secrets in discovery; this one refuses to serve them, so a client
  // that asks is caught by the request log and by a 403.
  add({ id: 'Secret', group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, builtin: true, items: [] });
  return [...byKey.values()].sort((a, b) => `${a.group}/${a.version}/${a.resource}`.localeCompare(`${b.group}/${b.version}/${b.resource}`));
}

function plural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

function sortObjects(items: K8sObject[]): K8sObject[] {
  const key = (o: K8sObject): string => `${asString(field(o, 'metadata', 'namespace')) ?? ''}\u0000${asString(field(o, 'metadata', 'name')) ?? ''}`;
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Routing

interface Answer {
  status: number;
  body: unknown;
}

interface RouteContext {
  serverVersion: string;
  forbidden: ReadonlySet<KindId>;
  notFound: ReadonlySet<KindId>;
  port: number;
  maxPageSize: number | undefined;
}

function statusObject(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

const NOT_FOUND: Answer = { status: 404, body: statusObject(404, 'NotFound', 'the server could not find the requested resource') };

function route(url: URL, resources: Resource[], ctx: RouteContext): Answer {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (url.pathname === '/version') return { status: 200, body: versionInfo(ctx.serverVersion) };
  if (parts[0] === 'api') {
    if (parts.length === 1) {
      return {
        status: 200,
        body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${ctx.port}` }] },
      };
    }
    if (parts[1] !== 'v1') return NOT_FOUND;
    return routeGroupVersion('', 'v1', parts.slice(2), url, resources, ctx);
  }
  if (parts[0] === 'apis') {
    const groups = servedGroups(resources);
    if (parts.length === 1) return { status: 200, body: { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups.values()] } };
    const group = groups.get(parts[1]!);
    if (!group) return NOT_FOUND;
    if (parts.length === 2) return { status: 200, body: { kind: 'APIGroup', apiVersion: 'v1', ...group } };
    if (!resources.some((r) => r.group === parts[1] && r.version === parts[2])) return NOT_FOUND;
    return routeGroupVersion(parts[1]!, parts[2]!, parts.slice(3), url, resources, ctx);
  }
  return NOT_FOUND;
}

function versionInfo(gitVersion: string): Record<string, string> {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '31',
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-01-01T00:00:00Z',
    goVersion: 'go1.22.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

function servedGroups(resources: Resource[]): Map<string, Record<string, unknown>> {
  const versions = new Map<string, string[]>();
  for (const r of resources) {
    if (r.group === '') continue;
    const list = versions.get(r.group) ?? [];
    if (!list.includes(r.version)) list.push(r.version);
    versions.set(r.group, list);
  }
  const out = new Map<string, Record<string, unknown>>();
  for (const [name, list] of [...versions.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...list].sort(compareVersions);
    const gv = (v: string): Record<string, string> => ({ groupVersion: `${name}/${v}`, version: v });
    out.set(name, { name, versions: sorted.map(gv), preferredVersion: gv(sorted[0]!) });
  }
  return out;
}

/** Kubernetes version priority: GA before beta before alpha, higher numbers first. */
function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    return [m[2] === 'alpha' ? 2 : m[2] === 'beta' ? 1 : 0, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  const [x, y] = [rank(a), rank(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || a.localeCompare(b);
}

/** The short names real servers advertise, so that `kubectl get ns,po,netpol` resolves. */
const SHORT_NAMES: Record<string, string[]> = {
  '/namespaces': ['ns'],
  '/nodes': ['no'],
  '/pods': ['po'],
  '/resourcequotas': ['quota'],
  '/limitranges': ['limits'],
  'apps/deployments': ['deploy'],
  'apps/replicasets': ['rs'],
  'apps/daemonsets': ['ds'],
  'apps/statefulsets': ['sts'],
  'batch/cronjobs': ['cj'],
  'networking.k8s.io/networkpolicies': ['netpol'],
  'apiextensions.k8s.io/customresourcedefinitions': ['crd', 'crds'],
};

function routeGroupVersion(group: string, version: string, rest: string[], url: URL, resources: Resource[], ctx: RouteContext): Answer {
  const inGv = resources.filter((r) => r.group === group && r.version === version);
  if (rest.length === 0) {
    return {
      status: 200,
      body: {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group ? `${group}/${version}` : version,
        resources: inGv.map((r) => ({
          name: r.resource,
          singularName: r.kind.toLowerCase(),
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['get', 'list', 'watch'],
          ...(SHORT_NAMES[`${r.group}/${r.resource}`] ? { shortNames: SHORT_NAMES[`${r.group}/${r.resource}`] } : {}),
        })),
      },
    };
  }
  let namespace: string | undefined;
  let resourceName: string;
  let objectName: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    [, namespace, resourceName, objectName] = rest as [string, string, string, string | undefined];
    if (rest.length > 4) return NOT_FOUND;
  } else {
    [resourceName, objectName] = rest as [string, string | undefined];
    if (rest.length > 2) return NOT_FOUND;
  }
  const r = inGv.find((x) => x.resource === resourceName);
  if (!r || (namespace !== undefined && !r.namespaced)) return NOT_FOUND;
  const verb = objectName === undefined ? 'list' : 'get';
  if (r.id === 'Secret' || ctx.forbidden.has(r.id)) {
    const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
    const message = `${r.resource} is forbidden: User "system:serviceaccount:kposture:kposture" cannot ${verb} resource "${r.resource}" in API group "${r.group}" ${scope}`;
    return { status: 403, body: statusObject(403, 'Forbidden', message, { kind: r.resource }) };
  }
  if (ctx.notFound.has(r.id)) return NOT_FOUND;

  const inScope = namespace === undefined ? r.items : r.items.filter((o) => field(o, 'metadata', 'namespace') === namespace);
  if (objectName !== undefined) {
    const obj = inScope.find((o) => field(o, 'metadata', 'name') === objectName);
    if (!obj) return { status: 404, body: statusObject(404, 'NotFound', `${r.resource} "${objectName}" not found`, { name: objectName, kind: r.resource }) };
    return { status: 200, body: obj };
  }
  if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
    return { status: 400, body: statusObject(400, 'BadRequest', 'the fixture server does not support watch') };
  }
  let selected: K8sObject[];
  try {
    selected = inScope.filter(fieldMatcher(url.searchParams.get('fieldSelector') ?? '')).filter(labelMatcher(url.searchParams.get('labelSelector') ?? ''));
  } catch (err) {
    return { status: 400, body: statusObject(400, 'BadRequest', (err as Error).message) };
  }
  return page(r, selected, url, ctx.maxPageSize);
}

function page(r: Resource, selected: K8sObject[], url: URL, maxPageSize: number | undefined): Answer {
  const asked = Number(url.searchParams.get('limit') ?? '0');
  const limit = maxPageSize && !(Number.isInteger(asked) && asked > 0 && asked < maxPageSize) ? maxPageSize : asked;
  let start = 0;
  const token = url.searchParams.get('continue');
  if (token) {
    const decoded = decodeContinue(token);
    if (!decoded) return { status: 400, body: statusObject(400, 'BadRequest', 'continue key is not valid: the token is malformed') };
    if (decoded.rv !== RESOURCE_VERSION) {
      return { status: 410, body: statusObject(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.') };
    }
    start = decoded.offset;
  }
  const end = Number.isInteger(limit) && limit > 0 ? Math.min(start + limit, selected.length) : selected.length;
  const items = selected.slice(start, end).map((o) => (r.builtin ? withoutTypeMeta(o) : o));
  const metadata: Record<string, unknown> = { resourceVersion: RESOURCE_VERSION };
  if (end < selected.length) {
    metadata.continue = encodeContinue({ rv: RESOURCE_VERSION, offset: end });
    metadata.remainingItemCount = selected.length - end;
  }
  return { status: 200, body: { kind: `${r.kind}List`, apiVersion: r.group ? `${r.group}/${r.version}` : r.version, metadata, items } };
}

function withoutTypeMeta(o: K8sObject): K8sObject {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function encodeContinue(c: { rv: string; offset: number }): string {
  return Buffer.from(JSON.stringify({ v: 'fixture/1', rv: c.rv, start: c.offset })).toString('base64url');
}

function decodeContinue(token: string): { rv: string; offset: number } | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(parsed) && parsed.v === 'fixture/1' && typeof parsed.rv === 'string' && Number.isInteger(parsed.start) && (parsed.start as number) >= 0) {
      return { rv: parsed.rv, offset: parsed.start as number };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** `a.b=c`, `a.b==c`, `a.b!=c`, comma-separated, all must hold (as the API server reads them). */
function fieldMatcher(selector: string): (o: K8sObject) => boolean {
  const terms = selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const m = /^([A-Za-z0-9_.-]+)\s*(!=|==|=)\s*(.*)$/.exec(t);
      if (!m) throw new Error(`invalid field selector term "${t}"`);
      return { path: m[1]!.split('.'), negate: m[2] === '!=', value: m[3]! };
    });
  return (o) =>
    terms.every((t) => {
      const v = field(o, ...t.path);
      // Field selectors compare scalars; the API server refuses them on anything else.
      const actual = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
      return t.negate ? actual !== t.value : actual === t.value;
    });
}

/** Equality-based label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`. */
function labelMatcher(selector: string): (o: K8sObject) => boolean {
  const terms = selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const m = /^(!?)([A-Za-z0-9_./-]+)\s*(?:(!=|==|=)\s*(.*))?$/.exec(t);
      if (!m) throw new Error(`unable to parse requirement "${t}"`);
      return { not: m[1] === '!', key: m[2]!, op: m[3], value: m[4] ?? '' };
    });
  return (o) => {
    const labels = field(o, 'metadata', 'labels');
    const get = (k: string): string | undefined => (isRecord(labels) && typeof labels[k] === 'string' ? labels[k] : undefined);
    return terms.every((t) => {
      const v = get(t.key);
      if (!t.op) return t.not ? v === undefined : v !== undefined;
      return t.op === '!=' ? v !== t.value : v === t.value;
    });
  };
}
