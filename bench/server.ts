/**
 * The benchmark's API server: a synthetic cluster served over HTTPS on 127.0.0.1 with bearer-token
 * auth, discovery and paged lists (`limit`/`continue`), fast enough that clients, not the
 * server, are what is measured.
 *
 * Every object is serialised once at start-up into one buffer per kind, items separated by
 * commas, with the offset of each item kept: a page is then three writes (its header, one slice
 * of that buffer, the closing brackets), with no copy and no JSON work per request. Items come
 * without apiVersion/kind, as a real API server's typed lists. Responses are not compressed
 * (kubectl asks for gzip; a server may answer without it, and loopback has bandwidth to spare).
 *
 * Run in its own process (the runner measures clients alone): it prints one JSON line with its
 * URL and token when it is ready, and serves until stdin closes.
 *   node dist/bench/server.js --size XL
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIZES, SYNTHETIC_KINDS, SYNTHETIC_SERVER_VERSION, type ClusterSize, type SyntheticKind } from './synth.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TLS_DIR = path.join(REPO_ROOT, 'fixtures', 'tls');
const RESOURCE_VERSION = '7340032';

/** One kind's objects, serialised: `item0,item1,…,itemN,` with the start of each item. */
interface Packed {
  buf: Buffer;
  /** offsets[i] = start of item i; offsets[count] = end of the buffer. */
  offsets: Float64Array;
  count: number;
  /** Phase of each pod (index into PHASES), for field selectors; undefined for other kinds. */
  phases?: Uint8Array;
}

interface Resource {
  kind: SyntheticKind;
  group: string;
  version: string;
  kindName: string;
  packed: Packed;
}

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown', ''];

function pack(items: Iterable<object>, withPhases: boolean): Packed {
  let buf = Buffer.allocUnsafe(1 << 20);
  let length = 0;
  const offsets: number[] = [];
  const phases: number[] = [];
  for (const item of items) {
    const { apiVersion: _a, kind: _k, ...rest } = item as Record<string, unknown>;
    const text = `${JSON.stringify(rest)},`;
    const need = Buffer.byteLength(text);
    if (length + need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, length + need));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    offsets.push(length);
    length += buf.write(text, length, 'utf8');
    if (withPhases) {
      const phase = ((rest.status as Record<string, unknown> | undefined)?.phase as string | undefined) ?? '';
      phases.push(Math.max(0, PHASES.indexOf(phase)));
    }
  }
  offsets.push(length);
  const packed: Packed = { buf: buf.subarray(0, length), offsets: Float64Array.from(offsets), count: offsets.length - 1 };
  if (withPhases) packed.phases = Uint8Array.from(phases);
  return packed;
}

function buildResources(size: ClusterSize): Resource[] {
  return SYNTHETIC_KINDS.map((kind) => {
    const slash = kind.apiVersion.indexOf('/');
    const group = slash < 0 ? '' : kind.apiVersion.slice(0, slash);
    const version = slash < 0 ? kind.apiVersion : kind.apiVersion.slice(slash + 1);
    const packed = pack(kind.items?.(size) ?? [], kind.resource === 'pods');
    return { kind, group, version, kindName: kind.listKind.slice(0, -'List'.length), packed };
  });
}

// ---------------------------------------------------------------------------------------------
// Discovery

function apiResourceList(groupVersion: string, resources: Resource[]): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources.map((r) => ({
      name: r.kind.resource,
      singularName: r.kindName.toLowerCase(),
      namespaced: r.kind.namespaced,
      kind: r.kindName,
      verbs: ['get', 'list', 'watch'],
    })),
  };
}

function discovery(resources: Resource[]): Map<string, string> {
  const docs = new Map<string, string>();
  const core = resources.filter((r) => r.group === '');
  // A real server lists Secrets; this one answers 403 to any request for them.
  const secrets = {
    kind: { listKind: 'SecretList', apiVersion: 'v1', resource: 'secrets', namespaced: true },
    group: '',
    version: 'v1',
    kindName: 'Secret',
    packed: pack([], false),
  };
  docs.set(
    '/api',
    JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:443' }] }),
  );
  docs.set('/api/v1', JSON.stringify(apiResourceList('v1', [...core, secrets])));
  const groups = new Map<string, Resource[]>();
  for (const r of resources) if (r.group !== '') groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  const groupList = [...groups.entries()].map(([name, rs]) => {
    const gv = { groupVersion: `${name}/${rs[0]!.version}`, version: rs[0]!.version };
    return { name, versions: [gv], preferredVersion: gv };
  });
  docs.set('/apis', JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: groupList }));
  for (const g of groupList) {
    docs.set(`/apis/${g.name}`, JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...g }));
    docs.set(`/apis/${g.preferredVersion.groupVersion}`, JSON.stringify(apiResourceList(g.preferredVersion.groupVersion, groups.get(g.name)!)));
  }
  const m = /^v(\d+)\.(\d+)/.exec(SYNTHETIC_SERVER_VERSION)!;
  docs.set(
    '/version',
    JSON.stringify({
      major: m[1],
      minor: m[2],
      gitVersion: SYNTHETIC_SERVER_VERSION,
      gitCommit: '0'.repeat(40),
      gitTreeState: 'clean',
      buildDate: '2024-10-22T20:28:14Z',
      goVersion: 'go1.22.8',
      compiler: 'gc',
      platform: 'linux/amd64',
    }),
  );
  return docs;
}

// ---------------------------------------------------------------------------------------------
// Lists

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/** `status.phase!=Succeeded,status.phase!=Failed`, the only field selector clients send here. */
function phaseFilter(selector: string): ((phase: string) => boolean) | undefined {
  if (!selector) return () => true;
  const terms = selector.split(',').map((t) => /^status\.phase(!=|==|=)(.*)$/.exec(t.trim()));
  if (terms.some((t) => !t)) return undefined;
  return (phase) => terms.every((t) => (t![1] === '!=' ? phase !== t![2] : phase === t![2]));
}

