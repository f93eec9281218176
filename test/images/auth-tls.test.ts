/**
 * Verified TLS with a test CA, htpasswd basic auth on the real registry, the bearer-token flow
 * through a token issuer of the tests' own (in front of a proxy, and as the real registry's own
 * token auth, which verifies the JWTs it signs), and the air-gapped sources (a `docker save` tarball,
 * a layout built by umoci).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inspectOne, DEFAULT_PLATFORM, type InspectTarget } from '../../src/images/inspect.js';
import { Registries } from '../../src/images/registry.js';
import { CredentialStore } from '../../src/images/credentials.js';
import { parseSource } from '../../src/images/source.js';
import type { ImageContent } from '../../src/k8s/image-content.js';
import { IMAGES, writeLayout } from '../support/registry/layouts.js';
import {
  haveHtpasswd,
  haveOpenssl,
  haveRegistryTools,
  makeClientAuth,
  push,
  saveArchive,
  startProxy,
  startRegistry,
  type TestRegistry,
} from '../support/registry/registry.js';
import { testOptions } from '../support/registry/inspect.js';
import { startTokenIssuer, TOKEN_SERVICE, type TokenIssuer } from '../support/registry/token-issuer.js';
import { TLS_DIR } from '../support/fixture-server.js';
import { findTool } from '../support/tools.js';

const run = promisify(execFile);
const maybe = haveRegistryTools && haveHtpasswd ? describe : describe.skip;
const alpine = IMAGES.find((i) => i.repo === 'library/alpine')!;

function target(ref: string): InspectTarget {
  const parsed = parseSource(ref);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { key: ref, source: parsed.spec, platform: DEFAULT_PLATFORM };
}

function classOf(c: ImageContent): string {
  return c.status === 'proven' ? c.class : `unproven: ${c.reason}`;
}

maybe('registries behind TLS and logins, and images without a registry', () => {
  let work: string;
  let tls: TestRegistry;
  let locked: TestRegistry;
  let layout: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kposture-images-auth-'));
    layout = join(work, 'alpine');
    await writeLayout(layout, alpine, { tag: '1' });
    tls = await startRegistry({ tls: true });
    await push(layout, '1', tls.host, 'library/alpine');
    locked = await startRegistry({ users: { ci: 's3cret' } });
    await push(layout, '1', locked.host, 'library/alpine', { creds: 'ci:s3cret' });
  }, 120_000);

  afterAll(async () => {
    await tls.stop();
    await locked.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('verifies the registry certificate: its CA in certs.d passes, none or another fails with the fix, --insecure-registry accepts it', async () => {
    const ref = `${tls.host}/library/alpine:1`;
    const withCertsDir = (caFile: string | undefined): ReturnType<typeof testOptions> => {
      const root = mkdtempSync(join(work, 'certs.d-'));
      if (caFile) {
        // The folder is named as docker names it: host:port.
        mkdirSync(join(root, tls.host), { recursive: true });
        copyFileSync(join(TLS_DIR, caFile), join(root, tls.host, 'ca.crt'));
      }
      const base = testOptions([]);
      const registries = new Registries({
        insecure: new Set(),
        credentials: new CredentialStore({ env: { HOME: work } }),
        certsDirs: [join(root, 'missing'), root],
        concurrency: 2,
        timeoutMs: 5000,
        stats: base.stats,
      });
      return { ...base, registries };
    };
    expect(classOf(await inspectOne(target(ref), withCertsDir('ca.crt')))).toBe('minimal');
    const untrusted = classOf(await inspectOne(target(ref), withCertsDir(undefined)));
    expect(untrusted).toMatch(/unproven: .*certificate/);
    expect(untrusted).toContain(`/etc/docker/certs.d/${tls.host}/ca.crt, or name it with --insecure-registry`);
    expect(classOf(await inspectOne(target(ref), withCertsDir('other-ca.crt')))).toMatch(/unproven: .*certificate/);
    expect(classOf(await inspectOne(target(ref), testOptions([tls.host])))).toBe('minimal');
  });

  (haveOpenssl ? it : it.skip)('presents the client certificate of certs.d to a registry that asks for one, and proves nothing without it', async () => {
    // The certs.d folder of the registry: the server's CA and a client certificate, as docker names them.
    const certs = mkdtempSync(join(work, 'mtls-certs.d-'));
    const auth = await makeClientAuth(mkdtempSync(join(work, 'mtls-')));
    const registry = await startRegistry({ tls: true, clientAuth: auth });
    try {
      const folder = join(certs, registry.host);
      mkdirSync(folder, { recursive: true });
      copyFileSync(join(TLS_DIR, 'ca.crt'), join(folder, 'ca.crt'));
      const ref = `${registry.host}/library/alpine:1`;
      const inspectWith = async (): Promise<string> => {
        const base = testOptions([]);
        const registries = new Registries({
          insecure: new Set(),
          credentials: new CredentialStore({ env: { HOME: work } }),
          certsDirs: [certs],
          concurrency: 2,
          timeoutMs: 5000,
          stats: base.stats,
        });
        return classOf(await inspectOne(target(ref), { ...base, registries }));
      };
      // Only the CA: the registry ends the handshake, and the reason says where the certificate goes.
      expect(await inspectWith()).toMatch(
        new RegExp(
          `^unproven: .*the registry ended the TLS handshake \\(.+\\): it asks for a client certificate \\(put client.cert and client.key in .*/certs.d/${registry.host.replace(/\./g, '\\.')}/`,
        ),
      );
      copyFileSync(auth.cert, join(folder, 'client.cert'));
      copyFileSync(auth.key, join(folder, 'client.key'));
      await push(layout, '1', registry.host, 'library/alpine', { certDir: folder });
      expect(await inspectWith()).toBe('minimal');
    } finally {
      await registry.stop();
    }
  });

  it('logs in to an htpasswd registry with the docker config credential, and is refused without one', async () => {
    const ref = `${locked.host}/library/alpine:1`;
    expect(classOf(await inspectOne(target(ref), testOptions([locked.host])))).toMatch(/unproven: .*no credential/);
    const docker = join(work, 'docker');
    mkdirSync(docker, { recursive: true });
    writeFileSync(join(docker, 'config.json'), JSON.stringify({ auths: { [locked.host]: { username: 'ci', password: 's3cret' } } }));
    const options = testOptions([locked.host], { credentials: { env: { HOME: work, DOCKER_CONFIG: docker } } });
    expect(classOf(await inspectOne(target(ref), options))).toBe('minimal');
    // Podman's auth.json is read too.
    const podman = join(work, 'auth.json');
    writeFileSync(podman, JSON.stringify({ auths: { [locked.host]: { auth: Buffer.from('ci:s3cret').toString('base64') } } }));
    const viaPodman = testOptions([locked.host], { credentials: { env: { HOME: join(work, 'nohome'), REGISTRY_AUTH_FILE: podman } } });
    expect(classOf(await inspectOne(target(ref), viaPodman))).toBe('minimal');
  });

  it('follows a bearer challenge to the token issuer, anonymously, and sends the token only to the registry', async () => {
    const plain = await startRegistry();
    await push(layout, '1', plain.host, 'library/alpine');
    const issued: { scope: string | null; service: string | null; authorization: boolean }[] = [];
    const issuer = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      issued.push({ scope: url.searchParams.get('scope'), service: url.searchParams.get('service'), authorization: req.headers.authorization !== undefined });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'tok-123' }));
    });
    await new Promise<void>((r) => issuer.listen(0, '127.0.0.1', r));
    const realm = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}/token`;
    const proxy = await startProxy(plain.host);
    proxy.faults.push((req, res) => {
      if (req.headers.authorization === 'Bearer tok-123') return false;
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="test-registry",scope="repository:library/alpine:pull"` }).end();
      return true;
    });
    try {
      expect(classOf(await inspectOne(target(`${proxy.host}/library/alpine:1`), testOptions([proxy.host])))).toBe('minimal');
      expect(issued[0]).toEqual({ scope: 'repository:library/alpine:pull', service: 'test-registry', authorization: false });
      expect(issued.length).toBe(1);
    } finally {
      await proxy.close();
      await new Promise((r) => issuer.close(r));
      await plain.stop();
    }
  });

  /** The real registry in its own token-auth mode, trusting a token issuer of the tests' (user ci, one private repository). */
  async function withTokenRegistry(repo: string, body: (host: string, issuer: TokenIssuer) => Promise<void>): Promise<void> {
    const issuer = await startTokenIssuer({ users: { ci: 's3cret' }, privateRepos: ['private/app'] });
    const registry = await startRegistry({ tokenRealm: issuer.realm });
    try {
      await push(layout, '1', registry.host, repo, { creds: 'ci:s3cret' });
      issuer.requests.length = 0;
      await body(registry.host, issuer);
    } finally {
      await registry.stop();
      await issuer.close();
    }
  }

  it('passes the registry’s own token auth: a JWT from the realm it names, anonymous for a public repository', async () => {
    await withTokenRegistry('library/alpine', async (host, issuer) => {
      expect(classOf(await inspectOne(target(`${host}/library/alpine:1`), testOptions([host])))).toBe('minimal');
      // One token for the repository, asked for anonymously with the registry's service and scope.
      expect(issuer.requests).toEqual([{ service: TOKEN_SERVICE, scope: 'repository:library/alpine:pull', granted: ['pull'] }]);
    });
  });

  it('sends the docker config credential of the registry to its token realm for a private repository, and proves nothing without it', async () => {
    await withTokenRegistry('private/app', async (host, issuer) => {
      // Without a credential the issuer grants nothing and the registry refuses the token.
      const anonymous = await inspectOne(target(`${host}/private/app:1`), testOptions([host]));
      expect(anonymous.status).not.toBe('proven');
      expect(classOf(anonymous)).toMatch(/401/);
      const docker = join(work, 'docker-token');
      mkdirSync(docker, { recursive: true });
      writeFileSync(join(docker, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from('ci:s3cret').toString('base64') } } }));
      issuer.requests.length = 0;
      const options = testOptions([host], { credentials: { env: { HOME: work, DOCKER_CONFIG: docker } } });
      expect(classOf(await inspectOne(target(`${host}/private/app:1`), options))).toBe('minimal');
      expect(issuer.requests).toEqual([{ service: TOKEN_SERVICE, scope: 'repository:private/app:pull', user: 'ci', granted: ['pull'] }]);
    });
  });

  it('reads a docker save tarball and a layout built by umoci the same way', async () => {
    const archive = join(work, 'alpine.tar');
    await saveArchive(layout, '1', archive, 'library/alpine:1');
    const fromArchive = await inspectOne(target(`docker-archive:${archive}`), testOptions([]));
    expect(classOf(fromArchive)).toBe('minimal');
    expect(fromArchive.status === 'proven' && fromArchive.evidence.join('; ')).toContain('PRETTY_NAME="Alpine Linux v3.20"');

    const umoci = findTool('umoci');
    if (!umoci) return;
    const built = join(work, 'umoci');
    const rootfs = join(work, 'rootfs');
    mkdirSync(join(rootfs, 'app'), { recursive: true });
    writeFileSync(join(rootfs, 'app', 'server'), '\x7fELF static');
    await run(umoci, ['init', '--layout', built]);
    await run(umoci, ['new', '--image', `${built}:1`]);
    await run(umoci, ['insert', '--rootless', '--image', `${built}:1`, join(rootfs, 'app'), '/app']);
    const c = await inspectOne(target(`oci:${built}:1`), testOptions([]));
    expect(classOf(c)).toBe('distroless');
    expect(c.status === 'proven' && c.evidence.join('; ')).toContain('no shell');
  });
});
