import { KpostureError } from '../errors.js';
import { kindId, type KindId } from '../k8s/kinds.js';
import { isRecord, type K8sObject } from '../k8s/object.js';
import { ApiClient, ApiStatusError, CredentialError, DEADLINE_CODE, LimitError, TransportError, formatSeconds } from '../kube/client.js';
import { discover, wantedOf, type Placement, type Wanted } from '../kube/discovery.js';
import { resolveTarget, type ClusterTarget, type KubeconfigOptions } from '../kube/kubeconfig.js';
import { mapBounded } from '../kube/limit.js';
import { listAll, type ListOptions } from '../kube/pager.js';
import { PageDecoder, type PageDecoderOptions } from '../kube/page-decoder.js';
import { MalformedAnswerError } from '../kube/list-page.js';
import { describeAttempts, type RetryPolicy } from '../kube/retry.js';
import type { Inventory, KindCollection } from '../k8s/inventory.js';
import { wholeObjects, type Projection } from '../k8s/slim.js';

export interface LiveOptions {
  kubeconfig?: string;
  context?: string;
  kinds: KindId[];
  requestTimeoutMs?: number;
  /** Deadline of the whole collection (--timeout): lists still running then become errors. */
  timeoutMs?: number;
  /** Retries of failed requests (default DEFAULT_RETRY_POLICY). */
  retry?: RetryPolicy;
  log?: (line: string) => void;
  /**
   * Told the running counts after each page and each kind, for a progress line. When it is
   * given, the line per kind listed is left to it (logged only with `logRequests`).
   */
  onProgress?: (counts: ReadCounts) => void;
  /** Lists of different kinds in flight at once (default 4). */
  concurrency?: number;
  /** Items per page (default 500, the size kubectl uses). */
  pageSize?: number;
  /** The largest answer body read (--max-page-mib; default DEFAULT_MAX_BODY_BYTES). */
  maxPageBytes?: number;
  /** The most pages one kind's list may take (--max-pages; default DEFAULT_MAX_PAGES). */
  maxPages?: number;
  /** Also log one line per request (path, status, time; never headers). */
  logRequests?: boolean;
  /**
   * How the kubeconfig is resolved (default resolveTarget). A fleet audit resolves its clusters' one
   * at a time: each resolution may load client-node into a worker thread for a moment, and several
   * at once would add up at the peak (docs/performance.md#fleets).
   */
  resolve?: (options: KubeconfigOptions) => Promise<ClusterTarget>;
  /** Environment, home and service-account folder for kubeconfig resolution (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  serviceAccountDir?: string;
  /** What is kept of each object, applied page by page (default: all of it; the audit keeps a slim record). */
  project?: Projection;
  /**
   * Parse large pages in worker threads and keep their slim records (slim.ts): set by the audit
   * together with the slim projection. Not with whole objects (plugins), which would cost more
   * to copy back than to parse.
   */
  slimInWorkers?: PageDecoderOptions;
}

/** How far reading a cluster has got: kinds listed (or given up) of those to list, pages and objects read. */
export interface ReadCounts {
  kinds: number;
  kindsDone: number;
  pages: number;
  objects: number;
}

