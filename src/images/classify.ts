/**
 * From what an image contains to one of the four classes, with each fact that decided it:
 * - distroless: no shell and no package manager (scratch, distroless, Chainguard static);
 * - minimal: a shell or a package manager, but no general-purpose one (Alpine, Wolfi with a
 *   shell, BusyBox, UBI micro/minimal with microdnf);
 * - full: a general-purpose package manager (apt, dnf, yum, zypper): a distribution userland.
 * Whether a libc and OpenSSL are present is evidence too (distroless static vs base/cc).
 */
import type { ImageClass } from '../catalog/catalogs.js';
import type { LayeredTree } from './filesystem.js';

const SHELLS = ['bin/sh', 'bin/bash', 'bin/ash', 'bin/dash', 'bin/zsh', 'usr/bin/sh', 'usr/bin/bash'];
const BUSYBOX = ['bin/busybox', 'usr/bin/busybox'];
/** General-purpose package managers: a full distribution userland comes with one. */
const FULL_MANAGERS: [string, string][] = [
  ['apt-get', 'usr/bin/apt-get'],
  ['apt', 'usr/bin/apt'],
  ['dnf', 'usr/bin/dnf'],
  ['dnf5', 'usr/bin/dnf5'],
  ['yum', 'usr/bin/yum'],
  ['zypper', 'usr/bin/zypper'],
];
/** Package managers of minimal distributions. */
const SMALL_MANAGERS: [string, string][] = [
  ['apk', 'sbin/apk'],
  ['apk', 'usr/bin/apk'],
  ['microdnf', 'usr/bin/microdnf'],
  ['tdnf', 'usr/bin/tdnf'],
  ['dpkg', 'usr/bin/dpkg'],
  ['rpm', 'usr/bin/rpm'],
];

export interface ContentFacts {
  osRelease?: Record<string, string>;
  shell?: string;
  busybox: boolean;
  fullManagers: string[];
  smallManagers: string[];
  packageDb?: string;
  libc?: string;
  openssl: boolean;
}

export function factsOf(tree: LayeredTree): ContentFacts {
  const present = (path: string): boolean => tree.lookup(path)?.entry.type === 'file';
  const osFile = tree.lookup('etc/os-release') ?? tree.lookup('usr/lib/os-release');
  const osRelease = osFile?.entry.type === 'file' && osFile.entry.content ? parseOsRelease(osFile.entry.content.toString('utf8')) : undefined;
  const shell = SHELLS.find(present);
  const managers = (list: [string, string][]): string[] => [...new Set(list.filter(([, p]) => present(p)).map(([n]) => n))];
  const packageDb = present('var/lib/dpkg/status')
    ? 'dpkg database var/lib/dpkg/status'
    : tree.hasUnder('var/lib/dpkg/status.d')
      ? 'per-package dpkg records var/lib/dpkg/status.d/ (the distroless layout)'
      : present('lib/apk/db/installed') || present('usr/lib/apk/db/installed')
        ? 'apk database lib/apk/db/installed'
        : tree.hasUnder('var/lib/rpm') || tree.hasUnder('usr/lib/sysimage/rpm')
          ? 'rpm database'
          : undefined;
  const glibc = tree.filesNamed(/^libc\.so\.6$/)[0];
  const musl = tree.filesNamed(/^(?:ld-musl-[\w-]+\.so\.1|libc\.musl-[\w-]+\.so\.1)$/)[0];
  return {
    ...(osRelease ? { osRelease } : {}),
    ...(shell ? { shell } : {}),
    busybox: BUSYBOX.some(present),
    fullManagers: managers(FULL_MANAGERS),
    smallManagers: managers(SMALL_MANAGERS),
    ...(packageDb ? { packageDb } : {}),
    ...(glibc ? { libc: `glibc (${glibc})` } : musl ? { libc: `musl (${musl})` } : {}),
    openssl: tree.filesNamed(/^libssl\.so(?:\.[\d.]+)?$/).length > 0,
  };
}

/** `KEY=value` lines, quotes removed (os-release(5)). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1);
    out[m[1]!] = v.replace(/\\(["'$`\\])/g, '$1');
  }
  return out;
}

/** Once a general-purpose package manager is seen, later layers can only make the image look stricter. */
export function settledAsFull(facts: ContentFacts): boolean {
  return facts.fullManagers.length > 0;
}

export function classify(facts: ContentFacts): { class: Exclude<ImageClass, 'unknown'>; evidence: string[] } {
  const evidence: string[] = [];
  const os = facts.osRelease;
  evidence.push(os ? `os-release ${os.PRETTY_NAME !== undefined ? `PRETTY_NAME="${os.PRETTY_NAME}"` : `ID=${os.ID ?? '?'}`}` : 'no os-release');
  if (facts.shell) evidence.push(`shell /${facts.shell}${facts.busybox ? ' (busybox)' : ''}`);
  else evidence.push(facts.busybox ? 'no /bin/sh; busybox present' : 'no shell (/bin/sh, bash, ash, dash)');
  const managers = [...facts.fullManagers, ...facts.smallManagers];
  evidence.push(managers.length > 0 ? `package manager ${managers.join(', ')}` : 'no package manager');
  if (facts.packageDb) evidence.push(facts.packageDb);
  evidence.push(facts.libc ? `libc ${facts.libc}` : 'no libc');
  evidence.push(facts.openssl ? 'OpenSSL libssl present' : 'no OpenSSL');
  if (facts.fullManagers.length > 0) return { class: 'full', evidence };
  if (facts.shell || facts.busybox || facts.smallManagers.length > 0) return { class: 'minimal', evidence };
  return { class: 'distroless', evidence };
}

/**
 * What the config blob tells before any layer is read: the history's build steps and the
 * labels. Only a general-purpose package manager run at build time decides (full); the rest is
 * evidence next to what the layers show.
 */
export function configEvidence(config: unknown): { full?: string; notes: string[] } {
  const c = (config ?? {}) as {
    history?: { created_by?: unknown; empty_layer?: unknown }[];
    config?: { Labels?: Record<string, unknown> | null; User?: unknown };
  };
  const notes: string[] = [];
  const labels = c.config?.Labels ?? {};
  for (const key of ['org.opencontainers.image.base.name', 'io.buildpacks.stack.id']) {
    const v = labels[key];
    if (typeof v === 'string' && v !== '') notes.push(`label ${key}=${v}`);
  }
  let full: string | undefined;
  for (const h of c.history ?? []) {
    const step = typeof h.created_by === 'string' ? h.created_by : '';
    if (/alpine-minirootfs/.test(step)) notes.push('history: ADD alpine-minirootfs');
    const run = /(?:^|\s)(?:\/bin\/sh -c |RUN )(.*)$/.exec(step);
    const cmd = run?.[1] ?? '';
    const m = /\b(apt-get|apt|dnf|yum|zypper)\s+(?:-\S+\s+)*(?:install|update|upgrade)\b/.exec(cmd);
    if (m && !/#\(nop\)/.test(step)) {
      full ??= `config history runs ${m[1]} (${truncate(cmd.trim(), 60)})`;
    }
  }
  return { ...(full ? { full } : {}), notes };
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
