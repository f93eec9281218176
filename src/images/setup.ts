/** The inspector as a command sets it up: transport, credentials, cache, budget. */
import { ContentCache, defaultCacheDir } from './cache.js';
import { defaultCertsDirs } from './certs.js';
import { CredentialStore } from './credentials.js';
import type { InspectOptions } from './inspect.js';
import { Registries, type TransportStats } from './registry.js';

export interface InspectSettings {
  env: NodeJS.ProcessEnv;
  insecureRegistries: readonly string[];
  offline: boolean;
  /** Whole-run limits; absent: none. */
  maxBytes?: number;
  timeLimitMs?: number;
  now: () => number;
  onProgress?: (done: number, total: number, bytes: number) => void;
}

const DEFAULT_MAX_IMAGE_BYTES = 256 << 20;
const IMAGES_AT_ONCE = 32;
const REQUESTS_PER_REGISTRY = 16;
const REQUEST_TIMEOUT_MS = 30_000;

export function inspectOptions(s: InspectSettings): InspectOptions {
  const stats: TransportStats = { requests: 0, bytes: 0 };
  const registries = new Registries({
    insecure: new Set(s.insecureRegistries.map((h) => h.toLowerCase())),
    credentials: new CredentialStore({ env: s.env }),
    certsDirs: defaultCertsDirs(s.env),
    concurrency: REQUESTS_PER_REGISTRY,
    timeoutMs: REQUEST_TIMEOUT_MS,
    stats,
  });
  const budget = {
    ...(s.maxBytes !== undefined ? { maxBytes: s.maxBytes } : {}),
    ...(s.timeLimitMs !== undefined ? { deadline: s.now() + s.timeLimitMs } : {}),
  };
  return {
    registries,
    stats,
    cache: new ContentCache(defaultCacheDir(s.env)),
    offline: s.offline,
    maxImageBytes: DEFAULT_MAX_IMAGE_BYTES,
    budget,
    concurrency: IMAGES_AT_ONCE,
    now: s.now,
    ...(s.onProgress ? { onProgress: s.onProgress } : {}),
  };
}
