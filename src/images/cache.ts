/**
 * Inspection results on disk, one JSON file per image digest (and platform, for an index), under
 * `$XDG_CACHE_HOME/kposture/images/` (default `~/.cache/kposture/images/`). A digest names
 * immutable bytes, so an entry never goes stale. Files are written whole to a temporary name and
 * renamed, so concurrent runs see a whole entry or none. Only proven results are kept, and an
 * entry holds no credential: the class, the evidence, the digest.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ProvenContent } from '../k8s/image-content.js';

const FORMAT = 1;

export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME ?? homedir(), '.cache'), 'kposture', 'images');
}

export class ContentCache {
  constructor(readonly dir: string) {}

  private file(digest: string, platform: string | undefined): string {
    const safe = `${digest.replace(':', '-')}${platform ? `-${platform.replace(/[^a-z0-9]+/gi, '-')}` : ''}`;
    if (!/^[a-z0-9]+-[0-9a-f]{32,}(?:-[A-Za-z0-9-]+)?$/.test(safe)) throw new Error(`not a digest: ${digest}`);
    return join(this.dir, `${safe}.json`);
  }

  get(digest: string, platform?: string): ProvenContent | undefined {
    let text: string;
    try {
      text = readFileSync(this.file(digest, platform), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const entry = JSON.parse(text) as { format?: unknown; content?: ProvenContent };
      const c = entry.content;
      if (entry.format !== FORMAT || c?.status !== 'proven' || !['distroless', 'minimal', 'full'].includes(c.class) || !Array.isArray(c.evidence))
        return undefined;
      return c;
    } catch {
      // A damaged entry is read as no entry; the next inspection rewrites it.
      return undefined;
    }
  }

  put(digest: string, platform: string | undefined, content: ProvenContent): void {
    const target = this.file(digest, platform);
    mkdirSync(this.dir, { recursive: true });
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ format: FORMAT, content })}\n`, { mode: 0o600 });
    renameSync(temp, target);
  }
}