interface Stats {
  requests: number;
  listPages: number;
  bytes: number;
  byPath: Record<string, { pages: number; bytes: number; limits: number[] }>;
}

function newStats(): Stats {
  return { requests: 0, listPages: 0, bytes: 0, byPath: {} };
}

export interface BenchServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

export async function startBenchServer(size: ClusterSize, token = randomBytes(24).toString('base64url')): Promise<BenchServer> {
  const resources = buildResources(size);
  const byPath = new Map<string, Resource>(resources.map((r) => [`${r.group ? `/apis/${r.group}` : '/api'}/${r.version}/${r.kind.resource}`, r]));
  const docs = discovery(resources);
  let stats = newStats();

  const send = (res: http.ServerResponse, code: number, body: string): void => {
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    stats.bytes += Buffer.byteLength(body);
  };

  const list = (res: http.ServerResponse, r: Resource, url: URL): void => {
    const { packed } = r;
    const filter = phaseFilter(url.searchParams.get('fieldSelector') ?? '');
    if (!filter) return send(res, 400, status(400, 'BadRequest', 'unsupported field selector'));
    if (url.searchParams.get('labelSelector')) return send(res, 400, status(400, 'BadRequest', 'label selectors are not supported by the bench server'));
    const limit = Number(url.searchParams.get('limit') ?? '0');
    let start = 0;
    const token = url.searchParams.get('continue');
    if (token) {
      const decoded = /^(\d+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString('latin1'));
      if (!decoded) return send(res, 400, status(400, 'BadRequest', 'continue key is not valid'));
      if (decoded[1] !== RESOURCE_VERSION)
        return send(res, 410, status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.'));
      start = Number(decoded[2]);
    }
    const selected = (i: number): boolean => !packed.phases || filter(PHASES[packed.phases[i]!]!);
    // Pages hold `limit` selected items; the continue token is the index to resume from.
    const chunks: Buffer[] = [];
    let taken = 0;
    let i = start;
    let runStart = -1;
    const flush = (end: number): void => {
      if (runStart >= 0 && end > runStart) chunks.push(packed.buf.subarray(packed.offsets[runStart], packed.offsets[end]));
      runStart = -1;
    };
    for (; i < packed.count && (!(limit > 0) || taken < limit); i++) {
      if (selected(i)) {
        if (runStart < 0) runStart = i;
        taken++;
      } else {
        flush(i);
      }
    }
    flush(i);
    let remaining = 0;
    for (let j = i; j < packed.count; j++) if (selected(j)) remaining++;
    const metadata: Record<string, unknown> = { resourceVersion: RESOURCE_VERSION };
    if (remaining > 0) {
      metadata.continue = Buffer.from(`${RESOURCE_VERSION}:${i}`, 'latin1').toString('base64url');
      metadata.remainingItemCount = remaining;
    }
    const head = Buffer.from(
      `{"kind":${JSON.stringify(r.kind.listKind)},"apiVersion":${JSON.stringify(r.kind.apiVersion)},"metadata":${JSON.stringify(metadata)},"items":[`,
    );
    // Runs end with a comma; the last one's is dropped.
    const body = chunks.length > 0 ? [...chunks.slice(0, -1), chunks[chunks.length - 1]!.subarray(0, -1)] : [];
    const tail = Buffer.from(']}');
    const length = head.length + body.reduce((n, b) => n + b.length, 0) + tail.length;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': length });
    res.write(head);
    for (const b of body) res.write(b);
    res.end(tail);
    stats.listPages++;
    stats.bytes += length;
    const entry = (stats.byPath[url.pathname] ??= { pages: 0, bytes: 0, limits: [] });
    entry.pages++;
    entry.bytes += length;
    if (!entry.limits.includes(limit)) entry.limits.push(limit);
  };

  const server = https.createServer(
    { key: readFileSync(path.join(TLS_DIR, 'server.key')), cert: readFileSync(path.join(TLS_DIR, 'server.crt')), keepAliveTimeout: 60_000 },
    (req, res) => {
      stats.requests++;
      const url = new URL(req.url ?? '/', 'https://bench');
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      if (req.method !== 'GET') return send(res, 405, status(405, 'MethodNotAllowed', 'only GET is served'));
      if (url.pathname === '/_bench/stats') {
        const body = JSON.stringify(stats);
        stats = newStats();
        return send(res, 200, body);
      }
      const doc = docs.get(url.pathname.replace(/\/$/, ''));
      if (doc !== undefined) return send(res, 200, doc);
      if (/^\/api\/v1\/(namespaces\/[^/]+\/)?secrets/.test(url.pathname)) {
        return send(res, 403, status(403, 'Forbidden', 'secrets is forbidden: the bench server never serves Secrets'));
      }
      const r = byPath.get(url.pathname);
      if (!r) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      if (url.searchParams.get('watch')) return send(res, 400, status(400, 'BadRequest', 'watch is not supported by the bench server'));
      list(res, r, url);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--size');
  const name = at >= 0 ? process.argv[at + 1] : undefined;
  const size = name ? SIZES[name] : undefined;
  if (!size) {
    process.stderr.write(`usage: server.js --size ${Object.keys(SIZES).join('|')}\n`);
    process.exitCode = 2;
    return;
  }
  const started = Date.now();
  const server = await startBenchServer(size);
  process.stdout.write(`${JSON.stringify({ url: server.url, token: server.token, startupMs: Date.now() - started })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void server.close());
  process.stdin.on('close', () => void server.close());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) void main();
