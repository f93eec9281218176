/**
 * The CNCF Distribution registry (Debian's `docker-registry`) on 127.0.0.1, filled with skopeo,
 * and a thin proxy of the tests' own in front of it that counts requests and makes the faults a
 * registry will not make on its own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findTool } from '../tools.js';
import { closedPort, REPO_ROOT } from '../fixture-server.js';
import { TOKEN_ISSUER, TOKEN_ROOT_BUNDLE, TOKEN_SERVICE } from './token-issuer.js';

const run = promisify(execFile);

const REGISTRY_TOOLS = { registry: findTool('docker-registry'), skopeo: findTool('skopeo') };
export const haveRegistryTools = Boolean(REGISTRY_TOOLS.registry && REGISTRY_TOOLS.skopeo);

export interface TestRegistry {
  host: string;
  stop(): Promise<void>;
}

export const haveHtpasswd = Boolean(findTool('htpasswd'));
export const haveOpenssl = Boolean(findTool('openssl'));

/** A CA the registry asks client certificates of, and one client certificate it signed (PEM files). */
export interface ClientAuth {
  ca: string;
  cert: string;
  key: string;
}

/**
 * A fresh client CA and a client certificate (EKU clientAuth) signed by it, made with openssl in
 * `dir` under docker's certs.d names (`client.cert`, `client.key`), so that the folder can serve as
 * a certs.d folder as it is.
 */
export async function makeClientAuth(dir: string): Promise<ClientAuth> {
  const ca = join(dir, 'client-ca.pem');
  const caKey = join(dir, 'client-ca.key');
  const cert = join(dir, 'client.cert');
  const key = join(dir, 'client.key');
  const csr = join(dir, 'client.csr');
  const ext = join(dir, 'client.ext');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', caKey, '-out', ca, '-subj', '/CN=kposture test client CA', '-days', '2']);
  await run('openssl', ['req', ...ec, '-keyout', key, '-out', csr, '-subj', '/CN=kposture-ci']);
  writeFileSync(ext, 'extendedKeyUsage=clientAuth\n');
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext]);
  return { ca, cert, key };
}

/**
 * The registry on a free loopback port; with `tls`, HTTPS with the fixture certificate (signed by
 * fixtures/tls/ca.crt); with `users`, htpasswd basic auth (bcrypt, made by apache2-utils' htpasswd);
 * with `tokenRealm`, the registry's own bearer-token auth, trusting tokens of token-issuer.ts.
 */
export async function startRegistry(
  options: { tls?: boolean; users?: Record<string, string>; tokenRealm?: string; clientAuth?: ClientAuth } = {},
): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'kposture-registry-'));
  const port = await closedPort();
  const config = join(dir, 'config.yml');
  const clientCas = options.clientAuth ? `, clientcas: [${options.clientAuth.ca}]` : '';
  const tls = options.tls
    ? `, tls: { certificate: ${join(REPO_ROOT, 'fixtures/tls/server.crt')}, key: ${join(REPO_ROOT, 'fixtures/tls/server.key')}${clientCas} }`
    : '';
  let auth = '';
  if (options.users) {
    const file = join(dir, 'htpasswd');
    for (const [user, password] of Object.entries(options.users)) {
      const { stdout } = await run('htpasswd', ['-nbB', user, password]);
      writeFileSync(file, stdout.trim() + '\n', { flag: 'a' });
    }
    auth = `auth: { htpasswd: { realm: kposture-test, path: ${file} } }`;
  }
  if (options.tokenRealm) {
    auth = `auth: { token: { realm: "${options.tokenRealm}", service: ${TOKEN_SERVICE}, issuer: ${TOKEN_ISSUER}, rootcertbundle: ${TOKEN_ROOT_BUNDLE} } }`;
  }
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}"${tls} }`,
      auth,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(REGISTRY_TOOLS.registry!, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const status = await new Promise<number>((resolve, reject) =>
        (options.tls ? https : http)
          .get(
            `${options.tls ? 'https' : 'http'}://${host}/v2/`,
            {
              rejectUnauthorized: false,
              ...(options.clientAuth ? { cert: readFileSync(options.clientAuth.cert), key: readFileSync(options.clientAuth.key) } : {}),
            },
            (r) => {
              r.resume();
              resolve(r.statusCode ?? 0);
            },
          )
          .on('error', reject),
      );
      if (status === 200 || ((options.users || options.tokenRealm) && status === 401)) break;
    } catch {
      // not up yet
    }
    if (i > 100 || child.exitCode !== null) throw new Error(`docker-registry did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function push(
  layout: string,
  tag: string,
  host: string,
  repo: string,
  options: { docker?: boolean; zstd?: boolean; all?: boolean; creds?: string; certDir?: string } = {},
): Promise<void> {
  await run(REGISTRY_TOOLS.skopeo!, [
    'copy',
    '--quiet',
    '--insecure-policy',
    '--dest-tls-verify=false',
    ...(options.all ? ['--all'] : []),
    ...(options.creds ? ['--dest-creds', options.creds] : []),
    ...(options.certDir ? ['--dest-cert-dir', options.certDir] : []),
    ...(options.docker ? ['--format', 'v2s2'] : []),
    ...(options.zstd ? ['--dest-compress-format', 'zstd', '--dest-compress'] : []),
    `oci:${layout}:${tag}`,
    `docker://${host}/${repo}:${tag}`,
  ]);
}

/** What the proxy does to one request; undefined passes it through. */
export type Fault = (req: IncomingMessage, res: ServerResponse, forward: () => void) => boolean;

export interface Proxy {
  host: string;
  requests: { method: string; url: string; authorization: boolean }[];
  faults: Fault[];
  close(): Promise<void>;
}

/** A plain HTTP proxy to `target` that records every request and lets `faults` answer instead. */
export async function startProxy(target: string, options: { latencyMs?: number } = {}): Promise<Proxy> {
  const requests: Proxy['requests'] = [];
  const faults: Fault[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization !== undefined });
    const forward = (): void => {
      const up = http.request(`http://${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: target } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end();
    };
    const go = (): void => {
      for (const f of faults) if (f(req, res, forward)) return;
      forward();
    };
    if (options.latencyMs) setTimeout(go, options.latencyMs);
    else go();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes the layout as a `docker save` tarball with skopeo. */
export async function saveArchive(layout: string, tag: string, file: string, name: string): Promise<void> {
  await run(REGISTRY_TOOLS.skopeo!, ['copy', '--quiet', '--insecure-policy', `oci:${layout}:${tag}`, `docker-archive:${file}:${name}`]);
}
