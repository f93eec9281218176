/**
 * The part of an image's file tree that tells what the image is, rebuilt from its layers in
 * order: each layer's whiteouts (`.wh.NAME`, `.wh..wh..opq`) remove what the layers below it
 * added, then its own entries are added. Only the paths that can be evidence are kept (shells,
 * package managers and their databases, os-release, libc, OpenSSL) and every symlink, so that
 * `etc/os-release → ../usr/lib/os-release` and `bin → usr/bin` resolve as the kernel would.
 */

export type Entry = { type: 'file'; content?: Buffer } | { type: 'symlink'; target: string } | { type: 'dir' };

/** Base names worth keeping; anything else of a layer is skipped unread. */
const INTERESTING =
  /^(?:sh|bash|ash|dash|zsh|busybox|apt|apt-get|dpkg|apk|dnf|dnf-3|dnf5|yum|microdnf|tdnf|rpm|zypper|os-release|status|installed|Packages|Packages\.db|rpmdb\.sqlite|libc\.so\.6|ld-musl-[\w-]+\.so\.1|libc\.musl-[\w-]+\.so\.1|libssl\.so(?:\.[\d.]+)?|openssl)$/;
/** Distroless keeps one file per package under status.d instead of one status file. */
const UNDER = /^(?:var\/lib\/dpkg\/status\.d\/|var\/lib\/rpm\/|usr\/lib\/sysimage\/rpm\/)/;
/** os-release is read, nothing else is. */
const READ_CONTENT = /(?:^|\/)os-release$/;
const MAX_CONTENT = 64 * 1024;

export function isInteresting(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return INTERESTING.test(base) || UNDER.test(path);
}

export function wantsContent(path: string, size: number): boolean {
  return READ_CONTENT.test(path) && size <= MAX_CONTENT;
}

/** `./usr//bin/` → `usr/bin` */
export function normalise(path: string): string {
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts.join('/');
}

export class LayeredTree {
  private readonly entries = new Map<string, Entry>();

  /** One layer's changes: its whiteouts first (they hide the layers below), then its entries. */
  applyLayer(changes: { whiteouts: string[]; opaque: string[]; entries: [string, Entry][] }): void {
    for (const dir of changes.opaque) this.removeBelow(dir);
    for (const path of changes.whiteouts) {
      this.entries.delete(path);
      this.removeBelow(path);
    }
    for (const [path, entry] of changes.entries) this.entries.set(path, entry);
  }

  private removeBelow(dir: string): void {
    const prefix = dir === '' ? '' : `${dir}/`;
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  /** The entry a path names after following symlinks (at most 40, as Linux does); undefined when absent. */
  lookup(path: string): { path: string; entry: Entry } | undefined {
    let parts = normalise(path).split('/');
    for (let hops = 0; hops < 40;) {
      let resolved = '';
      let restarted = false;
      for (let i = 0; i < parts.length; i++) {
        const candidate = resolved === '' ? parts[i]! : `${resolved}/${parts[i]!}`;
        const entry = this.entries.get(candidate);
        if (entry?.type === 'symlink') {
          hops++;
          const target = entry.target.startsWith('/') ? entry.target : `${resolved}/${entry.target}`;
          parts = normalise([target, ...parts.slice(i + 1)].join('/')).split('/');
          restarted = true;
          break;
        }
        resolved = candidate;
      }
      if (!restarted) {
        const entry = this.entries.get(resolved);
        return entry ? { path: resolved, entry } : undefined;
      }
    }
    return undefined;
  }

  /** Whether any kept path starts with `prefix` (after resolving the prefix's own symlinks). */
  hasUnder(prefix: string): boolean {
    const dir = this.lookup(prefix)?.path ?? normalise(prefix);
    const p = `${dir}/`;
    for (const [key, entry] of this.entries) if (key.startsWith(p) && entry.type === 'file') return true;
    return false;
  }

  /** Paths of kept files whose base name matches. */
  filesNamed(pattern: RegExp): string[] {
    const found: string[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.type !== 'file') continue;
      if (pattern.test(key.slice(key.lastIndexOf('/') + 1))) found.push(key);
    }
    return found.sort();
  }
}
