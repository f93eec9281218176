import type { ChildProcess, SpawnOptions } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { existsSync, statSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { KpostureError, describeError } from '../errors.js';
import { isRecord } from '../k8s/object.js';
import { isForbiddenKind } from '../k8s/kinds.js';
import { VERSION } from '../version.js';
import { BodyBuffers, BodyCollector, freeChunksAfterUse } from './body-buffers.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterTarget } from './kubeconfig.js';
import { credentialProblem, type CredentialProblem } from './credentials.js';
import { DEFAULT_RETRY_POLICY, RETRYABLE_CODES, RETRYABLE_STATUSES, parseRetryAfter, withRetries, type RetryPolicy, type RetryableFailure } from './retry.js';

/** The API server answered with a non-2xx status; `reason` and `message` come from its Status object. */
export class ApiStatusError extends Error implements RetryableFailure {
  retryable?: string;
  retryAfterMs?: number;
  attempts?: number;
  gaveUp?: string;

  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ApiStatusError';
    if (RETRYABLE_STATUSES.has(status)) this.retryable = String(status);
  }
}

/** No HTTP answer: connection, DNS, TLS, timeout, deadline, or a body that is not JSON. */
export class TransportError extends Error implements RetryableFailure {
  retryable?: string;
  timedOut?: boolean;
  attempts?: number;
  gaveUp?: string;
  /** The request failed on a kept-alive connection before any answer came (see sendOnOpenConnection). */
  staleConnection?: boolean;

  constructor(
    readonly code: string,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'TransportError';
    if (RETRYABLE_CODES.has(code)) this.retryable = code === 'EBADJSON' ? 'incomplete JSON' : 'connection reset';
  }
}

/** Code of the TransportError thrown when the audit deadline (--timeout) has passed. */
export const DEADLINE_CODE = 'EDEADLINE';

/**
 * Credentials could not be produced (exec plugin, token file, OIDC refresh), or were produced
 * but cannot be sent (`unusable`: the plugin's output is wrong, not the cluster).
 */
export class CredentialError extends Error {
  constructor(
    message: string,
    readonly unusable = false,
  ) {
    super(message);
    this.name = 'CredentialError';
  }
}

/**
 * A limit on what one answer or one list may take was reached (docs/reliability.md): the kind
 * being read is an error whose reason says which limit, and how to raise it. Never retried.
 */
export class LimitError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'LimitError';
  }
}

/** The largest answer body read (--max-page-mib); a real list page of 500 pods is a few MB. */
const DEFAULT_MAX_BODY_BYTES = 256 * 2 ** 20;

export interface ApiClientOptions {
  /** Per request (credentials, connection, whole body): --request-timeout. */
  timeoutMs: number;
  /** Sockets kept open to the server: the number of requests that can run at once. */
  maxSockets: number;
  /** Called with "GET /path?query 200 12ms" per request and a line per retry (no headers, so no credentials). */
  logRequest?: (line: string) => void;
  /** Retries of failed requests (default DEFAULT_RETRY_POLICY). */
  retry?: RetryPolicy;
  /** Epoch ms of the audit deadline (--timeout): no request runs past it. */
  deadline?: number;
  /** Memory bodies are read into (default: a pool of this client's own). */
  buffers?: BodyBuffers;
  /** The largest answer body read (default DEFAULT_MAX_BODY_BYTES); a larger one fails at once, unretried. */
  maxBodyBytes?: number;
}

/** Where a request was when it timed out: waiting for credentials, a free socket, the connection, or the answer. */
type Phase = 'credentials' | 'queued' | 'connect' | 'response';

