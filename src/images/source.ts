/**
 * Where an image is read from, behind one interface: a registry (`registry/repo:tag`,
 * `…@sha256:…`), an OCI image layout (`oci:DIR[:TAG]`) or a `docker save` archive
 * (`docker-archive:FILE`), the transports skopeo names the same way. Every blob a source hands
 * out is checked against its digest by the time the stream ends.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { parseImageRef, type ImageRef } from '../k8s/images.js';
import { verifying, type Fetched, type Registries } from './registry.js';

export interface ImageSource {
  /** How the image is named in evidence and messages. */
  readonly name: string;
  /** The digest of the top-level manifest, when it can be learned without a GET (HEAD, the kubelet's imageID, a local index). */
  resolveDigest(): Promise<string | undefined>;
  /** The top-level manifest (`reference` undefined) or one by digest. */
  manifest(digest?: string): Promise<Fetched>;
  blob(digest: string, size: number | undefined): Promise<Readable>;
}

export type SourceSpec = { kind: 'registry'; ref: ImageRef } | { kind: 'oci'; dir: string; tag?: string } | { kind: 'docker-archive'; file: string };

/** A REF as the user writes it; undefined with a reason when it is not one. */
export function parseSource(text: string): { ok: true; spec: SourceSpec } | { ok: false; reason: string } {
  if (text.startsWith('oci:')) {
    const rest = text.slice(4);
    // oci:DIR:TAG, where DIR itself has no colon (as skopeo reads it).
    const colon = rest.indexOf(':');
    const dir = colon < 0 ? rest : rest.slice(0, colon);
    const tag = colon < 0 ? undefined : rest.slice(colon + 1);
    if (dir === '') return { ok: false, reason: 'oci: needs a directory, e.g. oci:./image or oci:./image:1.0' };
    return { ok: true, spec: { kind: 'oci', dir, ...(tag ? { tag } : {}) } };
  }
  if (text.startsWith('docker-archive:')) {
    const file = text.slice('docker-archive:'.length);
    if (file === '') return { ok: false, reason: 'docker-archive: needs a file, e.g. docker-archive:./image.tar' };
    return { ok: true, spec: { kind: 'docker-archive', file } };
  }
  const parsed = parseImageRef(text.startsWith('docker://') ? text.slice('docker://'.length) : text);
  return parsed.ok ? { ok: true, spec: { kind: 'registry', ref: parsed.ref } } : { ok: false, reason: parsed.reason };
}

export function registrySource(ref: ImageRef, registries: Registries, knownDigest?: string): ImageSource {
  const client = registries.client(ref.registry);
  const reference = knownDigest ?? ref.digest;
  return {
    name: ref.canonical,
    resolveDigest: async () => reference ?? (await client.resolveTag(ref.path, ref.tag ?? 'latest')),
    manifest: (digest) => client.manifest(ref.path, digest ?? reference ?? ref.tag ?? 'latest'),
    blob: (digest, size) => client.blob(ref.path, digest, size),
  };
}

interface OciIndex {
  manifests?: { mediaType?: string; digest?: string; size?: number; annotations?: Record<string, string> }[];
}

/** An OCI image layout on disk: `index.json`, `blobs/<alg>/<hex>`. */
export function ociSource(dir: string, tag: string | undefined): ImageSource {
  const root = resolve(dir);
  const blobPath = (digest: string): string => {
    const [alg, hex] = digest.split(':');
    if (!alg || !hex || !/^[a-z0-9]+$/.test(alg) || !/^[0-9a-f]+$/.test(hex)) throw new Error(`oci:${dir}: malformed digest ${digest}`);
    return join(root, 'blobs', alg, hex);
  };
  const top = (): { digest: string; mediaType: string } => {
    let index: OciIndex;
    try {
      index = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')) as OciIndex;
    } catch {
      throw new Error(`oci:${dir}: no readable index.json (is it an OCI image layout?)`);
    }
    const manifests = index.manifests ?? [];
    const chosen = tag
      ? manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)
      : manifests.length === 1
        ? manifests[0]
        : undefined;
    if (!chosen?.digest) {
      throw new Error(
        tag ? `oci:${dir}: no image tagged ${tag} in index.json` : `oci:${dir}: index.json lists ${manifests.length} images; name one as oci:${dir}:TAG`,
      );
    }
    return { digest: chosen.digest, mediaType: chosen.mediaType ?? '' };
  };
  const readVerified = (digest: string): Fetched => {
    const body = readFileSync(blobPath(digest));
    const actual = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (actual !== digest) throw new Error(`oci:${dir}: blob ${digest} hashes to ${actual}`);
    return { digest, mediaType: (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType ?? '', body };
  };
  return {
    name: `oci:${dir}${tag ? `:${tag}` : ''}`,
    resolveDigest: () => Promise.resolve(top().digest),
    manifest: (digest) => Promise.resolve(readVerified(digest ?? top().digest)),
    blob: (digest, size) => {
      const path = blobPath(digest);
      statSync(path);
      return Promise.resolve(createReadStream(path).pipe(verifying(digest, size, `oci:${dir} blob ${digest}`)));
    },
  };
}

