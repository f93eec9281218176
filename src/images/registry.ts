/**
 * The distribution API (OCI distribution spec, Docker registry v2) as kposture uses it: manifests
 * by tag or digest, blobs by digest, nothing written. Every manifest and blob is checked against
 * its digest; a tag is resolved with HEAD (a HEAD does not count against Docker Hub's pull limit).
 * Authentication follows the `WWW-Authenticate` challenge: a bearer token from the realm it names
 * (anonymous, or with the stored credential), or basic auth. Credentials go to the registry's
 * own origin and its token realm, never to a redirect target of another origin (blob storage).
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { registryTls, type RegistryTls } from './certs.js';
import type { Credential, CredentialStore } from './credentials.js';
import { discard, readBody, request, RegistryHttpError, statusError, type HttpResponse } from './http.js';
import { withRetries, type RetryOptions } from '../kube/retry.js';

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

const MAX_MANIFEST_BYTES = 4 << 20;
const MAX_REDIRECTS = 5;

/** What was sent and received, for the progress line and the benchmark. */
export interface TransportStats {
  requests: number;
  bytes: number;
}

export interface RegistryOptions {
  /** `host[:port]` of registries reached over plain HTTP or an unverified certificate. */
  insecure: ReadonlySet<string>;
  credentials: CredentialStore;
  /** certs.d roots whose `<host>` folders hold that registry's CAs and client certificate (certs.ts). */
  certsDirs?: readonly string[];
  /** Requests in flight per registry. */
  concurrency: number;
  timeoutMs: number;
  stats: TransportStats;
  retry?: RetryOptions;
}

export interface Fetched {
  digest: string;
  mediaType: string;
  body: Buffer;
}

/** One client per registry host of a run: its tokens, its scheme, its concurrency. */
export class Registries {
  private readonly clients = new Map<string, RegistryClient>();
  constructor(private readonly options: RegistryOptions) {}

  client(host: string): RegistryClient {
    let c = this.clients.get(host);
    if (!c) this.clients.set(host, (c = new RegistryClient(host, this.options)));
    return c;
  }
}

export class RegistryClient {
  private readonly insecure: boolean;
  private base: URL;
  private httpsWorks = false;
  private readonly tokens = new Map<string, string>();
  private basic: boolean = false;
  private readonly slots: Semaphore;
  /** The registry's own TLS material (certs.d); other origins (blob storage, a token realm elsewhere) get none of it. */
  private readonly tls: RegistryTls | undefined;

  constructor(
    private readonly host: string,
    private readonly options: RegistryOptions,
  ) {
    this.insecure = options.insecure.has(host);
    this.tls = options.certsDirs ? registryTls(host, options.certsDirs) : undefined;
    const apiHost = host === 'docker.io' ? 'registry-1.docker.io' : host;
    this.base = new URL(`https://${apiHost}`);
    this.slots = new Semaphore(Math.max(1, options.concurrency));
  }

  /** The digest a tag points to, by HEAD; undefined when the registry does not say. */
  async resolveTag(repo: string, tag: string): Promise<string | undefined> {
    const res = await this.retrying(async () => {
      const r = await this.send('HEAD', `/v2/${repo}/manifests/${encodeURIComponent(tag)}`, repo, { Accept: MANIFEST_TYPES.join(', ') });
      discard(r);
      if (r.status !== 200) throw statusError(`${this.host}/${repo}:${tag}`, r);
      return r;
    });
    const digest = res.headers['docker-content-digest'];
    return typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : undefined;
  }

  /** A manifest by digest (verified) or tag (its digest computed from the bytes received). */
  async manifest(repo: string, reference: string): Promise<Fetched> {
    return this.retrying(async () => {
      const res = await this.send('GET', `/v2/${repo}/manifests/${reference}`, repo, { Accept: MANIFEST_TYPES.join(', ') });
      const what = `${this.host}/${repo}@${reference}`;
      if (res.status !== 200) {
        discard(res);
        throw statusError(`manifest ${what}`, res);
      }
      const body = await readBody(res, MAX_MANIFEST_BYTES, `manifest ${what}`);
      this.options.stats.bytes += body.length;
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      if (reference.startsWith('sha256:') && digest !== reference) {
        throw new RegistryHttpError(`manifest ${what}: the registry sent bytes whose digest is ${digest}`, {});
      }
      const type = res.headers['content-type'];
      const declared = (JSON.parse(body.toString('utf8')) as { mediaType?: unknown }).mediaType;
      const mediaType = typeof declared === 'string' ? declared : typeof type === 'string' ? type.split(';')[0]!.trim() : '';
      return { digest, mediaType, body };
    });
  }

  /**
   * A blob as a stream that fails unless its bytes hash to `digest` and number `size`: a reader
   * must consume it to the end before trusting anything read from it.
   */
  async blob(repo: string, digest: string, size: number | undefined): Promise<Readable> {
    const res = await this.retrying(async () => {
      const r = await this.send('GET', `/v2/${repo}/blobs/${digest}`, repo, {});
      if (r.status !== 200) {
        discard(r);
        throw statusError(`blob ${this.host}/${repo}@${digest}`, r);
      }
      return r;
    });
    const stats = this.options.stats;
    const verified = verifying(digest, size, `blob ${this.host}/${repo}@${digest}`, (n) => (stats.bytes += n));
    res.body.on('error', (err) => verified.destroy(err));
    res.body.on('aborted', () => verified.destroy(new RegistryHttpError(`blob ${digest}: the connection broke while reading`, { code: 'ECONNRESET' })));
    return res.body.pipe(verified);
  }

  private retrying<T>(op: () => Promise<T>): Promise<T> {
    return withRetries(op, this.options.retry ?? {});
  }

