/**
 * Image inspection against the real CNCF Distribution registry on loopback, filled by skopeo with
 * layouts that mirror the public images they are named after.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectAll, inspectOne, DEFAULT_PLATFORM, type InspectTarget } from '../../src/images/inspect.js';
import { parseSource } from '../../src/images/source.js';
import { classifyImage, parseImageRef } from '../../src/k8s/images.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import type { ImageContent } from '../../src/k8s/image-content.js';
import { IMAGES, writeLayout } from '../support/registry/layouts.js';
import { haveRegistryTools, push, startProxy, startRegistry, type Proxy, type TestRegistry } from '../support/registry/registry.js';
import { testOptions } from '../support/registry/inspect.js';
import { runMain } from '../support/fixture-cli.js';

const maybe = haveRegistryTools ? describe : describe.skip;

function target(ref: string, extra: Partial<InspectTarget> = {}): InspectTarget {
  const parsed = parseSource(ref);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { key: ref, source: parsed.spec, platform: DEFAULT_PLATFORM, ...extra };
}

function proven(c: ImageContent | undefined): Extract<ImageContent, { status: 'proven' }> {
  if (c?.status !== 'proven') throw new Error(`not proven: ${JSON.stringify(c)}`);
  return c;
}

maybe('image inspection on a loopback registry', () => {
  let registry: TestRegistry;
  let proxy: Proxy;
  let work: string;
  const layouts = new Map<string, string>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kposture-images-'));
    registry = await startRegistry();
    proxy = await startProxy(registry.host);
    for (const spec of IMAGES) {
      const dir = join(work, spec.repo.replace('/', '_'));
      await writeLayout(dir, spec, { tag: '1' });
      layouts.set(spec.repo, dir);
      await push(dir, '1', registry.host, spec.repo);
    }
    // The same alpine layout in Docker media types, with zstd layers, and as a two-platform index.
    const alpine = IMAGES.find((i) => i.repo === 'library/alpine')!;
    await push(layouts.get('library/alpine')!, '1', registry.host, 'docker/alpine', { docker: true });
    await push(layouts.get('library/alpine')!, '1', registry.host, 'zstd/alpine', { zstd: true });
    const multi = join(work, 'multi');
    await writeLayout(multi, alpine, { tag: 'multi', platforms: ['linux/amd64', 'linux/arm64'] });
    layouts.set('multi', multi);
    await push(multi, 'multi', registry.host, 'library/alpine', { all: true });
    await push(multi, 'multi', registry.host, 'docker/alpine', { all: true, docker: true });
  }, 120_000);

  afterAll(async () => {
    await proxy.close();
    await registry.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.each(IMAGES.map((i) => [i.repo, i] as const))('%s gets its class from its content, with the evidence seen', async (_repo, spec) => {
    const options = testOptions([proxy.host]);
    const c = proven(await inspectOne(target(`${proxy.host}/${spec.repo}:1`), options));
    expect(c.class).toBe(spec.expected);
    for (const word of spec.evidence) expect(c.evidence.join('; ')).toContain(word);
    expect(c.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('agrees with the name rules on every image the catalogue knows by name', () => {
    const rules = loadBuiltinCatalogs().imageRules;
    const known = IMAGES.flatMap((spec) => {
      const parsed = parseImageRef(spec.realName);
      if (!parsed.ok) throw new Error(parsed.reason);
      const byName = classifyImage(parsed.ref, rules).class;
      return byName === 'unknown' ? [] : [[spec.realName, byName, spec.expected]];
    });
    expect(known.length).toBeGreaterThanOrEqual(8);
    for (const [name, byName, byContent] of known) expect(`${name}: ${byName}`).toBe(`${name}: ${byContent}`);
  });

  it('reads the same image the same way from an OCI layout, Docker media types, zstd layers and an index', async () => {
    const options = testOptions([proxy.host]);
    const results = await inspectAll(
      [
        target(`oci:${layouts.get('library/alpine')!}:1`),
        target(`${proxy.host}/docker/alpine:1`),
        target(`${proxy.host}/zstd/alpine:1`),
        target(`${proxy.host}/library/alpine:multi`),
        target(`${proxy.host}/docker/alpine:multi`),
      ],
      options,
    );
    for (const [key, c] of results) {
      const p = proven(c);
      expect(`${key}: ${p.class}`).toBe(`${key}: minimal`);
      expect(p.evidence.join('; ')).toContain('PRETTY_NAME="Alpine Linux v3.20"');
    }
  });

  it('picks the platform of the node from an index', async () => {
    const options = testOptions([proxy.host]);
    const arm = proven(await inspectOne(target(`${proxy.host}/library/alpine:multi`, { platform: { os: 'linux', architecture: 'arm64' } }), options));
    const amd = proven(await inspectOne(target(`${proxy.host}/library/alpine:multi`), testOptions([proxy.host])));
    expect(arm.platform).toBe('linux/arm64');
    expect(amd.platform).toBe('linux/amd64');
    expect(arm.digest).not.toBe(amd.digest);
    const none = await inspectOne(
      target(`${proxy.host}/library/alpine:multi`, { platform: { os: 'linux', architecture: 's390x' } }),
      testOptions([proxy.host]),
    );
    expect(none).toEqual({ status: 'unproven', reason: expect.stringContaining('no manifest for linux/s390x') });
  });

  it('makes no request on a warm cache, and --offline answers from the cache alone', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'kposture-cache-'));
    const refs = IMAGES.map((i) => target(`${proxy.host}/${i.repo}:1`));
    const digests = await inspectAll(refs, testOptions([proxy.host], { cacheDir }));
    const pinned = IMAGES.map((i) => target(`${proxy.host}/${i.repo}@${proven(digests.get(`${proxy.host}/${i.repo}:1`)).digest}`));
    const before = proxy.requests.length;
    const warm = testOptions([proxy.host], { cacheDir });
    const again = await inspectAll(pinned, warm);
    expect(proxy.requests.length - before).toBe(0);
    expect(warm.stats.requests).toBe(0);
    expect([...again.values()].map((c) => proven(c).class)).toEqual(IMAGES.map((i) => i.expected));
    const offline = testOptions([proxy.host], { cacheDir, offline: true });
    expect(proven(await inspectOne(pinned[0]!, offline)).class).toBe(IMAGES[0]!.expected);
    expect(await inspectOne(target(`${proxy.host}/library/alpine:1`), offline)).toEqual({ status: 'unproven', reason: expect.stringContaining('--offline') });
    expect(offline.stats.requests).toBe(0);
  });

  it('never gives a class to an image whose bytes do not match their digest, or are cut short', async () => {
    const spec = `${proxy.host}/library/debian:1`;
    const clean = proven(await inspectOne(target(spec), testOptions([proxy.host])));
    expect(clean.class).toBe('full');
    const corrupt = (cut: boolean) => (req: { url?: string }, res: import('node:http').ServerResponse) => {
      if (!/\/blobs\//.test(req.url ?? '')) return false;
      void (async () => {
        const r = await fetch(`http://${registry.host}${req.url}`);
        const body = Buffer.from(await r.arrayBuffer());
        if (cut) {
          res.writeHead(200, { 'content-length': body.length });
          res.end(body.subarray(0, body.length - 100));
        } else {
          body[body.length - 10]! ^= 0xff;
          res.writeHead(200, { 'content-length': body.length }).end(body);
        }
      })();
      return true;
    };
    for (const cut of [false, true]) {
      proxy.faults.push(corrupt(cut));
      try {
        const c = await inspectOne(target(spec), testOptions([proxy.host]));
        expect(c.status).toBe('unproven');
      } finally {
        proxy.faults.pop();
      }
    }
  });

  it('waits as told by 429 Retry-After and retries 5xx, then proves the class', async () => {
    let left = 2;
    proxy.faults.push((req, res) => {
      if (!/\/manifests\//.test(req.url ?? '') || left <= 0) return false;
      left--;
      res.writeHead(left === 1 ? 429 : 503, { 'retry-after': '1' }).end();
      return true;
    });
    const waits: number[] = [];
    const options = testOptions([proxy.host]);
    const registries = new (await import('../../src/images/registry.js')).Registries({
      insecure: new Set([proxy.host]),
      credentials: new (await import('../../src/images/credentials.js')).CredentialStore({ env: { HOME: work } }),
      concurrency: 2,
      timeoutMs: 5000,
      stats: options.stats,
      retry: { sleep: (ms) => (waits.push(ms), Promise.resolve()) },
    });
    try {
      const c = proven(await inspectOne(target(`${proxy.host}/library/busybox:1`), { ...options, registries }));
      expect(c.class).toBe('minimal');
      expect(waits).toEqual([1000, 1000]);
    } finally {
      proxy.faults.pop();
    }
  });

  it("sends the docker config credential and a credential helper's to the registry, never to a blob redirect of another origin", async () => {
    const other = await startProxy(registry.host);
    const home = mkdtempSync(join(tmpdir(), 'kposture-home-'));
    try {
      // Blobs redirect to another origin (as registries redirect to object storage).
      proxy.faults.push((req, res) => {
        if (!/\/blobs\//.test(req.url ?? '')) return false;
        res.writeHead(307, { location: `http://${other.host}${req.url}` }).end();
        return true;
      });
      // The registry demands credentials for manifests: basic auth after a challenge.
      proxy.faults.push((req, res) => {
        if (!/\/manifests\//.test(req.url ?? '') || req.headers.authorization === 'Basic ' + Buffer.from('ci:s3cret').toString('base64')) return false;
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
        return true;
      });
      const docker = join(home, 'docker');
      mkdirSync(docker);
      writeFileSync(join(docker, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from('ci:s3cret').toString('base64') } } }));
      const viaConfig = testOptions([proxy.host, other.host], { credentials: { env: { HOME: home, DOCKER_CONFIG: docker } } });
      expect(proven(await inspectOne(target(`${proxy.host}/library/alpine:1`), viaConfig)).class).toBe('minimal');

      // The same through a credential helper on PATH.
      const bin = join(home, 'bin');
      mkdirSync(bin);
      writeFileSync(
        join(bin, 'docker-credential-test'),
        `#!/bin/sh\nread host\n[ "$host" = "${proxy.host}" ] || exit 1\necho '{"Username":"ci","Secret":"s3cret"}'\n`,
      );
      chmodSync(join(bin, 'docker-credential-test'), 0o755);
      writeFileSync(join(docker, 'config.json'), JSON.stringify({ credHelpers: { [proxy.host]: 'test' } }));
      const viaHelper = testOptions([proxy.host, other.host], {
        credentials: { env: { HOME: home, DOCKER_CONFIG: docker, PATH: `${bin}:${process.env.PATH ?? ''}` } },
      });
      expect(proven(await inspectOne(target(`${proxy.host}/library/busybox:1`), viaHelper)).class).toBe('minimal');

      expect(other.requests.length).toBeGreaterThan(0);
      expect(other.requests.filter((r) => r.authorization)).toEqual([]);
      expect(proxy.requests.some((r) => r.authorization)).toBe(true);
    } finally {
      proxy.faults.length = 0;
      await other.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('audit --inspect-images classifies every pod image by content, with evidence in table, JSON and SARIF', async () => {
    const snap = join(work, 'snapshot');
    mkdirSync(snap, { recursive: true });
    const pods = IMAGES.map((spec, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `app-${i}`, namespace: 'shop' },
      spec: { containers: [{ name: 'app', image: `${proxy.host}/${spec.repo}:1` }] },
      status: { phase: 'Running' },
    }));
    writeFileSync(join(snap, 'pods.json'), JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: pods }));
    const cache = mkdtempSync(join(tmpdir(), 'kposture-xdg-'));
    const env = { NO_COLOR: '1', HOME: work, XDG_CACHE_HOME: cache };
    const json = await runMain(
      ['audit', '--snapshot', snap, '--check', 'IMG-01', '--inspect-images', '--insecure-registry', proxy.host, '--format', 'json', '--no-config'],
      { env },
    );
    expect(json.stderr).not.toMatch(/error/i);
    const report = JSON.parse(json.stdout) as {
      checks: { id: string; subjects?: { resource: { name: string }; details: Record<string, unknown> }[]; findings?: { evidence: string }[] }[];
    };
    const img = report.checks.find((r) => r.id === 'IMG-01')!;
    for (const spec of IMAGES) {
      const subject = img.subjects!.find((s) => s.resource.name === `${proxy.host}/${spec.repo}:1`)!;
      expect(`${spec.repo}: ${String(subject.details.class)} ${String(subject.details.decidedBy)}`).toBe(`${spec.repo}: ${spec.expected} content`);
    }
    expect(img.findings!.map((f) => f.evidence).join('\n')).toContain('by its content: os-release PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"');

    const before = proxy.requests.length;
    const table = await runMain(
      ['audit', '--snapshot', snap, '--check', 'IMG-01', '--inspect-images', '--insecure-registry', proxy.host, '--no-config', '--verbose'],
      { env },
    );
    expect(table.stdout).toContain('by its content');
    const sarif = await runMain(
      ['audit', '--snapshot', snap, '--check', 'IMG-01', '--inspect-images', '--insecure-registry', proxy.host, '--no-config', '--format', 'sarif'],
      { env },
    );
    expect(sarif.stdout).toContain('by its content: os-release');
    // Tags are resolved with a HEAD each run; everything else comes from the cache.
    expect(proxy.requests.slice(before).every((r) => r.method === 'HEAD')).toBe(true);
  });

  it("audit --inspect-images uses the digest the kubelet recorded and the platform of the pod's node: a warm second run sends nothing", async () => {
    const snap = join(work, 'snapshot-ids');
    mkdirSync(snap, { recursive: true });
    const arm = proven(
      await inspectOne(target(`${proxy.host}/library/alpine:multi`, { platform: { os: 'linux', architecture: 'arm64' } }), testOptions([proxy.host])),
    );
    const debian = proven(await inspectOne(target(`${proxy.host}/library/debian:1`), testOptions([proxy.host])));
    const node = (name: string, arch: string) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch } },
    });
    const pod = (name: string, image: string, nodeName: string, imageID?: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'shop' },
      spec: { nodeName, containers: [{ name: 'app', image }] },
      status: { phase: 'Running', ...(imageID ? { containerStatuses: [{ name: 'app', image, imageID }] } : {}) },
    });
    writeFileSync(
      join(snap, 'nodes.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'NodeList', items: [node('amd-1', 'amd64'), node('arm-1', 'arm64'), node('amd-2', 'amd64')] }),
    );
    writeFileSync(
      join(snap, 'pods.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PodList',
        items: [
          pod('edge', `${proxy.host}/library/alpine:multi`, 'arm-1', `${proxy.host}/library/alpine@${arm.digest}`),
          pod('api', `${proxy.host}/library/debian:1`, 'amd-1', `docker-pullable://${proxy.host}/library/debian@${debian.digest}`),
        ],
      }),
    );
    const env = { NO_COLOR: '1', HOME: work, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'kposture-xdg-')) };
    const args = ['audit', '--snapshot', snap, '--check', 'IMG-01', '--inspect-images', '--insecure-registry', proxy.host, '--format', 'json', '--no-config'];
    const cold = await runMain(args, { env });
    const subjects = (JSON.parse(cold.stdout) as { checks: { id: string; subjects: { resource: { name: string }; details: Record<string, unknown> }[] }[] })
      .checks[0]!.subjects;
    const digestOf = (image: string) => subjects.find((s) => s.resource.name === image)?.details.digest;
    expect(digestOf(`${proxy.host}/library/alpine:multi`)).toBe(arm.digest);
    expect(digestOf(`${proxy.host}/library/debian:1`)).toBe(debian.digest);
    const before = proxy.requests.length;
    const warm = await runMain(args, { env });
    expect(warm.code).toBe(cold.code);
    expect(proxy.requests.length - before).toBe(0);
  });
});