interface ArchiveManifest {
  Config?: string;
  Layers?: string[];
}

/**
 * A `docker save` tarball: `manifest.json` names the config and the layers by path. Its layers
 * are uncompressed tars whose digests are the config's `rootfs.diff_ids`; kposture presents the
 * image as an OCI manifest over those, so that it is read exactly like one from a registry.
 */
export function dockerArchiveSource(file: string): ImageSource {
  let members: Promise<{ config: Buffer; manifest: Buffer; digest: string; paths: Map<string, string> }> | undefined;
  const load = (): Promise<{ config: Buffer; manifest: Buffer; digest: string; paths: Map<string, string> }> =>
    (members ??= (async () => {
      const small = await readMembers(file, (name) => name === 'manifest.json' || name.endsWith('.json'));
      const list = small.get('manifest.json');
      if (!list) throw new Error(`docker-archive:${file}: no manifest.json (is it a docker save tarball?)`);
      const entries = JSON.parse(list.toString('utf8')) as ArchiveManifest[];
      const entry = entries[0];
      if (!entry?.Config || !entry.Layers) throw new Error(`docker-archive:${file}: manifest.json names no config or layers`);
      const config = small.get(entry.Config);
      if (!config) throw new Error(`docker-archive:${file}: config ${entry.Config} is missing`);
      const diffIds = ((JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? []).slice();
      if (diffIds.length !== entry.Layers.length) throw new Error(`docker-archive:${file}: ${entry.Layers.length} layers but ${diffIds.length} diff_ids`);
      const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
      const paths = new Map<string, string>(diffIds.map((d, i) => [d, entry.Layers![i]!]));
      paths.set(configDigest, entry.Config);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
          layers: diffIds.map((d) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d })),
        }),
      );
      return { config, manifest, digest: configDigest, paths };
    })());
  return {
    name: `docker-archive:${file}`,
    // The archive has no manifest digest of its own: the config's digest (the image ID) names it.
    resolveDigest: async () => (await load()).digest,
    manifest: async () => {
      const m = await load();
      return { digest: m.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', body: m.manifest };
    },
    blob: async (digest, size) => {
      const m = await load();
      const path = m.paths.get(digest);
      if (!path) throw new Error(`docker-archive:${file}: no member for ${digest}`);
      if (path === m.paths.get(m.digest)) return Readable.from([m.config]).pipe(verifying(digest, size, `docker-archive:${file} config`));
      return (await memberStream(file, path)).pipe(verifying(digest, undefined, `docker-archive:${file} ${path}`));
    },
  };
}

/** The members of a tar file whose names pass `want`, read whole (small JSON files only). */
async function readMembers(file: string, want: (name: string) => boolean): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const ex = extract();
  const input = createReadStream(file);
  input.on('error', (err) => ex.destroy(err));
  input.pipe(ex);
  for await (const entry of ex) {
    const name = entry.header.name.replace(/^\.\//, '');
    if (entry.header.type === 'file' && want(name) && entry.header.size < 16 << 20) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      found.set(name, Buffer.concat(chunks));
    } else {
      entry.resume();
    }
  }
  return found;
}

/** One member of a tar file as a stream (the archive is read from its start to that member). */
function memberStream(file: string, member: string): Promise<Readable> {
  return new Promise((resolvePromise, reject) => {
    const ex = extract();
    const input = createReadStream(file);
    input.on('error', reject);
    let done = false;
    ex.on('entry', (header, stream, next) => {
      if (!done && header.name.replace(/^\.\//, '') === member) {
        done = true;
        const out = new Readable({ read() {} });
        stream.on('data', (c: unknown) => out.push(c as Buffer));
        stream.on('end', () => {
          out.push(null);
          input.destroy();
        });
        stream.on('error', (err) => out.destroy(err));
        resolvePromise(out);
        return;
      }
      stream.on('end', next);
      stream.resume();
    });
    ex.on('finish', () => {
      if (!done) reject(new Error(`docker-archive:${file}: no member ${member}`));
    });
    ex.on('error', reject);
    input.pipe(ex);
  });
}
