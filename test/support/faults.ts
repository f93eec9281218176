/**
 * Fault injection for the fixture API server (test/support/fixture-server.ts), per kind and per
 * request: what a flaky API server, an overloaded aggregated API or a broken proxy does to a
 * client. A FaultPlan is a list of rules; its `intercept` goes into the server's options. Each
 * rule picks requests (a kind's list or get, anywhere; or any predicate) and spoils the first
 * `times` of them (a transient fault) or all of them (persistent). The plan counts what it did.
 *
 * Also here: a server that accepts TCP connections and never says a word.
 */
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { kindSpec, type KindId } from '../../src/k8s/kinds.js';
import type { FixtureServerOptions, RecordedRequest } from './fixture-server.js';

export type Fault =
  /** 429 Too Many Requests with `Retry-After: <retryAfterSeconds>` (API Priority and Fairness). */
  | 'throttle'
  /** 500 Internal Server Error (an etcd hiccup). */
  | 'internal'
  /** 503 Service Unavailable (an aggregated API or the server restarting). */
  | 'unavailable'
  /** Status line, headers and half the body, then the connection is destroyed. */
  | 'reset'
  /** A complete 200 answer whose body is JSON cut in the middle (a broken proxy). */
  | 'truncated'
  /** The right answer, but only after `delayMs` (longer than the client's request timeout). */
  | 'slow'
  /** 410 Gone for a request that carries a `continue` token (the token expired). */
  | 'gone'
  | Malformed;

export const FAULTS: readonly Fault[] = ['throttle', 'internal', 'unavailable', 'reset', 'truncated', 'slow', 'gone'];

/**
 * A 200 answer whose JSON is whole but is not what was asked for (a broken proxy, a misrouted or
 * hostile server): each must make the kinds it decides errors, never "there are none".
 */
export type Malformed =
  /** `{}` */
  | 'empty-object'
  /** The list without its `items`. */
  | 'items-missing'
  /** `items: null` */
  | 'items-null'
  /** `items` as an object keyed by index. */
  | 'items-object'
  /** A `Status` object with `status: Failure`, sent with 200. */
  | 'status-200'
  /** A list of another kind (`NamespaceList` for pods). */
  | 'wrong-kind'
  /** `metadata.continue` a number. */
  | 'continue-number'
  /** `{"groups": null}`, a discovery document's shape gone wrong. */
  | 'groups-null';

/** The forms a list answer is spoiled in, and the forms a discovery document is. */
export const MALFORMED_LISTS: readonly Malformed[] = [
  'empty-object',
  'items-missing',
  'items-null',
  'items-object',
  'status-200',
  'wrong-kind',
  'continue-number',
];
export const MALFORMED_DISCOVERY: readonly Malformed[] = ['empty-object', 'groups-null', 'status-200'];

/** The body a malformed answer sends instead of `body`, the right one. */
function malformedBody(form: Malformed, body: unknown): unknown {
  const list = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  switch (form) {
    case 'empty-object':
      return {};
    case 'items-missing': {
      const { items: _items, ...rest } = list;
      return rest;
    }
    case 'items-null':
      return { ...list, items: null };
    case 'items-object':
      // The array becomes an object keyed by index.
      return { ...list, items: Object.fromEntries((Array.isArray(list.items) ? (list.items as unknown[]) : []).entries()) };
    case 'status-200':
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'etcdserver: leader changed', reason: 'InternalError', code: 500 };
    case 'wrong-kind':
      return { ...list, kind: list.kind === 'NamespaceList' ? 'PodList' : 'NamespaceList' };
    case 'continue-number':
      return { ...list, metadata: { ...(typeof list.metadata === 'object' ? list.metadata : {}), continue: 12345 } };
    case 'groups-null':
      return { groups: null };
  }
}

export interface FaultRule {
  fault: Fault;
  /** Requests for this kind (list or get, cluster-wide or in a namespace). */
  kind?: KindId;
  /** Or any request this predicate picks (e.g. a discovery document). */
  match?: (req: RecordedRequest) => boolean;
  /** How many of the picked requests get the fault (default: every one: persistent). */
  times?: number;
  /** For `throttle` (default 1). */
  retryAfterSeconds?: number;
  /** For `slow` (default 3000). */
  delayMs?: number;
}

