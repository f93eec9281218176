/**
 * Reads images without pulling or running them, and proves a class from what they contain:
 * the manifest (an index resolved to the platform asked for), the config blob, then the layers,
 * base first, each read to its end so its digest is verified, until the class is settled or the
 * per-image byte cap is reached. An image that cannot be read gets no class: its result says why,
 * and the checks fall back to the name rules.
 */
import type { Readable } from 'node:stream';
import type { ImageContent, ProvenContent, UnprovenContent } from '../k8s/image-content.js';
import { describeError } from '../errors.js';
import { mapBounded } from '../kube/limit.js';
import { describeAttempts } from '../kube/retry.js';
import type { ContentCache } from './cache.js';
import { classify, configEvidence, factsOf, settledAsFull } from './classify.js';
import { LayeredTree } from './filesystem.js';
import { readLayer } from './layers.js';
import type { Registries, TransportStats } from './registry.js';
import { dockerArchiveSource, ociSource, registrySource, type ImageSource, type SourceSpec } from './source.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface InspectTarget {
  /** What the result is stored under: the canonical reference (audit) or the REF as written. */
  key: string;
  source: SourceSpec;
  /** A manifest digest known already (the kubelet's `imageID`). */
  digest?: string;
  platform: Platform;
  /** Why that platform: `node worker-1`, `default`. */
  platformFrom?: string;
}

