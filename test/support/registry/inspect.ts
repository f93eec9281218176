/** Inspector options for tests: a fresh cache directory, counted transport, no real credentials. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentCache } from '../../../src/images/cache.js';
import { CredentialStore, type CredentialEnv } from '../../../src/images/credentials.js';
import type { InspectOptions } from '../../../src/images/inspect.js';
import { Registries, type TransportStats } from '../../../src/images/registry.js';

export function testOptions(insecure: string[], overrides: Partial<InspectOptions> & { credentials?: CredentialEnv; cacheDir?: string } = {}): InspectOptions {
  const stats: TransportStats = { requests: 0, bytes: 0 };
  const credentials = new CredentialStore(overrides.credentials ?? { env: { HOME: mkdtempSync(join(tmpdir(), 'kposture-home-')) } });
  const registries = new Registries({
    insecure: new Set(insecure),
    credentials,
    concurrency: 4,
    timeoutMs: 10_000,
    stats,
    retry: { sleep: () => Promise.resolve(), policy: { attempts: 3, timeoutAttempts: 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 60_000 } },
  });
  const { credentials: _c, cacheDir, ...rest } = overrides;
  return {
    registries,
    stats,
    cache: new ContentCache(cacheDir ?? mkdtempSync(join(tmpdir(), 'kposture-cache-'))),
    maxImageBytes: 64 << 20,
    concurrency: 4,
    ...rest,
  };
}