export interface LiveInventory extends Inventory {
  source: { type: 'live'; context: string; server: string };
  /** The apiVersion each listed kind was read at, e.g. `networking.k8s.io/v1`. */
  apiVersions: ReadonlyMap<KindId, string>;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_AUDIT_TIMEOUT_MS = 600_000;
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_PAGE_SIZE = 500;

/*
 * Pods are listed whole, finished ones (Succeeded, Failed) included, exactly as a snapshot of
 * `kubectl get pods -A -o json` holds them, so a live audit and an audit of its snapshot agree.
 * A CronJob's image shows only in the pods it leaves behind: skipping finished pods would hide
 * it between runs. Checks for which a finished pod means nothing (NetworkPolicy isolation)
 * leave such pods out themselves.
 */

/** Reads the kinds the checks need from the cluster in the kubeconfig context. */
export async function collectLive(options: LiveOptions): Promise<Inventory> {
  return collectLiveInventory(options);
}

export async function collectLiveInventory(options: LiveOptions): Promise<LiveInventory> {
  // client-node is slow and large to import: snapshot audits never load it, and live audits with
  // static credentials load it only in a worker that resolves the kubeconfig (kubeconfig.ts,
  // docs/performance.md#credentials-off-the-main-thread).
  const target = await (options.resolve ?? resolveTarget)(options);
  const log = options.log ?? ((): void => undefined);
  // A detail for --debug, not progress: which way credentials are made (kubeconfig.ts).
  if (options.logRequests) log(`credentials: ${target.kc ? 'made per request by client-node' : 'static, made once by client-node in a worker thread'}`);
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const client = new ApiClient(target, {
    timeoutMs,
    maxSockets: concurrency,
    deadline: Date.now() + (options.timeoutMs ?? DEFAULT_AUDIT_TIMEOUT_MS),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.logRequests ? { logRequest: log } : {}),
    ...(options.maxPageBytes ? { maxBodyBytes: options.maxPageBytes } : {}),
  });
  const decoder = options.slimInWorkers ? new PageDecoder(options.slimInWorkers) : undefined;
  try {
    const serverVersion = await readServerVersion(client, target, timeoutMs);
    log(`reading context "${target.context}" at ${target.server}${serverVersion ? ` (Kubernetes ${serverVersion})` : ''}`);
    const wanted = [...new Set(options.kinds)].map(wantedOf);
    const placements = await placeKinds(client, target, wanted, concurrency, timeoutMs);

    const kinds = new Map<KindId, KindCollection>();
    const apiVersions = new Map<KindId, string>();
    const { tasks, groups } = planLists(wanted, placements);
    for (const w of wanted) {
      const p = placements.get(w.id)!;
      if (p.state !== 'served' && p.state !== 'group') kinds.set(w.id, collectionFor(p, timeoutMs));
    }

    let fatal: unknown;
    const counts = progressCounter(tasks.length, options.onProgress);
    await mapBounded(tasks, concurrency, async (task) => {
      const started = Date.now();
      try {
        const { items, pages } = await listKind(client, task, {
          limit: options.pageSize ?? DEFAULT_PAGE_SIZE,
          project: options.project ?? wholeObjects,
          ...(decoder ? { decoder } : {}),
          ...(options.maxPages ? { maxPages: options.maxPages } : {}),
          ...(options.onProgress ? { onPage: (p: number, n: number) => counts.page(task.id, p, n) } : {}),
        });
        kinds.set(task.id, { status: 'ok', items });
        apiVersions.set(task.id, task.apiVersion);
        if (!options.onProgress || options.logRequests) {
          log(`listed ${task.id}: ${items.length} in ${pages} page${pages === 1 ? '' : 's'} (${elapsed(Date.now() - started)})`);
        }
      } catch (err) {
        if (isClusterLevel(err, false)) {
          fatal ??= err;
          return;
        }
        const collection = failedCollection(err, timeoutMs);
        kinds.set(task.id, collection);
        log(`could not list ${task.id}: ${collection.reason}`);
      } finally {
        counts.kindDone();
      }
    });
    if (fatal !== undefined) throw clusterError(fatal, target, timeoutMs);
    for (const [id, members] of groups) kinds.set(id, groupCollection(members, kinds));

    // Requested kinds first, in the order asked; then the member kinds of whole-group kinds.
    const ordered = new Map<KindId, KindCollection>(wanted.map((w) => [w.id, kinds.get(w.id)!]));
    for (const [id, c] of kinds) if (!ordered.has(id)) ordered.set(id, c);
    const inventory: LiveInventory = {
      source: { type: 'live', context: target.context, server: target.server },
      kinds: ordered,
      apiVersions,
      // Live objects have no file: the report builds stable pseudo-paths for them.
      locate: () => undefined,
    };
    if (serverVersion) inventory.serverVersion = serverVersion;
    return inventory;
  } finally {
    decoder?.close();
    client.close();
  }
}

/**
 * Sums what each list has read for `onProgress`. A list that restarts (an expired continue
 * token) counts from zero again, so each list's last counts are kept and only the change added.
 */
function progressCounter(
  kinds: number,
  onProgress: ((counts: ReadCounts) => void) | undefined,
): { page: (id: KindId, pages: number, items: number) => void; kindDone: () => void } {
  const counts: ReadCounts = { kinds, kindsDone: 0, pages: 0, objects: 0 };
  const last = new Map<KindId, { pages: number; items: number }>();
  const tell = (): void => onProgress?.({ ...counts });
  if (onProgress) tell();
  return {
    page: (id, pages, items) => {
      const before = last.get(id) ?? { pages: 0, items: 0 };
      counts.pages += pages - before.pages;
      counts.objects += items - before.items;
      last.set(id, { pages, items });
      tell();
    },
    kindDone: () => {
      counts.kindsDone++;
      tell();
    },
  };
}