/** What `req` asks for: the group and plural resource of an API path, if it is one. */
export function resourceOf(path: string): { group: string; resource: string } | undefined {
  const parts = path.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  const resource = rest[0] === 'namespaces' && rest.length >= 3 ? rest[2]! : rest[0]!;
  return { group, resource };
}

/** Whether `req` lists or gets objects of `kind`. */
export function requestsKind(kind: KindId, req: Pick<RecordedRequest, 'path'>): boolean {
  const spec = kindSpec(kind);
  const r = resourceOf(req.path);
  if (!spec || !r) return false;
  return r.group === spec.group && r.resource === spec.resource;
}

type Intercept = NonNullable<FixtureServerOptions['intercept']>;

export class FaultPlan {
  /** Faults injected so far, in total and per fault. */
  injected = 0;
  readonly byFault = new Map<Fault, number>();
  private readonly left: number[];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly rules: readonly FaultRule[]) {
    this.left = rules.map((r) => r.times ?? Infinity);
  }

  /** For FixtureServerOptions.intercept. */
  readonly intercept: Intercept = (req, res, answer) => {
    for (const [i, rule] of this.rules.entries()) {
      if (this.left[i]! <= 0) continue;
      if (rule.kind !== undefined && !requestsKind(rule.kind, req)) continue;
      if (rule.match && !rule.match(req)) continue;
      // An expired token needs a token: the first page of a list cannot be gone.
      if (rule.fault === 'gone' && !req.query.continue) continue;
      this.left[i]!--;
      this.injected++;
      this.byFault.set(rule.fault, (this.byFault.get(rule.fault) ?? 0) + 1);
      this.inject(rule, res, answer);
      return true;
    }
    return false;
  };

  /** Stops answers still waiting to be sent late (a `slow` fault whose client gave up). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private inject(rule: FaultRule, res: http.ServerResponse, answer: () => { status: number; body: unknown }): void {
    switch (rule.fault) {
      case 'throttle': {
        const after = rule.retryAfterSeconds ?? 1;
        return sendStatus(res, 429, 'TooManyRequests', 'Too many requests, please try again later.', { 'Retry-After': String(after) });
      }
      case 'internal':
        return sendStatus(res, 500, 'InternalError', 'Internal error occurred: etcdserver: request timed out');
      case 'unavailable':
        return sendStatus(res, 503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
      case 'gone':
        return sendStatus(
          res,
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      case 'reset': {
        const { status, body } = answer();
        const text = Buffer.from(JSON.stringify(body));
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': text.length });
        res.write(text.subarray(0, Math.floor(text.length / 2)), () => res.destroy());
        return;
      }
      case 'truncated': {
        const { status, body } = answer();
        const text = Buffer.from(JSON.stringify(body));
        const cut = text.subarray(0, Math.max(1, Math.floor(text.length * 0.6)));
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': cut.length });
        res.end(cut);
        return;
      }
      case 'empty-object':
      case 'items-missing':
      case 'items-null':
      case 'items-object':
      case 'status-200':
      case 'wrong-kind':
      case 'continue-number':
      case 'groups-null': {
        const text = JSON.stringify(malformedBody(rule.fault, answer().body));
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      case 'slow': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (res.destroyed || res.writableEnded) return;
          const { status, body } = answer();
          const text = JSON.stringify(body);
          res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
        }, rule.delayMs ?? 3000);
        this.timers.add(timer);
        return;
      }
    }
  }
}

function sendStatus(res: http.ServerResponse, code: number, reason: string, message: string, headers: Record<string, string> = {}): void {
  const text = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Several intercepts in turn: the first that handles the request wins. */
export function composeIntercepts(...intercepts: (Intercept | undefined)[]): Intercept {
  return (req, res, answer) => intercepts.some((i) => i?.(req, res, answer) ?? false);
}

export interface SilentServer {
  url: string;
  /** TCP connections accepted (and left hanging). */
  connections(): number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never answers: no TLS handshake, no bytes, no close. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
