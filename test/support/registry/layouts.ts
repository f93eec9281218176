/**
 * Test images as OCI image layouts with real tar streams, mirroring the file layouts of the
 * public images they are named after (the paths that matter: os-release, shells, package
 * managers and their databases, libc, OpenSSL). Layers are gzip'd tars; skopeo turns them into
 * zstd or Docker media types when it pushes them.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export type FileSpec = { path: string; content?: string; link?: string; dir?: boolean };

export interface ImageSpec {
  /** The repository in the test registry, named after the real one. */
  repo: string;
  /** The public reference whose layout this mirrors (for the name-rules agreement test). */
  realName: string;
  expected: 'distroless' | 'minimal' | 'full';
  /** Words the evidence must contain. */
  evidence: string[];
  layers: FileSpec[][];
  history?: string[];
  labels?: Record<string, string>;
}

const BIN = '\x7fELF fake binary';
const osRelease = (lines: string[]): FileSpec => ({ path: 'usr/lib/os-release', content: `${lines.join('\n')}\n` });
const usrMerge: FileSpec[] = [
  { path: 'usr/bin', dir: true },
  { path: 'usr/lib', dir: true },
  { path: 'bin', link: 'usr/bin' },
  { path: 'lib', link: 'usr/lib' },
  { path: 'sbin', link: 'usr/sbin' },
];
const file = (path: string, content = BIN): FileSpec => ({ path, content });