const MAX_ERROR_BODY = 64 * 1024;
const MAX_SIZE_HINT = 64 * 1024 * 1024;

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
  /** Credential plugin processes still running: stopped when they overrun and on close. */
  private readonly plugins = new Set<ChildProcess>();
  /**
   * Where answer bodies are read. A `parse` callback gets a body over this memory, valid for the
   * call: it parses the body, or transfers its memory to a page decoder worker, which gives it back.
   */
  readonly buffers: BodyBuffers;

  constructor(
    private readonly target: ClusterTarget,
    private readonly options: ApiClientOptions,
  ) {
    checkReferencedFiles(target);
    this.buffers = options.buffers ?? new BodyBuffers();
    this.base = new URL(target.cluster.server);
    const secure = this.base.protocol === 'https:';
    this.transport = secure ? https : http;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.trackCredentialPlugins();
  }

  /**
   * client-node spawns exec credential plugins and waits for them without a limit, until their
   * stdout closes: a plugin that hangs (waiting for a browser login, say), or that leaves a child
   * behind holding its stdout, would keep the process alive after the audit gave up. Its spawn
   * function is wrapped so that each plugin runs in a process group of its own, which can be
   * stopped whole.
   */
  private trackCredentialPlugins(): void {
    const authenticators = (this.target.kc as unknown as { authenticators?: unknown } | undefined)?.authenticators;
    for (const auth of Array.isArray(authenticators) ? authenticators : []) {
      const a = auth as { execFn?: unknown };
      if (typeof a.execFn !== 'function') continue;
      const spawn = a.execFn as (command: string, args?: readonly string[], options?: SpawnOptions) => ChildProcess;
      a.execFn = (command: string, args?: readonly string[], options?: SpawnOptions): ChildProcess => {
        // On Windows `detached` opens a console instead; there the plugin alone is stopped.
        const child = spawn(command, args, { ...options, detached: process.platform !== 'win32' });
        this.plugins.add(child);
        child.once('close', () => this.plugins.delete(child));
        child.once('error', () => this.plugins.delete(child));
        return child;
      };
    }
  }

  /** Kills each plugin still running with its process group, and stops reading what it left open. */
  private stopCredentialPlugins(): void {
    for (const child of this.plugins) {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // The group is gone already.
      }
      // A descendant that left the group may still hold the pipes: they would keep this process alive.
      for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
    }
    this.plugins.clear();
  }

  /**
   * GETs `path` (e.g. `/api/v1/pods`) and returns the parsed JSON body. Never anything but GET.
   * Transient failures are retried (see retry.ts); the error finally thrown says how often.
   */
  async getJson(path: string, query: Record<string, string | number | undefined> = {}): Promise<unknown> {
    return this.getWith(path, query, parseBody);
  }

  /**
   * GETs `path` and turns the body into a value with `parse`, which may throw a TransportError
   * EBADJSON for a body it cannot read (retried like any invalid answer).
   */
  async getWith<T>(path: string, query: Record<string, string | number | undefined>, parse: (body: Buffer, path: string) => T): Promise<T> {
    assertNotSecret(path);
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') search.set(k, String(v));
    const qs = search.toString();
    const shown = `${path}${qs ? `?${qs}` : ''}`;
    const policy = this.options.retry ?? DEFAULT_RETRY_POLICY;
    return withRetries(() => this.getOnce(path, shown, parse), {
      policy,
      ...(this.options.deadline !== undefined ? { deadline: this.options.deadline } : {}),
      onRetry: ({ attempt, delayMs, why }) =>
        this.options.logRequest?.(`retrying GET ${shown} in ${formatSeconds(delayMs)} (${why}; attempt ${attempt + 1} of ${policy.attempts})`),
    });
  }

  private async getOnce<T>(path: string, shown: string, parse: (body: Buffer, path: string) => T): Promise<T> {
    const started = Date.now();
    const remaining = this.options.deadline === undefined ? Infinity : this.options.deadline - started;
    if (remaining <= 0) throw new TransportError(DEADLINE_CODE, 'audit deadline reached', path);
    // The deadline cuts a request short; then the failure is the deadline's, not a slow server's.
    const cutByDeadline = remaining < this.options.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.min(this.options.timeoutMs, remaining));
    const state: { phase: Phase } = { phase: 'credentials' };
    try {
      const opts = await this.requestOptions(controller.signal, path);
      opts.path = `${this.base.pathname.replace(/\/$/, '')}${shown}`;
      opts.signal = controller.signal;
      state.phase = 'queued';
      const answer = await this.sendOnOpenConnection(opts, path, shown, state);
      const { status, headers } = answer;
      this.options.logRequest?.(`GET ${shown} ${status} ${Date.now() - started}ms`);
      try {
        if (status < 200 || status >= 300) {
          const err = statusError(status, answer.body.body(), path);
          if (err.retryable) {
            const after = parseRetryAfter(headers['retry-after']);
            if (after !== undefined) err.retryAfterMs = after;
          }
          throw err;
        }
        return parse(answer.body.body(), path);
      } finally {
        answer.body.release();
      }
    } catch (err) {
      if (controller.signal.aborted && !(err instanceof ApiStatusError) && !(err instanceof TransportError && err.code === 'EBADJSON')) {
        throw this.timeoutError(path, state.phase, cutByDeadline, started, err);
      }
      if (err instanceof TransportError && err.code !== 'EBADJSON') this.options.logRequest?.(`GET ${shown} failed: ${err.code} ${Date.now() - started}ms`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends the request, and sends it again at once when it failed on a kept-alive connection before
   * any answer came. That is the race every keep-alive client meets: the server closes a connection
   * that sat idle for its keep-alive timeout while the client is reusing it. The GET is sent again
   * on another connection without counting as a try (as Go's client, and so kubectl, does), at most
   * once per pooled connection, since each failure closes the one it was on.
   */
  private async sendOnOpenConnection(opts: https.RequestOptions, path: string, shown: string, state: { phase: Phase }): ReturnType<ApiClient['send']> {
    for (let resent = 0; ; resent++) {
      try {
        return await this.send(opts, path, state);
      } catch (err) {
        if (!(err instanceof TransportError && err.staleConnection) || resent >= this.options.maxSockets) throw err;
        this.options.logRequest?.(`GET ${shown}: the server had closed the kept-alive connection (${err.code}); sending again on another one`);
      }
    }
  }

  /**
   * Which timeout this was. A server that did not even complete the connection is down or
   * unreachable, and trying again costs another whole timeout for nothing: only an answer that
   * was slow in coming after the connection stood is retried.
   */
  private timeoutError(path: string, phase: Phase, cutByDeadline: boolean, started: number, cause: unknown): TransportError | CredentialError {
    this.options.logRequest?.(`GET ${path} timed out (${phase}) ${Date.now() - started}ms`);
    const within = formatSeconds(this.options.timeoutMs);
    if (phase === 'credentials') {
      this.stopCredentialPlugins();
      return new CredentialError(`${credentialSource(this.target)} did not answer ${cutByDeadline ? 'before the audit deadline' : `within ${within}`}`);
    }
    if (cutByDeadline) return new TransportError(DEADLINE_CODE, 'audit deadline reached', path);
    if (cause instanceof TransportError && cause.code === 'ETIMEDOUT') return cause;
    if (phase === 'connect') return new TransportError('ETIMEDOUT', `no connection within ${within}`, path);
    const err = new TransportError('ETIMEDOUT', `no complete answer within ${within}`, path);
    err.retryable = 'timeout';
    err.timedOut = true;
    return err;
  }

  close(): void {
    this.stopCredentialPlugins();
    this.agent.destroy();
    this.buffers.clear();
  }

  /** The options of one request: where it goes, and its credentials (static, or made for it by client-node). */
  private async requestOptions(signal: AbortSignal, path: string): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {
      method: 'GET',
      protocol: this.base.protocol,
      hostname: this.base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.base.port || (this.base.protocol === 'https:' ? 443 : 80),
      headers: { Accept: 'application/json', 'User-Agent': `kposture/${VERSION}` },
    };
    const { kc, fixed } = this.target;
    if (kc) await this.applyCredentials(kc, opts, signal, path);
    // Static credentials, made once (kubeconfig.ts): the same options for every request.
    else
      Object.assign(opts, fixed, { headers: { ...(opts.headers as http.OutgoingHttpHeaders), ...(fixed?.headers as http.OutgoingHttpHeaders | undefined) } });
    // One keep-alive agent for every request (client-node builds a fresh one per call). A proxy
    // agent (proxy-url in the kubeconfig, credentials per request) is kept as client-node made it.
    if (!this.target.cluster.proxyUrl) opts.agent = this.agent;
    return opts;
  }

  /**
   * Credentials made for one request. client-node runs exec plugins and token refreshes inside
   * applyToHTTPSOptions; calls are serialised so that concurrent lists wait for one plugin run
   * instead of each starting its own.
   */
  private async applyCredentials(kc: KubeConfig, opts: https.RequestOptions, signal: AbortSignal, path: string): Promise<void> {
    const apply = this.credentialQueue.then(() => kc.applyToHTTPSOptions(opts));
    this.credentialQueue = apply.catch(() => undefined);
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(new TransportError('ETIMEDOUT', 'credentials were not ready in time', path));
      signal.addEventListener(
        'abort',
        () => reject(new TransportError('ETIMEDOUT', `the credential provider did not answer within ${formatSeconds(this.options.timeoutMs)}`, path)),
        { once: true },
      );
    });
    aborted.catch(() => undefined);
    try {
      await Promise.race([apply, aborted]);
    } catch (err) {
      if (err instanceof TransportError) throw err;
      throw new CredentialError(describeCredentialFailure(this.target, err));
    }
    // The kubeconfig's own fields were checked when it was resolved: what is wrong now was made for this request.
    const found = credentialProblem(opts);
    if (found) throw new CredentialError(`${credentialSource(this.target)} ${describeUnusable(this.target, found)}`, true);
  }

  /** One request; the answer's body is in pooled memory, which the caller releases. */
  private send(
    opts: https.RequestOptions,
    path: string,
    state: { phase: Phase },
  ): Promise<{ status: number; body: BodyCollector; headers: http.IncomingHttpHeaders }> {
    const secure = this.base.protocol === 'https:';
    const maxBody = maxBodyBytes(this.options.maxBodyBytes);
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = this.transport.request(opts, (res) => {
        answered = true;
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const declared = Number(res.headers['content-length']);
        const tooLarge = (): LimitError => {
          const mib = Math.round(maxBody / 2 ** 20);
          return new LimitError(
            `the answer to GET ${path} is larger than ${mib} MiB`,
            'raise --max-page-mib (at most a tenth of the heap limit, NODE_OPTIONS=--max-old-space-size) if the cluster really sends pages that large',
          );
        };
        if (ok && Number.isSafeInteger(declared) && declared > maxBody) {
          req.destroy();
          reject(tooLarge());
          return;
        }
        // A declared length sizes the buffer at once, within reason: a server's claim is not an allocation.
        const body = new BodyCollector(this.buffers, ok && Number.isSafeInteger(declared) && declared <= MAX_SIZE_HINT ? declared : undefined);
        const fail = (err: Error): void => {
          body.release();
          reject(err);
        };
        let cut = false;
        res.on('data', (chunk: Buffer) => {
          // Error bodies are Status objects: keep only enough of one to read its message.
          if (cut || (!ok && body.size >= MAX_ERROR_BODY)) return;
          if (body.size + chunk.length > maxBody) {
            // Stop reading at once: the rest of the answer is never received, let alone kept.
            cut = true;
            req.destroy();
            fail(tooLarge());
            return;
          }
          body.add(chunk);
        });
        // Each chunk is in the body's pooled memory now: free its own at once (body-buffers.ts).
        freeChunksAfterUse(res);
        res.on('end', () => {
          if (!res.complete) fail(new TransportError('ECONNRESET', 'the connection closed before the answer was complete', path));
          else resolve({ status, body, headers: res.headers });
        });
        res.on('error', (err) => fail(transportError(err, path)));
        res.on('aborted', () => fail(new TransportError('ECONNRESET', 'the connection closed before the answer was complete', path)));
      });
      req.on('socket', (socket) => {
        // The HTTP parser's 'data' listener is attached before 'socket' is emitted: the decrypted
        // records it has parsed are freed after it, until the request is done (body-buffers.ts).
        req.once('close', freeChunksAfterUse(socket));
        if (req.reusedSocket) {
          state.phase = 'response';
          return;
        }
        state.phase = 'connect';
        socket.once(secure ? 'secureConnect' : 'connect', () => {
          state.phase = 'response';
        });
      });
      req.on('error', (err) => {
        const failure = transportError(err, path);
        if (req.reusedSocket && !answered && (failure.code === 'ECONNRESET' || failure.code === 'EPIPE')) failure.staleConnection = true;
        reject(failure);
      });
      req.end();
    });
  }
}

