/**
 * `npm run bench:images [-- --images N --latency-ms MS]`: image inspection cost on the real
 * Distribution registry (`docker-registry`) on 127.0.0.1, behind a proxy that delays every
 * request. N distinct images (one busybox-like layer each, gzip) are uploaded through the
 * registry API, inspected cold by digest and by tag, then again with the cache warm. Prints
 * requests and bytes per image and wall time (docs/performance.md#image-inspection); with
 * `--json`, one JSON line instead (`npm run bench` runs it so and keeps the figures).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ContentCache } from '../src/images/cache.js';
import { CredentialStore } from '../src/images/credentials.js';
import { inspectAll, DEFAULT_PLATFORM, type InspectTarget } from '../src/images/inspect.js';
import { Registries, type TransportStats } from '../src/images/registry.js';
import { parseImageRef } from '../src/k8s/images.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const IMAGES = flag('--images', 1000);
const LATENCY_MS = flag('--latency-ms', 50);
const JSON_OUT = args.includes('--json');

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function tar(files: [string, string][]): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of files) p.entry({ name, mode: 0o755 }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function call(
  host: string,
  method: string,
  url: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`http://${host}${url}`, { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function upload(host: string, repo: string, blob: Buffer): Promise<void> {
  const start = await call(host, 'POST', `/v2/${repo}/blobs/uploads/`);
  const location = new URL(String(start.headers.location), `http://${host}`);
  location.searchParams.set('digest', sha(blob));
  const done = await call(host, 'PUT', location.pathname + location.search, blob, { 'content-type': 'application/octet-stream' });
  if (done.status !== 201) throw new Error(`blob upload: HTTP ${done.status}`);
}

async function pushImage(host: string, repo: string, i: number): Promise<string> {
  const layerTar = await tar([
    ['bin/busybox', `busybox ${i}`],
    ['bin/sh', 'sh'],
    ['etc/os-release', 'ID=busybox\n'],
  ]);
  const layer = gzipSync(layerTar);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layerTar)] }, config: {} }));
  await upload(host, repo, layer);
  await upload(host, repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
    }),
  );
  const put = await call(host, 'PUT', `/v2/${repo}/manifests/1`, manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
  if (put.status !== 201) throw new Error(`manifest upload: HTTP ${put.status}`);
  return sha(manifest);
}

/** What one run measured, per pass over all images. */
export interface ImageFigures {
  wallMs: number;
  requestsPerImage: number;
  kibPerImage: number;
}

export interface ImageBench {
  images: number;
  latencyMs: number;
  coldByDigest: ImageFigures;
  coldByTag: ImageFigures;
  warmByDigest: ImageFigures;
}

/** The figures as lines of text, for this script and for `npm run bench`. */
export function imageBenchLines(b: ImageBench): string[] {
  const line = (name: string, f: ImageFigures): string =>
    `${name.padEnd(22)} ${(f.wallMs / 1000).toFixed(1).padStart(6)} s  ${f.requestsPerImage.toFixed(2).padStart(5)} requests/image  ${f.kibPerImage.toFixed(1).padStart(6)} KiB/image`;
  return [
    `${b.images} distinct images, ${b.latencyMs} ms added to every request, 16 requests per registry at once`,
    line('cold, by digest', b.coldByDigest),
    line('cold, by tag (HEAD)', b.coldByTag),
    line('warm cache, by digest', b.warmByDigest),
  ];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-bench-images-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const config = path.join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${dir}/data } }\nhttp: { addr: "127.0.0.1:${port}" }\n`);
  const registry = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  let proxy: http.Server | undefined;
  try {
    for (let i = 0; ; i++) {
      const up = await call(host, 'GET', '/v2/').catch(() => ({ status: 0 }));
      if (up.status === 200) break;
      if (i > 100) throw new Error('docker-registry did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const digests: string[] = [];
    for (let i = 0; i < IMAGES; i += 20) {
      digests.push(...(await Promise.all(Array.from({ length: Math.min(20, IMAGES - i) }, (_, k) => pushImage(host, `bench/app-${i + k}`, i + k)))));
    }
    let requests = 0;
    proxy = http.createServer((req, res) => {
      requests++;
      setTimeout(() => {
        const up = http.request(`http://${host}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.end();
      }, LATENCY_MS);
    });
    await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
    const front = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const cacheDir = path.join(dir, 'cache');
    const run = async (byDigest: boolean): Promise<{ ms: number; stats: TransportStats; proxied: number }> => {
      const stats: TransportStats = { requests: 0, bytes: 0 };
      const registries = new Registries({
        insecure: new Set([front]),
        credentials: new CredentialStore({ env: { HOME: dir } }),
        concurrency: 16,
        timeoutMs: 30_000,
        stats,
      });
      const targets: InspectTarget[] = digests.map((d, i) => {
        const parsed = parseImageRef(`${front}/bench/app-${i}${byDigest ? `@${d}` : ':1'}`);
        if (!parsed.ok) throw new Error(parsed.reason);
        return { key: parsed.ref.canonical, source: { kind: 'registry', ref: parsed.ref }, platform: DEFAULT_PLATFORM };
      });
      const before = requests;
      const started = performance.now();
      const results = await inspectAll(targets, { registries, stats, cache: new ContentCache(cacheDir), maxImageBytes: 256 << 20, concurrency: 32 });
      const failed = [...results.values()].filter((r) => r.status !== 'proven').length;
      if (failed > 0) throw new Error(`${failed} images were not proven`);
      return { ms: performance.now() - started, stats, proxied: requests - before };
    };
    const cold = await run(true);
    const warm = await run(true);
    rmSync(cacheDir, { recursive: true, force: true });
    const coldTags = await run(false);
    const figures = (r: { ms: number; stats: TransportStats; proxied: number }): ImageFigures => ({
      wallMs: Math.round(r.ms),
      requestsPerImage: Number((r.proxied / IMAGES).toFixed(2)),
      kibPerImage: Number((r.stats.bytes / IMAGES / 1024).toFixed(1)),
    });
    const result: ImageBench = {
      images: IMAGES,
      latencyMs: LATENCY_MS,
      coldByDigest: figures(cold),
      coldByTag: figures(coldTags),
      warmByDigest: figures(warm),
    };
    if (JSON_OUT) console.log(JSON.stringify(result));
    else for (const line of imageBenchLines(result)) console.log(line);
  } finally {
    proxy?.closeAllConnections();
    proxy?.close();
    registry.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run when started as a script; `npm run bench` imports imageBenchLines only.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
