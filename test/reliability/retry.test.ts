/**
 * The retry policy (src/kube/retry.ts) on its own, with a fake clock, and then the real client
 * against the fixture server: waits grow and are jittered, Retry-After is honoured to the
 * second, and nothing is retried that a retry cannot fix.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import type { ServerResponse } from 'node:http';
import { ApiClient } from '../../src/kube/client.js';
import { resolveKubeconfig } from '../../src/kube/kubeconfig.js';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  describeAttempts,
  parseRetryAfter,
  withRetries,
  type RetryPolicy,
  type RetryableFailure,
} from '../../src/kube/retry.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer, type RecordedRequest } from '../support/fixture-server.js';
import { writeSyntheticCluster } from '../support/fixture-cluster.js';
import { FaultPlan, composeIntercepts, type Fault } from '../support/faults.js';
import { readOnlyViolations } from '../support/read-only.js';

const policy: RetryPolicy = { attempts: 4, timeoutAttempts: 2, baseDelayMs: 100, maxDelayMs: 300, maxRetryAfterMs: 10_000 };

function failure(props: RetryableFailure): Error & RetryableFailure {
  return Object.assign(new Error('boom'), props);
}

/** A fake clock: sleeping advances it, so waits and deadlines are exact. */
function clock(start = 1_000_000): { now: () => number; sleep: (ms: number) => Promise<void>; waits: number[] } {
  let t = start;
  const waits: number[] = [];
  return {
    now: () => t,
    sleep: (ms) => {
      waits.push(ms);
      t += ms;
      return Promise.resolve();
    },
    waits,
  };
}

describe('backoff', () => {
  test('doubles from the base, is capped, and jitters within the upper half', () => {
    for (const r of [0, 0.5, 0.999]) {
      const delays = [1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => r));
      expect(delays[0]).toBeGreaterThanOrEqual(50);
      expect(delays[0]).toBeLessThanOrEqual(100);
      expect(delays[1]).toBeGreaterThanOrEqual(100);
      expect(delays[1]).toBeLessThanOrEqual(200);
      for (const d of delays.slice(2)) {
        expect(d).toBeGreaterThanOrEqual(150);
        expect(d).toBeLessThanOrEqual(300);
      }
    }
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    // The defaults: the first wait a fraction of a second, none longer than 4 s.
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, () => 0)).toBe(125);
    expect(backoffDelay(30, DEFAULT_RETRY_POLICY, () => 1)).toBe(4000);
  });
});