/**
 * Files the kubeconfig names for TLS (CA, client certificate and key) must exist: otherwise
 * client-node fails inside every request with a bare ENOENT, which says nothing about the
 * kubeconfig. A wrong path is a configuration error (exit 2), reported before any connection.
 */
function checkReferencedFiles(target: ClusterTarget): void {
  const files: [string, string | undefined][] = [
    [`cluster "${target.cluster.name}" certificate-authority`, target.cluster.caFile],
    [`user "${target.user.name}" client-certificate`, target.user.certFile],
    [`user "${target.user.name}" client-key`, target.user.keyFile],
  ];
  for (const [field, file] of files) {
    if (typeof file !== 'string' || file === '') continue;
    const problem = !existsSync(file) ? 'no such file' : statSync(file).isDirectory() ? 'is a directory' : undefined;
    if (problem) {
      throw new KpostureError(
        'config',
        `kubeconfig ${target.origin}: ${field} ${file}: ${problem}`,
        'fix the path in the kubeconfig, or embed the file with the -data field',
      );
    }
  }
}

/**
 * The largest body read: the configured limit, but never more than a tenth of V8's heap limit,
 * since a parsed page takes several times its bytes and a page that cannot be parsed ends the
 * process, not just its kind.
 */
function maxBodyBytes(configured: number | undefined): number {
  return Math.min(configured ?? DEFAULT_MAX_BODY_BYTES, Math.floor(getHeapStatistics().heap_size_limit / 10));
}

