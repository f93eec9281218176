import http from 'node:http';
import https from 'node:https';
import { isRecord } from '../k8s/object.js';
import { isForbiddenKind } from '../k8s/kinds.js';
import { VERSION } from '../version.js';
import type { ClusterTarget } from './kubeconfig.js';

/** The API server answered with a non-2xx status; `reason` and `message` come from its Status object. */
export class ApiStatusError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ApiStatusError';
  }
}

/** No HTTP answer: connection, DNS, TLS, timeout, or a body that is not JSON. */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Credentials could not be produced (exec plugin, token file, OIDC refresh). */
export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

export interface ApiClientOptions {
  timeoutMs: number;
  /** Sockets kept open to the server: the number of requests that can run at once. */
  maxSockets: number;
  /** Called with "GET /path?query 200 12ms" per request (no headers, so no credentials). */
  logRequest?: (line: string) => void;
}

const MAX_ERROR_BODY = 64 * 1024;

/**
 * Raw GETs against one API server. Authentication comes from client-node's KubeConfig,
 * applied per request so that exec-plugin and OIDC tokens refresh; the connection comes from
 * one keep-alive agent, so a long paged list reuses one TLS session instead of opening one per
 * page. Bodies are read as bytes and parsed once: no typed models, no deep copies.
 */
export class ApiClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private credentialQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: ClusterTarget,
    private readonly options: ApiClientOptions,
  ) {
    this.base = new URL(target.cluster.server);
    const secure = this.base.protocol === 'https:';
    this.transport = secure ? https : http;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /** GETs `path` (e.g. `/api/v1/pods`) and returns the parsed JSON body. Never anything but GET. */
  async getJson(path: string, query: Record<string, string | number | undefined> = {}): Promise<unknown> {
    assertNotSecret(path);
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') search.set(k, String(v));
    const qs = search.toString();
    const fullPath = `${this.base.pathname.replace(/\/$/, '')}${path}${qs ? `?${qs}` : ''}`;
    const started = Date.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      const opts = await this.requestOptions(controller.signal, path);
      opts.path = fullPath;
      opts.signal = controller.signal;
      const { status, body } = await this.send(opts, path);
      this.options.logRequest?.(`GET ${path}${qs ? `?${qs}` : ''} ${status} ${Date.now() - started}ms`);
      if (status < 200 || status >= 300) throw statusError(status, body, path);
      try {
        return JSON.parse(body.toString('utf8')) as unknown;
      } catch {
        throw new TransportError('EBADJSON', `the answer to GET ${path} is not valid JSON`, path);
      }
    } catch (err) {
      if (controller.signal.aborted && !(err instanceof ApiStatusError)) {
        throw new TransportError('ETIMEDOUT', `no complete answer within ${formatSeconds(this.options.timeoutMs)}`, path);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * Credentials for one request. client-node runs exec plugins and token refreshes inside
   * applyToHTTPSOptions; calls are serialised so that concurrent lists wait for one plugin run
   * instead of each starting its own.
   */
  private async requestOptions(signal: AbortSignal, path: string): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {
      method: 'GET',
      protocol: this.base.protocol,
      hostname: this.base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.base.port || (this.base.protocol === 'https:' ? 443 : 80),
      headers: { Accept: 'application/json', 'User-Agent': `kposture/${VERSION}` },
    };
    const apply = this.credentialQueue.then(() => this.target.kc.applyToHTTPSOptions(opts));
    this.credentialQueue = apply.catch(() => undefined);
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(new TransportError('ETIMEDOUT', 'credentials were not ready in time', path));
      signal.addEventListener('abort', () => reject(new TransportError('ETIMEDOUT', `the credential provider did not answer within ${formatSeconds(this.options.timeoutMs)}`, path)), { once: true });
    });
    aborted.catch(() => undefined);
    try {
      await Promise.race([apply, aborted]);
    } catch (err) {
      if (err instanceof TransportError) throw err;
      throw new CredentialError(describeCredentialFailure(this.target, err));
    }
    // client-node builds a fresh agent per call; keep-alive needs the same one every time. A proxy
    // agent (proxy-url in the kubeconfig) is kept as client-node made it.
    if (!this.target.cluster.proxyUrl) opts.agent = this.agent;
    return opts;
  }

  private send(opts: https.RequestOptions, path: string): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = this.transport.request(opts, (res) => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          // Error bodies are Status objects: keep only enough of one to read its message.
          if (!ok && size >= MAX_ERROR_BODY) return;
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          if (!res.complete) reject(new TransportError('ECONNRESET', 'the connection closed before the answer was complete', path));
          else resolve({ status, body: Buffer.concat(chunks, size) });
        });
        res.on('error', (err) => reject(transportError(err, path)));
        res.on('aborted', () => reject(new TransportError('ECONNRESET', 'the connection closed before the answer was complete', path)));
      });
      req.on('error', (err) => reject(transportError(err, path)));
      req.end();
    });
  }
}

/** A second line of defence behind discovery: no request for Secrets ever leaves the process. */
function assertNotSecret(path: string): void {
  const core = /^\/api\/v1\/(?:namespaces\/[^/]+\/)?([^/?]+)/.exec(path);
  if (core && isForbiddenKind('', core[1]!)) {
    throw new Error(`refusing to request ${path}: kposture never reads Secrets`);
  }
}

function statusError(status: number, body: Buffer, path: string): ApiStatusError {
  let reason = '';
  let message = '';
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (isRecord(parsed)) {
      if (typeof parsed.reason === 'string') reason = parsed.reason;
      if (typeof parsed.message === 'string') message = parsed.message;
    }
  } catch {
    // Not a Status object (a proxy's HTML page, say): the status line says enough.
  }
  const statusText = http.STATUS_CODES[status] ?? 'error';
  const oneLine = (message || `${status} ${statusText}`).replace(/\s+/g, ' ').trim().slice(0, 300);
  return new ApiStatusError(status, reason || statusText.replace(/\s+/g, ''), oneLine, path);
}

function transportError(err: unknown, path: string): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? 'EUNKNOWN';
  return new TransportError(code, (e.message ?? String(err)).split('\n')[0]!, path);
}

/**
 * Exec plugins put their stderr in the error; it may echo credentials, so only the command's
 * name and the kind of failure are kept.
 */
function describeCredentialFailure(target: ClusterTarget, err: unknown): string {
  const user = target.user as { exec?: { command?: unknown }; authProvider?: { name?: unknown; config?: Record<string, unknown> } };
  const exec = user.exec ?? (user.authProvider?.config?.exec as { command?: unknown } | undefined);
  if (exec) {
    const command = typeof exec.command === 'string' ? exec.command.split(/[\\/]/).pop() : 'exec plugin';
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'was not found on PATH' : code ? `could not start (${code})` : err instanceof SyntaxError ? 'printed something that is not an ExecCredential' : 'exited with an error';
    return `the credential plugin "${command}" ${why}`;
  }
  if (user.authProvider) {
    const name = typeof user.authProvider.name === 'string' ? user.authProvider.name : 'auth-provider';
    const code = (err as NodeJS.ErrnoException).code;
    return `the ${name} credential provider failed${code ? ` (${code})` : ''}`;
  }
  const code = (err as NodeJS.ErrnoException).code;
  return `reading the credentials failed${code ? ` (${code})` : ''}`;
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}