export const IMAGES: ImageSpec[] = [
  {
    repo: 'distroless/static',
    realName: 'gcr.io/distroless/static-debian12',
    expected: 'distroless',
    evidence: ['PRETTY_NAME="Distroless"', 'no shell', 'no package manager', 'status.d', 'no libc', 'no OpenSSL'],
    layers: [
      [
        { path: 'etc/os-release', content: 'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\n' },
        file('var/lib/dpkg/status.d/base-files', 'Package: base-files\n'),
        file('var/lib/dpkg/status.d/tzdata', 'Package: tzdata\n'),
        file('etc/ssl/certs/ca-certificates.crt', 'certs'),
        file('etc/passwd', 'root:x:0:0:root:/root:/sbin/nologin\n'),
      ],
    ],
  },
  {
    repo: 'distroless/base',
    realName: 'gcr.io/distroless/base-debian12',
    expected: 'distroless',
    evidence: ['PRETTY_NAME="Distroless"', 'no shell', 'glibc', 'OpenSSL libssl present'],
    layers: [
      [
        { path: 'etc/os-release', content: 'PRETTY_NAME="Distroless"\nID="debian"\n' },
        file('var/lib/dpkg/status.d/libc6', 'Package: libc6\n'),
        file('lib/x86_64-linux-gnu/libc.so.6'),
        file('usr/lib/x86_64-linux-gnu/libssl.so.3'),
      ],
    ],
  },
  {
    repo: 'chainguard/static',
    realName: 'cgr.dev/chainguard/static',
    expected: 'distroless',
    evidence: ['PRETTY_NAME="Wolfi"', 'no shell', 'no package manager', 'apk database'],
    layers: [
      [
        file('etc/os-release', 'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\n'),
        file('lib/apk/db/installed', 'P:wolfi-baselayout\n'),
        file('etc/ssl/certs/ca-certificates.crt', 'c'),
      ],
    ],
  },
  {
    repo: 'chainguard/wolfi-base',
    realName: 'cgr.dev/chainguard/wolfi-base',
    expected: 'minimal',
    evidence: ['PRETTY_NAME="Wolfi"', 'shell /bin/sh (busybox)', 'package manager apk', 'glibc'],
    layers: [
      [
        file('etc/os-release', 'ID=wolfi\nPRETTY_NAME="Wolfi"\n'),
        file('bin/busybox'),
        { path: 'bin/sh', link: '/bin/busybox' },
        file('usr/bin/apk'),
        file('lib/apk/db/installed', 'P:busybox\n'),
        file('lib/libc.so.6'),
      ],
    ],
  },
  {
    repo: 'library/alpine',
    realName: 'docker.io/library/alpine:3.20',
    expected: 'minimal',
    evidence: ['PRETTY_NAME="Alpine Linux v3.20"', 'shell /bin/sh (busybox)', 'package manager apk', 'musl', 'history: ADD alpine-minirootfs'],
    history: ['/bin/sh -c #(nop) ADD file:abc in / alpine-minirootfs-3.20.3-x86_64.tar.gz', '/bin/sh -c #(nop)  CMD ["/bin/sh"]'],
    layers: [
      [
        { path: 'etc/os-release', link: '../usr/lib/os-release' },
        osRelease(['NAME="Alpine Linux"', 'ID=alpine', 'VERSION_ID=3.20.3', 'PRETTY_NAME="Alpine Linux v3.20"']),
        file('bin/busybox'),
        { path: 'bin/sh', link: '/bin/busybox' },
        file('sbin/apk'),
        file('lib/apk/db/installed', 'P:musl\n'),
        file('lib/ld-musl-x86_64.so.1'),
        file('lib/libssl.so.3'),
      ],
    ],
  },
  {
    repo: 'library/busybox',
    realName: 'docker.io/library/busybox:1.36',
    expected: 'minimal',
    evidence: ['no os-release', 'shell /bin/sh (busybox)', 'no package manager'],
    layers: [[file('bin/busybox'), file('bin/sh'), file('bin/ls'), file('etc/passwd', 'root:x:0:0::/root:/bin/sh\n')]],
  },
  {
    repo: 'library/debian',
    realName: 'docker.io/library/debian:12',
    expected: 'full',
    evidence: ['PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', 'shell /bin/sh', 'package manager apt-get, apt', 'dpkg database', '1 of 2 layers read'],
    layers: [
      [
        ...usrMerge,
        { path: 'etc/os-release', link: '../usr/lib/os-release' },
        osRelease(['PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', 'ID=debian', 'VERSION_ID="12"']),
        file('usr/bin/dash'),
        { path: 'usr/bin/sh', link: 'dash' },
        file('usr/bin/bash'),
        file('usr/bin/apt'),
        file('usr/bin/apt-get'),
        file('usr/bin/dpkg'),
        file('var/lib/dpkg/status', 'Package: base-files\n'),
        file('usr/lib/x86_64-linux-gnu/libc.so.6'),
      ],
      [file('app/server')],
    ],
  },
  {
    repo: 'library/ubuntu',
    realName: 'docker.io/library/ubuntu:24.04',
    expected: 'full',
    evidence: ['PRETTY_NAME="Ubuntu 24.04.1 LTS"', 'package manager apt-get, apt'],
    layers: [
      [
        ...usrMerge,
        { path: 'etc/os-release', link: '../usr/lib/os-release' },
        osRelease(['PRETTY_NAME="Ubuntu 24.04.1 LTS"', 'ID=ubuntu']),
        file('usr/bin/dash'),
        { path: 'usr/bin/sh', link: 'dash' },
        file('usr/bin/apt'),
        file('usr/bin/apt-get'),
        file('usr/bin/dpkg'),
        file('var/lib/dpkg/status', 'Package: base-files\n'),
      ],
    ],
  },
  {
    repo: 'ubi9/ubi',
    realName: 'registry.access.redhat.com/ubi9/ubi:9.4',
    expected: 'full',
    evidence: ['Red Hat Enterprise Linux 9.4 (Plow)', 'package manager dnf, yum', 'rpm database'],
    layers: [
      [
        ...usrMerge,
        { path: 'etc/os-release', link: '../usr/lib/os-release' },
        osRelease(['NAME="Red Hat Enterprise Linux"', 'ID="rhel"', 'PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"']),
        file('usr/bin/bash'),
        { path: 'usr/bin/sh', link: 'bash' },
        { path: 'usr/bin/dnf', link: 'dnf-3' },
        file('usr/bin/dnf-3'),
        { path: 'usr/bin/yum', link: 'dnf-3' },
        file('usr/bin/rpm'),
        file('var/lib/rpm/rpmdb.sqlite', 'sqlite'),
      ],
    ],
  },
  {
    repo: 'ubi9/ubi-micro',
    realName: 'registry.access.redhat.com/ubi9/ubi-micro:9.4',
    expected: 'minimal',
    evidence: ['Red Hat Enterprise Linux 9.4 (Plow)', 'shell /bin/sh', 'no package manager', 'rpm database'],
    layers: [
      [
        ...usrMerge,
        { path: 'etc/os-release', link: '../usr/lib/os-release' },
        osRelease(['ID="rhel"', 'PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"']),
        file('usr/bin/bash'),
        { path: 'usr/bin/sh', link: 'bash' },
        file('var/lib/rpm/rpmdb.sqlite', 'sqlite'),
        file('usr/lib64/libc.so.6'),
      ],
    ],
  },
  {
    repo: 'ubi9/ubi-minimal',
    realName: 'registry.access.redhat.com/ubi9/ubi-minimal:9.4',
    expected: 'minimal',
    evidence: ['shell /bin/sh', 'package manager microdnf, rpm'],
    layers: [
      [
        ...usrMerge,
        osRelease(['ID="rhel"', 'PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"']),
        file('usr/bin/bash'),
        { path: 'usr/bin/sh', link: 'bash' },
        file('usr/bin/microdnf'),
        file('usr/bin/rpm'),
        file('var/lib/rpm/rpmdb.sqlite', 'sqlite'),
      ],
    ],
  },
  {
    repo: 'acme/static-app',
    realName: 'registry.corp.example/acme/static-app:1.0',
    expected: 'distroless',
    evidence: ['no os-release', 'no shell', 'no package manager', 'no libc'],
    layers: [[file('app'), file('etc/ssl/certs/ca-certificates.crt', 'certs')]],
  },
  {
    repo: 'acme/shell-removed',
    realName: 'registry.corp.example/acme/shell-removed:1.0',
    expected: 'distroless',
    evidence: ['no shell', 'no package manager', 'all 2 layer(s) read'],
    layers: [
      [file('bin/busybox'), { path: 'bin/sh', link: 'busybox' }, file('app')],
      [file('bin/.wh.busybox', ''), file('bin/.wh.sh', '')],
    ],
  },
  {
    repo: 'acme/api',
    realName: 'registry.corp.example/acme/api:3f9c2e1',
    expected: 'full',
    evidence: ['config history runs apt-get', 'label org.opencontainers.image.base.name=docker.io/library/debian:12', 'no layer read'],
    history: ['# debian.sh --arch amd64 out/ bookworm', '/bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl'],
    labels: { 'org.opencontainers.image.base.name': 'docker.io/library/debian:12' },
    layers: [[file('usr/bin/apt-get'), file('bin/sh')], [file('usr/local/bin/curl')]],
  },
];

