/**
 * Image inspection against the real CNCF Distribution registry on loopback, filled by skopeo with
 * layouts that mirror the public images they are named after.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
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
    await proxy?.close();
    await registry?.stop();
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
    const none = await inspectOne(target(`${proxy.host}/library/alpine:multi`, { platform: { os: 'linux', architecture: 's390x' } }), testOptions([proxy.host]));
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
});