export interface InspectOptions {
  registries: Registries;
  stats: TransportStats;
  cache?: ContentCache;
  /** Only the cache: nothing is requested. */
  offline?: boolean;
  /** Compressed layer bytes one image may cost. */
  maxImageBytes: number;
  /** The whole inspection: after this many bytes or this epoch ms, the rest fall back to the name rules. */
  budget?: { maxBytes?: number; deadline?: number };
  /** Images inspected at once. */
  concurrency: number;
  onProgress?: (done: number, total: number, bytes: number) => void;
  now?: () => number;
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const MAX_CONFIG_BYTES = 4 << 20;

export const DEFAULT_PLATFORM: Platform = Object.freeze({ os: 'linux', architecture: 'amd64' });

export async function inspectAll(targets: readonly InspectTarget[], options: InspectOptions): Promise<Map<string, ImageContent>> {
  const results = new Map<string, ImageContent>();
  let done = 0;
  await mapBounded(targets, options.concurrency, async (t) => {
    results.set(t.key, await inspectOne(t, options));
    options.onProgress?.(++done, targets.length, options.stats.bytes);
  });
  return results;
}

export async function inspectOne(target: InspectTarget, options: InspectOptions): Promise<ImageContent> {
  const spent = budgetSpent(options);
  if (spent) return unproven(`inspection budget spent (${spent})`);
  try {
    return await inspect(target, options);
  } catch (err) {
    return unproven(`${describeError(err)}${describeAttempts(err)}`);
  }
}

function unproven(reason: string): UnprovenContent {
  return { status: 'unproven', reason };
}

function budgetSpent(options: InspectOptions): string | undefined {
  const b = options.budget;
  if (b?.maxBytes !== undefined && options.stats.bytes >= b.maxBytes) return `${mib(options.stats.bytes)} read, the limit is ${mib(b.maxBytes)}`;
  if (b?.deadline !== undefined && (options.now ?? Date.now)() >= b.deadline) return 'time limit reached';
  return undefined;
}

function platformName(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function sourceOf(target: InspectTarget, options: InspectOptions): ImageSource {
  switch (target.source.kind) {
    case 'registry':
      return registrySource(target.source.ref, options.registries, target.digest);
    case 'oci':
      return ociSource(target.source.dir, target.source.tag);
    case 'docker-archive':
      return dockerArchiveSource(target.source.file);
  }
}

async function inspect(target: InspectTarget, options: InspectOptions): Promise<ImageContent> {
  const source = sourceOf(target, options);
  const platform = platformName(target.platform);
  const local = target.source.kind !== 'registry';
  let digest = target.digest ?? (target.source.kind === 'registry' ? target.source.ref.digest : undefined);
  if (!digest && options.offline && !local) return unproven('--offline, and the reference has no digest to look up in the cache');
  digest ??= await source.resolveDigest();
  const cached = digest ? (options.cache?.get(digest, platform) ?? options.cache?.get(digest)) : undefined;
  if (cached) return cached;
  if (options.offline && !local) return unproven(`--offline, and no cached result for ${digest ?? 'this image'}`);

  let top = await source.manifest(digest);
  let manifest = parseJson(top.body, `manifest of ${source.name}`) as Manifest;
  let chosen = platform;
  if (INDEX_TYPES.has(manifest.mediaType ?? top.mediaType) || Array.isArray(manifest.manifests)) {
    const entry = pickPlatform(manifest.manifests ?? [], target.platform);
    if (!entry) return unproven(`the image index has no manifest for ${platform}${target.platformFrom ? ` (${target.platformFrom})` : ''}`);
    chosen = entry.platform
      ? platformName({
          os: entry.platform.os ?? '',
          architecture: entry.platform.architecture ?? '',
          ...(entry.platform.variant ? { variant: entry.platform.variant } : {}),
        })
      : platform;
    const inner = options.cache?.get(entry.digest);
    if (inner) return remember(options, digest ?? top.digest, platform, inner);
    top = await source.manifest(entry.digest);
    manifest = parseJson(top.body, `manifest ${entry.digest}`) as Manifest;
  }
  const imageDigest = top.digest;
  if (!manifest.config?.digest || !Array.isArray(manifest.layers))
    return unproven(`${source.name}: the manifest has no config or layers (media type ${manifest.mediaType ?? top.mediaType})`);
  if ((manifest.config.size ?? 0) > MAX_CONFIG_BYTES) return unproven(`${source.name}: config blob larger than ${mib(MAX_CONFIG_BYTES)}`);

  const config = parseJson(await readAll(await source.blob(manifest.config.digest, manifest.config.size)), `config of ${source.name}`) as {
    os?: string;
    architecture?: string;
  };
  const fromConfig = configEvidence(config);
  const base = { status: 'proven' as const, digest: imageDigest, platform: config.os && config.architecture ? `${config.os}/${config.architecture}` : chosen };
  if (fromConfig.full) {
    return remember(options, digest ?? imageDigest, platform, { ...base, class: 'full', evidence: [fromConfig.full, ...fromConfig.notes, 'no layer read'] });
  }

  const tree = new LayeredTree();
  const layers = manifest.layers;
  let read = 0;
  let bytes = 0;
  for (const layer of layers) {
    const size = layer.size ?? 0;
    if (bytes + size > options.maxImageBytes) {
      return unproven(
        `reading layer ${read + 1} of ${layers.length} would pass the per-image cap of ${mib(options.maxImageBytes)} before the class is settled`,
      );
    }
    const spent = budgetSpent(options);
    if (spent) return unproven(`inspection budget spent after ${read} of ${layers.length} layers (${spent})`);
    tree.applyLayer(await readLayer(await source.blob(layer.digest, layer.size)));
    bytes += size;
    read++;
    if (settledAsFull(factsOf(tree))) break;
  }
  const { class: cls, evidence } = classify(factsOf(tree));
  const layerNote =
    read === layers.length
      ? `all ${layers.length} layer(s) read`
      : `${read} of ${layers.length} layers read (a later layer cannot remove a package manager's verdict)`;
  return remember(options, digest ?? imageDigest, platform, { ...base, class: cls, evidence: [...evidence, ...fromConfig.notes, layerNote] });
}

function remember(options: InspectOptions, digest: string, platform: string, content: ProvenContent): ProvenContent {
  if (!options.cache) return content;
  try {
    options.cache.put(digest, platform, content);
    if (content.digest !== digest) options.cache.put(content.digest, undefined, content);
  } catch {
    // A cache that cannot be written costs the next run requests, never this run's answer.
  }
  return content;
}

interface Descriptor {
  digest: string;
  size?: number;
  mediaType?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface Manifest {
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
}

/** The index entry for a platform: exact variant first, then any variant of the architecture. */
export function pickPlatform(entries: readonly Descriptor[], want: Platform): Descriptor | undefined {
  const candidates = entries.filter((e) => e.platform?.os === want.os && e.platform.architecture === want.architecture);
  return candidates.find((e) => want.variant === undefined || e.platform?.variant === want.variant) ?? candidates[0];
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error(`${what} is not JSON`);
  }
}

function mib(n: number): string {
  return `${(n / (1 << 20)).toFixed(n < 10 << 20 ? 1 : 0)} MiB`;
}