describe('Retry-After', () => {
  test('reads delay-seconds and HTTP dates; ignores garbage', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(['0'], now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 01 May 2024 09:00:00 GMT', now)).toBe(0);
    for (const bad of [undefined, '', '-1', '1.5', 'soon', '12abc', '1e9']) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
});

describe('withRetries', () => {
  test('retries a retryable failure until it succeeds, with growing waits', async () => {
    const c = clock();
    let calls = 0;
    const value = await withRetries(
      () => {
        calls++;
        return calls < 4 ? Promise.reject(failure({ retryable: '503' })) : Promise.resolve('ok');
      },
      { policy, sleep: c.sleep, now: c.now, random: () => 1 },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(4);
    expect(c.waits).toEqual([100, 200, 300]);
  });

  test('gives up after the last attempt and says how many were made', async () => {
    const c = clock();
    let calls = 0;
    const err = await withRetries(
      () => {
        calls++;
        return Promise.reject(failure({ retryable: '500' }));
      },
      { policy, sleep: c.sleep, now: c.now },
    ).catch((e: unknown) => e as RetryableFailure);
    expect(calls).toBe(4);
    expect(err.attempts).toBe(4);
    expect(describeAttempts(err)).toBe(' (tried 4 times)');
  });

  test('does not retry what a retry cannot fix', async () => {
    const c = clock();
    let calls = 0;
    await expect(
      withRetries(
        () => {
          calls++;
          return Promise.reject(failure({}));
        },
        { policy, sleep: c.sleep, now: c.now },
      ),
    ).rejects.toThrow('boom');
    expect(calls).toBe(1);
    expect(c.waits).toEqual([]);
  });

  test('a timeout costs a whole request: only timeoutAttempts of them', async () => {
    const c = clock();
    let calls = 0;
    const err = await withRetries(
      () => {
        calls++;
        return Promise.reject(failure({ retryable: 'timeout', timedOut: true }));
      },
      { policy, sleep: c.sleep, now: c.now },
    ).catch((e: unknown) => e as RetryableFailure);
    expect(calls).toBe(2);
    expect(err.attempts).toBe(2);
  });

  test('waits exactly what Retry-After asks, and refuses a wait longer than the policy allows', async () => {
    const c = clock();
    let calls = 0;
    await withRetries(() => (++calls === 1 ? Promise.reject(failure({ retryable: '429', retryAfterMs: 7000 })) : Promise.resolve(1)), {
      policy,
      sleep: c.sleep,
      now: c.now,
    });
    expect(c.waits).toEqual([7000]);

    const c2 = clock();
    const err = await withRetries(
      () => {
        return Promise.reject(failure({ retryable: '429', retryAfterMs: 60_000 }));
      },
      { policy, sleep: c2.sleep, now: c2.now },
    ).catch((e: unknown) => e as RetryableFailure);
    expect(c2.waits).toEqual([]);
    expect(err.attempts).toBe(1);
    expect(describeAttempts(err)).toBe(' (the server asked to wait 60s, longer than kposture waits)');
  });

  test('never waits past the deadline', async () => {
    const c = clock();
    const deadline = c.now() + 250;
    let calls = 0;
    const err = await withRetries(
      () => {
        calls++;
        return Promise.reject(failure({ retryable: '503' }));
      },
      { policy, sleep: c.sleep, now: c.now, random: () => 1, deadline },
    ).catch((e: unknown) => e as RetryableFailure);
    // 100 ms, then 200 ms would end at 300 > 250: stop after two tries.
    expect(c.waits).toEqual([100]);
    expect(calls).toBe(2);
    expect(describeAttempts(err)).toBe(' (tried 2 times; no time left before the audit deadline to try again)');
  });
});

describe('the client against the fixture server', () => {
  const servers: FixtureServer[] = [];
  const cluster = writeSyntheticCluster({ namespaces: 2, podsPerNamespace: 2 });

  afterAll(async () => {
    expect(readOnlyViolations(servers.flatMap((s) => s.requests))).toEqual([]);
    await Promise.all(servers.map((s) => s.close()));
  });

  async function clientFor(
    plan: FaultPlan,
    opts: { timeoutMs?: number; retry?: RetryPolicy } = {},
  ): Promise<{ client: ApiClient; times: { path: string; at: number }[]; server: FixtureServer; log: string[] }> {
    const times: { path: string; at: number }[] = [];
    const stamp = (req: RecordedRequest): boolean => {
      times.push({ path: req.path, at: Date.now() });
      return false;
    };
    const server = await startFixtureServer({ snapshot: [cluster], intercept: composeIntercepts(stamp, plan.intercept) });
    servers.push(server);
    const log: string[] = [];
    const target = await resolveKubeconfig({ kubeconfig: writeKubeconfig(server).file });
    const client = new ApiClient(target, {
      timeoutMs: opts.timeoutMs ?? 2000,
      maxSockets: 2,
      logRequest: (l) => log.push(l),
      ...(opts.retry ? { retry: opts.retry } : {}),
    });
    return { client, times, server, log };
  }

  test('Retry-After: 1 is honoured: the retry comes a second later, and succeeds', async () => {
    const plan = new FaultPlan([{ fault: 'throttle', kind: 'Namespace', times: 1, retryAfterSeconds: 1 }]);
    const { client, times, log } = await clientFor(plan);
    try {
      const list = (await client.getJson('/api/v1/namespaces')) as { items: unknown[] };
      expect(list.items.length).toBeGreaterThan(3);
    } finally {
      client.close();
    }
    expect(times).toHaveLength(2);
    const gap = times[1]!.at - times[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(990);
    // About the second asked for, not more (slack for a loaded CI machine).
    expect(gap).toBeLessThan(3500);
    expect(log).toContainEqual('retrying GET /api/v1/namespaces in 1s (429; attempt 2 of 4)');
  });

  test('without Retry-After, waits grow: each gap at least half its ceiling, the series capped', async () => {
    const plan = new FaultPlan([{ fault: 'unavailable', kind: 'Namespace' }]);
    const { client, times } = await clientFor(plan, { retry: { ...DEFAULT_RETRY_POLICY, attempts: 5, baseDelayMs: 100, maxDelayMs: 400 } });
    const err = (await client.getJson('/api/v1/namespaces').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & RetryableFailure;
    client.close();
    expect(err.message).toBe('the server is currently unable to handle the request');
    expect(err.attempts).toBe(5);
    const gaps = times.slice(1).map((t, i) => t.at - times[i]!.at);
    expect(gaps).toHaveLength(4);
    // Ceilings 100, 200, 400, 400: each wait is in [ceiling/2, ceiling] (plus the request's own time).
    [100, 200, 400, 400].forEach((ceiling, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(ceiling / 2 - 5);
      expect(gaps[i]).toBeLessThan(ceiling + 400);
    });
  });

  test.each<[Fault, string]>([
    ['reset', 'connection reset'],
    ['truncated', 'incomplete JSON'],
    ['internal', '500'],
  ])('a %s is retried on the same page and the list arrives whole', async (fault, why) => {
    const plan = new FaultPlan([{ fault, kind: 'Pod', times: 2 }]);
    const { client, log, server } = await clientFor(plan);
    const list = (await client.getJson('/api/v1/pods')) as { items: unknown[] };
    client.close();
    expect(list.items).toHaveLength(server.objects('Pod').length);
    expect(plan.injected).toBe(2);
    expect(log.filter((l) => l.startsWith('retrying GET /api/v1/pods') && l.includes(`(${why}; attempt`))).toHaveLength(2);
  });

  test('a slow answer is tried once more, and no more', async () => {
    const plan = new FaultPlan([{ fault: 'slow', kind: 'Node', delayMs: 1500 }]);
    const { client, times } = await clientFor(plan, { timeoutMs: 300 });
    const started = Date.now();
    const err = (await client.getJson('/api/v1/nodes').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & RetryableFailure & { code: string };
    client.close();
    plan.close();
    expect(err.code).toBe('ETIMEDOUT');
    expect(err.attempts).toBe(2);
    expect(times).toHaveLength(2);
    // Two timeouts of 0.3 s, not a wait for the answer that comes at 1.5 s (slack for a loaded machine).
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('a kept-alive connection the server closed is not a failed try: the GET goes again on a new connection', async () => {
    // The server closes each connection when a second request comes on it, as one does that drops
    // an idle connection just as the client reuses it; the first request on a connection is answered.
    const served = new WeakMap<object, number>();
    const closeReused = (_req: RecordedRequest, res: ServerResponse): boolean => {
      const socket = res.socket!;
      const n = (served.get(socket) ?? 0) + 1;
      served.set(socket, n);
      if (n < 2) return false;
      socket.destroy();
      return true;
    };
    const server = await startFixtureServer({ snapshot: [cluster], intercept: closeReused });
    servers.push(server);
    const log: string[] = [];
    const target = await resolveKubeconfig({ kubeconfig: writeKubeconfig(server).file });
    // No retries at all: only the re-send on a new connection can get the second list through.
    const client = new ApiClient(target, { timeoutMs: 2000, maxSockets: 1, logRequest: (l) => log.push(l), retry: { ...policy, attempts: 1 } });
    try {
      const first = (await client.getJson('/api/v1/namespaces')) as { items: unknown[] };
      const second = (await client.getJson('/api/v1/nodes')) as { items: unknown[] };
      expect(first.items).toHaveLength(server.objects('Namespace').length);
      expect(second.items).toHaveLength(server.objects('Node').length);
    } finally {
      client.close();
    }
    expect(server.requests.map((r) => r.path)).toEqual(['/api/v1/namespaces', '/api/v1/nodes', '/api/v1/nodes']);
    expect(log.filter((l) => l.includes('closed the kept-alive connection'))).toEqual([
      'GET /api/v1/nodes: the server had closed the kept-alive connection (ECONNRESET); sending again on another one',
    ]);
  });

  test('a connection closed before any answer on a new connection is a failed try like any reset', async () => {
    const closeAll = (_req: RecordedRequest, res: ServerResponse): boolean => {
      res.socket!.destroy();
      return true;
    };
    const server = await startFixtureServer({ snapshot: [cluster], intercept: closeAll });
    servers.push(server);
    const target = await resolveKubeconfig({ kubeconfig: writeKubeconfig(server).file });
    const client = new ApiClient(target, { timeoutMs: 2000, maxSockets: 1, retry: { ...policy, attempts: 3 } });
    const err = (await client.getJson('/api/v1/nodes').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & RetryableFailure & { code: string };
    client.close();
    expect(err.code).toBe('ECONNRESET');
    expect(err.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  test('401, 403 and 404 are answered once: no retry', async () => {
    const plan = new FaultPlan([]);
    const { client, server } = await clientFor(plan);
    const before = server.requests.length;
    await expect(client.getJson('/api/v1/nonexistent')).rejects.toThrow();
    expect(server.requests.length - before).toBe(1);
    client.close();
    const forbidden = await startFixtureServer({ snapshot: [cluster], forbidden: ['Node'] });
    servers.push(forbidden);
    const target = await resolveKubeconfig({ kubeconfig: writeKubeconfig(forbidden).file });
    const c2 = new ApiClient(target, { timeoutMs: 2000, maxSockets: 1 });
    await expect(c2.getJson('/api/v1/nodes')).rejects.toThrow(/forbidden/);
    c2.close();
    expect(forbidden.requests).toHaveLength(1);
    const wrong = await resolveKubeconfig({ kubeconfig: writeKubeconfig(forbidden, { token: 'not-the-token' }).file });
    const c3 = new ApiClient(wrong, { timeoutMs: 2000, maxSockets: 1 });
    await expect(c3.getJson('/api/v1/nodes')).rejects.toThrow();
    c3.close();
    expect(forbidden.requests).toHaveLength(2);
    expect(forbidden.requests[1]!.status).toBe(401);
  });
});