  /** One request in a slot of this registry, with authentication and redirects handled. */
  private async send(method: 'GET' | 'HEAD', path: string, repo: string, headers: Record<string, string>): Promise<HttpResponse> {
    await this.slots.acquire();
    try {
      return await this.sendUnbounded(method, path, repo, headers);
    } finally {
      this.slots.release();
    }
  }

  private async sendUnbounded(method: 'GET' | 'HEAD', path: string, repo: string, headers: Record<string, string>): Promise<HttpResponse> {
    const scope = `repository:${repo}:pull`;
    // Until a redirect, the URL follows the base: an insecure registry may move to plain HTTP.
    let redirected: URL | undefined;
    let authenticated = false;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const url = redirected ?? new URL(path, this.base);
      const sameOrigin = url.origin === this.base.origin;
      const auth = sameOrigin ? await this.authorization(scope) : undefined;
      const res = await this.exchange(url, method, { ...headers, ...(auth ? { Authorization: auth } : {}) });
      if (res.status === 401 && sameOrigin && !authenticated) {
        discard(res);
        authenticated = true;
        await this.authenticate(res, scope);
        continue;
      }
      if (res.status >= 300 && res.status < 400 && res.headers.location) {
        discard(res);
        redirected = new URL(res.headers.location, url);
        continue;
      }
      return res;
    }
    throw new RegistryHttpError(`${this.host}: more than ${MAX_REDIRECTS} redirects`, {});
  }

  /** The request itself; an insecure registry that does not speak TLS is tried again over HTTP (as docker does). */
  private async exchange(url: URL, method: 'GET' | 'HEAD', headers: Record<string, string>): Promise<HttpResponse> {
    const own = url.host === this.base.host;
    const opts = { method, headers, insecure: this.insecure && own, timeoutMs: this.options.timeoutMs, ...(own && this.tls ? { tls: this.tls } : {}) };
    this.options.stats.requests++;
    try {
      const res = await request(url, opts);
      if (own && url.protocol === 'https:') this.httpsWorks = true;
      return res;
    } catch (err) {
      if (!this.insecure || !own || url.protocol !== 'https:' || this.httpsWorks) throw err;
      this.base = new URL(`http://${this.base.host}`);
      const plain = new URL(url.pathname + url.search, this.base);
      this.options.stats.requests++;
      return request(plain, opts);
    }
  }

  private async authorization(scope: string): Promise<string | undefined> {
    const token = this.tokens.get(scope);
    if (token) return `Bearer ${token}`;
    if (this.basic) {
      const credential = await this.options.credentials.lookup(this.host);
      return credential ? basicHeader(credential) : undefined;
    }
    return undefined;
  }

  private async authenticate(res: HttpResponse, scope: string): Promise<void> {
    const header = res.headers['www-authenticate'];
    const challenge = parseChallenge(typeof header === 'string' ? header : '');
    if (!challenge) throw new RegistryHttpError(`${this.host}: HTTP 401 without a usable WWW-Authenticate challenge`, { status: 401 });
    const credential = await this.options.credentials.lookup(this.host);
    if (challenge.scheme === 'basic') {
      if (!credential) throw new RegistryHttpError(`${this.host}: the registry asks for a login and no credential for it was found`, { status: 401 });
      this.basic = true;
      return;
    }
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryHttpError(`${this.host}: bearer challenge without a realm`, { status: 401 });
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', challenge.params.scope ?? scope);
    const answer = await this.retrying(async () => {
      this.options.stats.requests++;
      const r = await request(url, {
        method: 'GET',
        headers: credential ? { Authorization: basicHeader(credential) } : {},
        insecure: this.insecure && url.host === this.base.host,
        timeoutMs: this.options.timeoutMs,
        ...(url.host === this.base.host && this.tls ? { tls: this.tls } : {}),
      });
      if (r.status !== 200) {
        discard(r);
        throw statusError(`${this.host}: token from ${url.origin}`, r);
      }
      return readBody(r, 1 << 20, `${this.host}: token answer`);
    });
    let token: unknown;
    try {
      const parsed = JSON.parse(answer.toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = parsed.token ?? parsed.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '') throw new RegistryHttpError(`${this.host}: the token service answered without a token`, {});
    this.tokens.set(scope, token);
  }
}

function basicHeader(c: Credential): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(header: string): { scheme: 'bearer' | 'basic'; params: Record<string, string> } | undefined {
  const m = /^\s*(Bearer|Basic)\b(.*)$/i.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) params[p[1]!.toLowerCase()] = p[2] ?? p[3] ?? '';
  return { scheme: m[1]!.toLowerCase() as 'bearer' | 'basic', params };
}

/** Passes bytes through, counting them; fails at the end unless they hash to `digest` (and number `size`). */
export function verifying(digest: string, size: number | undefined, what: string, onBytes: (n: number) => void = () => {}): Transform {
  const [algorithm, expected] = digest.split(':') as [string, string];
  if (algorithm !== 'sha256' && algorithm !== 'sha512') throw new RegistryHttpError(`${what}: digest algorithm ${algorithm} is not supported`, {});
  const hash = createHash(algorithm);
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      onBytes(chunk.length);
      if (size !== undefined && seen > size) {
        done(new RegistryHttpError(`${what}: more bytes than the ${size} the manifest declares`, {}));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      if (size !== undefined && seen !== size) {
        done(new RegistryHttpError(`${what}: ${seen} bytes received, ${size} declared (truncated)`, {}));
        return;
      }
      const actual = hash.digest('hex');
      if (actual !== expected) {
        done(new RegistryHttpError(`${what}: the bytes received hash to ${algorithm}:${actual}`, {}));
        return;
      }
      done();
    },
  });
}

class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
