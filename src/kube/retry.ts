/**
 * When and how long to wait before a request is tried again. Only failures that a second try can
 * get around are retried: the server said so (429 Too Many Requests, 500/502/503/504), the
 * connection broke (reset, closed mid-body), the body was not whole JSON, or a slow answer ran
 * out of time. A refused connection, a TLS failure, 401/403/404 and every other answer are final
 * at once. Waits grow exponentially with jitter (so that many clients hit by one API-server
 * restart do not come back in step), a `Retry-After` from the server is honoured, and no wait
 * reaches past the audit deadline: a retry that could not finish in time is not started.
 */

export interface RetryPolicy {
  /** Tries per request, the first included. */
  attempts: number;
  /** Of those, how many may end in a request timeout (each one costs a whole timeout). */
  timeoutAttempts: number;
  /** The wait before the first retry; it doubles for each further one. */
  baseDelayMs: number;
  /** No wait of the exponential series is longer than this. */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the request fails at once. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  attempts: 4,
  timeoutAttempts: 2,
  baseDelayMs: 250,
  maxDelayMs: 4000,
  maxRetryAfterMs: 60_000,
});

/** HTTP statuses that say "try again": overload and gateway or server-side transients. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Transport failures after which the same GET may well succeed. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EBADJSON', 'ERR_STREAM_PREMATURE_CLOSE']);

/** What the retry loop needs to know about a failure; the client's errors provide it. */
export interface RetryableFailure {
  /** Set when the failure may be retried: why, in a few words (e.g. `503`, `connection reset`). */
  retryable?: string;
  /** The failure was a request timeout (counted against `timeoutAttempts`). */
  timedOut?: boolean;
  /** What the server asked for in `Retry-After`, in ms. */
  retryAfterMs?: number;
  /** Filled in by the loop: how many tries were made. */
  attempts?: number;
  /** Filled in by the loop when it stopped early: why. */
  gaveUp?: string;
}

export interface RetryOptions {
  policy?: RetryPolicy;
  /** Epoch ms after which nothing new is started (the audit deadline). */
  deadline?: number;
  /** Called before each wait, for --debug logs. */
  onRetry?: (info: { attempt: number; delayMs: number; why: string }) => void;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/**
 * The wait before retry number `retry` (1 for the first retry): "equal jitter", a random point
 * in the upper half of base·2^(retry-1), capped. Never zero, never more than the cap.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * `Retry-After` as ms: delay-seconds (`120`) or an HTTP date. Anything else (negative, garbage,
 * a date in the past) is undefined or 0, so a hostile header cannot stall the audit.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Runs `op` until it succeeds, fails in a way no retry can fix, runs out of tries, or the next
 * try would start past the deadline. The error thrown is the last one, with `attempts` set (and
 * `gaveUp` when a wait was refused), so that the message can say how hard the tool tried.
 */
export async function withRetries<T>(op: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  let timeouts = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      const failure = asFailure(err);
      if (!failure?.retryable) throw err;
      failure.attempts = attempt;
      if (failure.timedOut) timeouts++;
      if (attempt >= policy.attempts || (failure.timedOut && timeouts >= policy.timeoutAttempts)) throw err;
      const asked = failure.retryAfterMs;
      if (asked !== undefined && asked > policy.maxRetryAfterMs) {
        failure.gaveUp = `the server asked to wait ${seconds(asked)}, longer than kposture waits`;
        throw err;
      }
      const delayMs = asked ?? backoffDelay(attempt, policy, random);
      if (options.deadline !== undefined && now() + delayMs >= options.deadline) {
        failure.gaveUp = 'no time left before the audit deadline to try again';
        throw err;
      }
      options.onRetry?.({ attempt, delayMs, why: failure.retryable });
      await sleep(delayMs);
    }
  }
}

/** "tried 4 times" and why it stopped, for the end of an error message; '' for one try. */
export function describeAttempts(err: unknown): string {
  const f = asFailure(err);
  if (!f?.attempts || f.attempts < 2) return f?.gaveUp ? ` (${f.gaveUp})` : '';
  return ` (tried ${f.attempts} times${f.gaveUp ? `; ${f.gaveUp}` : ''})`;
}

function asFailure(err: unknown): RetryableFailure | undefined {
  return typeof err === 'object' && err !== null ? err : undefined;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}