interface ListTask {
  id: KindId;
  group: string;
  kind: string;
  version: string;
  apiVersion: string;
  resource: string;
}

/** One list per served kind; a whole-group kind becomes one list per kind its group serves. */
function planLists(wanted: readonly Wanted[], placements: ReadonlyMap<KindId, Placement>): { tasks: ListTask[]; groups: Map<KindId, KindId[]> } {
  const tasks: ListTask[] = [];
  const groups = new Map<KindId, KindId[]>();
  const task = (id: KindId, group: string, kind: string, version: string, resource: string): ListTask => ({
    id,
    group,
    kind,
    version,
    apiVersion: group ? `${group}/${version}` : version,
    resource,
  });
  for (const w of wanted) {
    const p = placements.get(w.id)!;
    if (p.state === 'served') tasks.push(task(w.id, w.group, w.kind, p.version, p.resource));
    if (p.state === 'group') {
      const members = p.members.map((m) => task(kindId(w.group, m.kind), w.group, m.kind, p.version, m.resource));
      groups.set(
        w.id,
        members.map((m) => m.id),
      );
      tasks.push(...members.filter((m) => !wanted.some((x) => x.id === m.id)));
    }
  }
  return { tasks, groups };
}

async function listKind(client: ApiClient, task: ListTask, options: Omit<ListOptions, 'kind'>): Promise<{ items: K8sObject[]; pages: number }> {
  const kind = { id: task.id, apiVersion: task.apiVersion, kind: task.kind };
  const result = await listAll(client, `${apiRoot(task.group, task.version)}/${task.resource}`, { ...options, kind });
  return { items: result.items as K8sObject[], pages: result.pages };
}

/**
 * A whole-group kind (every Gatekeeper constraint) from its members: discovery named every kind
 * the group serves, so the aggregate is complete when each of them was listed.
 */
function groupCollection(members: KindId[], kinds: ReadonlyMap<KindId, KindCollection>): KindCollection {
  const failed = members.filter((id) => kinds.get(id)?.status !== 'ok');
  if (failed.length > 0) {
    const status = failed.some((id) => kinds.get(id)?.status === 'forbidden') ? 'forbidden' : 'error';
    return { status, items: [], reason: failed.map((id) => `${id}: ${kinds.get(id)?.reason ?? 'not listed'}`).join('; ') };
  }
  const items: K8sObject[] = [];
  for (const id of members) for (const item of kinds.get(id)!.items) items.push(item);
  return { status: 'ok', items };
}