/** The body as JSON, or a TransportError EBADJSON. */
export function parseBody(body: Buffer, path: string): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new TransportError('EBADJSON', `the answer to GET ${path} is not valid JSON`, path);
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
  return new TransportError(code, describeError(err).split('\n')[0]!, path);
}

/**
 * Exec plugins put their stderr in the error; it may echo credentials, so only the command's
 * name and the kind of failure are kept.
 */
function describeCredentialFailure(target: ClusterTarget, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (execOf(target)) {
    const why =
      code === 'ENOENT'
        ? 'was not found on PATH'
        : code
          ? `could not start (${code})`
          : err instanceof SyntaxError
            ? 'printed something that is not an ExecCredential'
            : 'exited with an error';
    return `${credentialSource(target)} ${why}`;
  }
  if ((target.user as { authProvider?: unknown }).authProvider) return `${credentialSource(target)} failed${code ? ` (${code})` : ''}`;
  return `reading the credentials failed${code ? ` (${code})` : ''}`;
}

/** What is wrong with credentials a plugin or provider made, by the field of its output. */
function describeUnusable(target: ClusterTarget, found: CredentialProblem): string {
  const exec = execOf(target) !== undefined;
  const [cert, key] = exec ? ['status.clientCertificateData', 'status.clientKeyData'] : ['the client certificate', 'the client key'];
  const token = exec ? 'status.token' : 'the token';
  const field =
    found.part === 'header'
      ? found.header.toLowerCase() === 'authorization'
        ? token
        : `the ${found.header} header`
      : found.part === 'cert'
        ? cert
        : found.part === 'key'
          ? key
          : `${cert} and ${key}`;
  return exec ? `printed an ExecCredential whose ${field} ${found.problem}` : `made credentials that cannot be sent: ${field} ${found.problem}`;
}

/** Who makes the credentials, for messages: `the credential plugin "aws"`, never its arguments. */
function credentialSource(target: ClusterTarget): string {
  const exec = execOf(target);
  if (exec) return `the credential plugin "${typeof exec.command === 'string' ? exec.command.split(/[\\/]/).pop() : 'exec plugin'}"`;
  const provider = (target.user as { authProvider?: { name?: unknown } }).authProvider;
  if (provider) return `the ${typeof provider.name === 'string' ? provider.name : 'auth-provider'} credential provider`;
  return 'the credential source';
}

function execOf(target: ClusterTarget): { command?: unknown } | undefined {
  const user = target.user as { exec?: { command?: unknown }; authProvider?: { config?: Record<string, unknown> } };
  return user.exec ?? (user.authProvider?.config?.exec as { command?: unknown } | undefined);
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}
