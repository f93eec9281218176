/**
 * One HTTP request to a registry, over Node's own http/https. TLS is verified against the system
 * roots (plus NODE_EXTRA_CA_CERTS), or with the registry's certs.d material (certs.ts), unless the
 * registry was named insecure.
 * Redirects are not followed here: the registry client follows them itself, so that it can drop
 * credentials when a redirect leaves the registry's origin.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { RegistryTls } from './certs.js';
import type { RetryableFailure } from '../kube/retry.js';
import { parseRetryAfter, RETRYABLE_CODES, RETRYABLE_STATUSES } from '../kube/retry.js';

export interface HttpOptions {
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  /** Accept any certificate (an `--insecure-registry`). */
  insecure: boolean;
  /** The registry's TLS material from certs.d (certs.ts): roots instead of the default store, a client certificate. */
  tls?: RegistryTls;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/** A failed request, with what the retry loop needs; never carries a header value. */
export class RegistryHttpError extends Error implements RetryableFailure {
  retryable?: string;
  timedOut?: boolean;
  retryAfterMs?: number;
  attempts?: number;
  gaveUp?: string;
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, details: { status?: number; code?: string; retryable?: string; timedOut?: boolean; retryAfterMs?: number }) {
    super(message);
    this.name = 'RegistryHttpError';
    this.status = details.status;
    this.code = details.code;
    if (details.retryable) this.retryable = details.retryable;
    if (details.timedOut) this.timedOut = true;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
  insecure: new https.Agent({ keepAlive: true, maxSockets: 64, rejectUnauthorized: false }),
};

export function request(url: URL, options: HttpOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const common = { method: options.method, headers: options.headers, timeout: options.timeoutMs };
    const onResponse = (res: IncomingMessage): void => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    const req = secure
      ? https.request(
          url,
          {
            ...common,
            ...(options.tls ? { ...options.tls, agent: false } : { agent: options.insecure ? agents.insecure : agents.https }),
            rejectUnauthorized: !options.insecure,
          },
          onResponse,
        )
      : http.request(url, { ...common, agent: agents.http }, onResponse);
    req.on('timeout', () => {
      req.destroy(new RegistryHttpError(`${url.host}: no answer within ${Math.round(options.timeoutMs / 1000)}s`, { retryable: 'timeout', timedOut: true }));
    });
    req.on('error', (err) => reject(asHttpError(err, url)));
    req.end();
  });
}

/** OpenSSL's codes for a certificate that does not verify (not for a broken connection). */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** The alerts a server sends when it wants a (valid) client certificate. */
const CLIENT_CERT_ALERT = /^ERR_SSL_(SSLV3|TLSV13|TLSV1)_ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA)$/;

function asHttpError(err: unknown, url: URL): RegistryHttpError {
  if (err instanceof RegistryHttpError) return err;
  const code = (err as { code?: unknown }).code;
  const c = typeof code === 'string' ? code : undefined;
  const message = (err as { message?: unknown }).message;
  if (c && CLIENT_CERT_ALERT.test(c)) {
    // OpenSSL's own text names its source file: say what the registry did, and the fix.
    const alert = c
      .replace(/^ERR_SSL_(SSLV3|TLSV13|TLSV1)_ALERT_/, '')
      .toLowerCase()
      .replace(/_/g, ' ');
    return new RegistryHttpError(
      `${url.host}: the registry ended the TLS handshake (${alert}): it asks for a client certificate (put client.cert and client.key in ~/.config/containers/certs.d/${url.host}/ or /etc/docker/certs.d/${url.host}/)`,
      { code: c },
    );
  }
  const hint =
    c && TLS_VERIFY_CODES.has(c)
      ? ` (trust its CA in ~/.config/containers/certs.d/${url.host}/ca.crt or /etc/docker/certs.d/${url.host}/ca.crt, or name it with --insecure-registry)`
      : '';
  return new RegistryHttpError(`${url.host}: ${typeof message === 'string' ? message : 'request failed'}${hint}`, {
    ...(c ? { code: c } : {}),
    ...(c && RETRYABLE_CODES.has(c) ? { retryable: c === 'ECONNRESET' ? 'connection reset' : c } : {}),
  });
}

/** The error for an unwanted status; 429 and 5xx are retryable, with the server's Retry-After. */
export function statusError(what: string, res: HttpResponse): RegistryHttpError {
  const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
  return new RegistryHttpError(`${what}: HTTP ${res.status}`, {
    status: res.status,
    ...(RETRYABLE_STATUSES.has(res.status) ? { retryable: String(res.status) } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** The whole body, up to `limit` bytes (a manifest, a token answer): more is an error. */
export async function readBody(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.body.destroy();
        throw new RegistryHttpError(`${what}: larger than ${limit} bytes`, {});
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof RegistryHttpError) throw err;
    throw new RegistryHttpError(`${what}: the connection broke while reading`, { retryable: 'connection reset', code: 'ECONNRESET' });
  }
  return Buffer.concat(chunks);
}

/** Throws away the rest of a body so that its connection can be reused. */
export function discard(res: HttpResponse): void {
  res.body.resume();
}