function elapsed(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

function apiRoot(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/**
 * The first request proves the cluster can be reached and the credentials are accepted; if
 * it cannot be made, nothing else can. A server that hides /version (403) is still audited.
 */
async function readServerVersion(client: ApiClient, target: ClusterTarget, timeoutMs: number): Promise<string | undefined> {
  try {
    const doc = await client.getJson('/version');
    return isRecord(doc) && typeof doc.gitVersion === 'string' && doc.gitVersion !== '' ? doc.gitVersion : undefined;
  } catch (err) {
    if (isClusterLevel(err, true)) throw clusterError(err, target, timeoutMs);
    return undefined;
  }
}

async function placeKinds(client: ApiClient, target: ClusterTarget, wanted: Wanted[], concurrency: number, timeoutMs: number): Promise<Map<KindId, Placement>> {
  try {
    const placements = await discover(client, wanted, concurrency);
    for (const p of placements.values()) {
      if (p.state === 'failed' && isClusterLevel(p.error, false)) throw clusterError(p.error, target, timeoutMs);
    }
    return placements;
  } catch (err) {
    if (err instanceof KpostureError) throw err;
    if (isClusterLevel(err, true) && !isDeadline(err)) throw clusterError(err, target, timeoutMs);
    // Root discovery answered, but with an error: no kind can be placed, the audit still reports.
    return new Map(wanted.map((w): [KindId, Placement] => [w.id, { state: 'failed', error: err, what: 'API discovery' }]));
  }
}

function collectionFor(p: Exclude<Placement, { state: 'served' | 'group' }>, timeoutMs: number): KindCollection {
  switch (p.state) {
    case 'not-served':
      return { status: 'not-served', items: [], reason: p.reason };
    case 'never-read':
      return { status: 'forbidden', items: [], reason: p.reason };
    case 'failed': {
      const c = failedCollection(p.error, timeoutMs);
      return { ...c, reason: `${p.what}: ${c.reason}` };
    }
  }
}

function failedCollection(err: unknown, timeoutMs: number): KindCollection {
  if (err instanceof MalformedAnswerError) return { status: 'error', items: [], reason: err.message };
  if (err instanceof LimitError) return { status: 'error', items: [], reason: `${err.message} (${err.hint})` };
  if (err instanceof ApiStatusError && err.status === 403) return { status: 'forbidden', items: [], reason: err.message };
  if (err instanceof ApiStatusError) return { status: 'error', items: [], reason: `${err.status} ${err.reason}: ${err.message}${describeAttempts(err)}` };
  if (isDeadline(err)) return { status: 'error', items: [], reason: 'audit deadline reached (--timeout): the list did not finish in time' };
  if (err instanceof TransportError) {
    const what = err.code === 'ETIMEDOUT' ? `no answer within ${formatSeconds(timeoutMs)}` : `${err.message} (${err.code})`;
    return { status: 'error', items: [], reason: `${what}${describeAttempts(err)}` };
  }
  return { status: 'error', items: [], reason: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
}

/**
 * Failures that no retry of another kind can get around: no credentials, credentials refused,
 * and — before anything has been read — no connection at all.
 */
function isDeadline(err: unknown): boolean {
  return err instanceof TransportError && err.code === DEADLINE_CODE;
}

function isClusterLevel(err: unknown, beforeAnyAnswer: boolean): boolean {
  if (err instanceof CredentialError) return true;
  if (err instanceof ApiStatusError) return err.status === 401;
  return beforeAnyAnswer && err instanceof TransportError;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** One line: which context and server, what failed, what to try. Never a credential. */
function clusterError(err: unknown, target: ClusterTarget, timeoutMs: number): KpostureError {
  const where = `context "${target.context}" (${target.server})`;
  const make = (what: string, hint: string): KpostureError => new KpostureError('cluster', `${where}: ${what}`, hint, { cause: err });
  if (err instanceof CredentialError && err.unusable) {
    return new KpostureError(
      'input',
      `context "${target.context}", user "${target.user.name}": ${err.message}`,
      'run the credential command by hand and check the credential it prints',
      { cause: err },
    );
  }
  if (err instanceof CredentialError) {
    return make(`cannot get credentials: ${err.message}`, 'run the credential command by hand to see why, or log in to the cluster again');
  }
  if (err instanceof ApiStatusError) {
    if (err.status === 401) {
      return make(
        'the server rejected the credentials (401 Unauthorized)',
        'the token or client certificate is wrong or expired: log in again or refresh the kubeconfig',
      );
    }
    return make(`${err.status} ${err.reason}: ${err.message}${describeAttempts(err)}`, 'check the server with `kubectl get --raw /version`');
  }
  if (err instanceof TransportError) {
    const code = err.code;
    if (code === 'ECONNREFUSED') return make('connection refused', 'is the cluster running and the server address right? try `kubectl cluster-info`');
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return make('the server host name does not resolve', 'check the server address in the kubeconfig, DNS or VPN');
    if (code === 'ETIMEDOUT') return make(`no answer within ${formatSeconds(timeoutMs)}`, 'check the network or VPN, or raise --request-timeout');
    if (code === DEADLINE_CODE) return make('no answer before the audit deadline', 'check the network or VPN, or raise --timeout');
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return make(`the server is unreachable (${code})`, 'check the network or VPN');
    if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code === 'EPROTO') {
      return make(
        `TLS verification failed: ${err.message}`,
        "the kubeconfig's certificate-authority does not match the server: refresh the kubeconfig from the cluster's provider",
      );
    }
    return make(`${err.message} (${code})${describeAttempts(err)}`, 'check the server address and the network, then retry');
  }
  return make(err instanceof Error ? err.message.split('\n')[0]! : String(err), 'rerun with --debug for details');
}