export interface Written {
  digest: string;
  size: number;
}

function sha(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function writeBlob(dir: string, data: Buffer): Written {
  const digest = sha(data);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), data);
  return { digest, size: data.length };
}

async function tarOf(files: FileSpec[]): Promise<Buffer> {
  const p = pack();
  for (const f of files) {
    if (f.dir) p.entry({ name: `${f.path}/`, type: 'directory', mode: 0o755 });
    else if (f.link !== undefined) p.entry({ name: f.path, type: 'symlink', linkname: f.link });
    else p.entry({ name: f.path, mode: 0o755 }, f.content ?? '');
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Writes the image as a single-platform OCI layout (or, with `platforms`, an index of one manifest per platform) tagged `tag`. */
export async function writeLayout(dir: string, spec: ImageSpec, options: { tag?: string; platforms?: string[] } = {}): Promise<{ digest: string }> {
  const platforms = options.platforms ?? ['linux/amd64'];
  const manifests: (Written & { platform: { os: string; architecture: string } })[] = [];
  for (const platform of platforms) {
    const [os, architecture] = platform.split('/') as [string, string];
    const layers: Written[] = [];
    const diffIds: string[] = [];
    for (const files of spec.layers) {
      // Each platform's layer differs (a marker file), as real per-architecture builds do.
      const tar = await tarOf([...files, ...(platforms.length > 1 ? [{ path: `etc/arch-${architecture}`, content: architecture }] : [])]);
      diffIds.push(sha(tar));
      layers.push(writeBlob(dir, gzipSync(tar)));
    }
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os,
        config: { Labels: spec.labels ?? null, Cmd: ['/app'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: (spec.history ?? []).map((created_by) => ({ created_by })),
      }),
    );
    const c = writeBlob(dir, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
      }),
    );
    manifests.push({ ...writeBlob(dir, manifest), platform: { os, architecture } });
  }
  let top: Written & { mediaType: string };
  if (platforms.length === 1) top = { ...manifests[0]!, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
  else {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: manifests.map((m) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: m.digest, size: m.size, platform: m.platform })),
      }),
    );
    top = { ...writeBlob(dir, index), mediaType: 'application/vnd.oci.image.index.v1+json' };
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: top.mediaType, digest: top.digest, size: top.size, annotations: { 'org.opencontainers.image.ref.name': options.tag ?? 'latest' } },
      ],
    }),
  );
  return { digest: top.digest };
}
