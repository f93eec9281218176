import { getHeapStatistics } from 'node:v8';
import { isRecord } from '../k8s/object.js';
import type { Projection } from '../k8s/slim.js';
import { ApiStatusError, LimitError, parseBody, type ApiClient } from './client.js';
import { MalformedAnswerError, listMetaProblem, listMetadataOf, pageRecords, type PageKind } from './list-page.js';
import { PageDecodeError, type PageDecoder } from './page-decoder.js';

export interface ListOptions {
  limit: number;
  /** The kind listed: a page must be its `<Kind>List`, and its items are filled in with it. */
  kind: PageKind;
  /** What is kept of each item, as its page arrives, so that only the kept record outlives the page. */
  project: Projection;
  fieldSelector?: string;
  /** How often an expired `continue` token (410 Gone) may restart the list from the top. */
  restarts?: number;
  /** Large pages are parsed and projected by worker threads (page-decoder.ts). */
  decoder?: PageDecoder;
  /** The most pages one list may take (default DEFAULT_MAX_PAGES): a server that never ends a list is stopped. */
  maxPages?: number;
  /** Whether the heap is too full to keep reading (default: heapNearLimit). */
  heapFull?: () => string | undefined;
  /** Told after each page: pages read and items kept so far in this list (both start again when a list restarts). */
  onPage?: (pages: number, items: number) => void;
}

export interface ListResult {
  items: unknown[];
  pages: number;
  resourceVersion?: string;
}

/**
 * Pages per list (--max-pages). 150,000 pods take 300 pages of 500; the default is far above any
 * real list, and ends a list whose server hands out fresh continue tokens forever.
 */
const DEFAULT_MAX_PAGES = 10_000;

/**
 * Reading stops when the heap in use passes this share of the old generation's limit, which leaves
 * room for the pages in flight and for the checks (docs/reliability.md).
 */
const HEAP_STOP_SHARE = 0.75;
/** What V8's heap limit holds beyond the old generation: three 16 MiB semi-spaces on 64-bit. */
const YOUNG_GENERATION_BYTES = 48 * 2 ** 20;

/**
 * Why reading must stop for memory, or undefined. A list that grows past the heap would end the
 * process without a report; stopping it turns only that kind into an error.
 */
function heapNearLimit(): string | undefined {
  const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
  if (used < Math.max(limit - YOUNG_GENERATION_BYTES, limit / 2) * HEAP_STOP_SHARE) return undefined;
  const mib = (n: number): number => Math.round(n / 2 ** 20);
  return `the heap holds ${mib(used)} of its ${mib(limit)} MiB limit`;
}

/**
 * Lists a collection page by page with `limit` and `continue`. Each page is parsed on its own
 * and dropped once its items are taken. No `resourceVersion=0`: servers before 1.34 serve that
 * from the watch cache and ignore `limit`, returning every pod in one answer.
 */
export async function listAll(client: ApiClient, path: string, options: ListOptions): Promise<ListResult> {
  const restarts = options.restarts ?? DEFAULT_RESTARTS;
  for (let restart = 0; ; restart++) {
    try {
      return await listOnce(client, path, options);
    } catch (err) {
      // A continue token expires after etcd compaction (~5 min): the list is restarted rather
      // than stitched from two resource versions. A server whose tokens always expire would
      // restart it forever, so the restarts are counted (and the audit deadline bounds them too).
      if (err instanceof ApiStatusError && err.status === 410) {
        if (restart < restarts) continue;
        err.gaveUp = `the list was restarted ${restart} time${restart === 1 ? '' : 's'} and its continue token expired every time`;
      }
      throw err;
    }
  }
}

/** Restarts of one list after an expired continue token (410 Gone). */
const DEFAULT_RESTARTS = 2;

/** A page as the pager gets it: parsed, or (for the page decoder) its metadata and its items being decoded. */
type Fetched = { page: unknown } | { meta: Record<string, unknown>; decoded: Promise<unknown[]> };

async function listOnce(client: ApiClient, path: string, options: ListOptions): Promise<ListResult> {
  const items: unknown[] = [];
  const seenTokens = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  let resourceVersion: string | undefined;
  const { decoder, kind, project } = options;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const heapFull = options.heapFull ?? heapNearLimit;
  const malformed = (problem: string): MalformedAnswerError => new MalformedAnswerError(`the answer to GET ${path} is not a ${kind.kind}List: ${problem}`);
  const query = (continueToken: string | undefined): Record<string, string | number | undefined> => ({
    limit: options.limit,
    continue: continueToken,
    fieldSelector: options.fieldSelector,
  });
  const get = (continueToken: string | undefined): Promise<Fetched> => {
    const request: Promise<Fetched> = decoder
      ? client.getWith(path, query(continueToken), (body, p): Fetched => {
          // A large page whose head can be read goes to a worker, with the memory it was read
          // into (the client's, lent for this call only); any other is parsed here.
          const meta = body.length >= decoder.minBytes ? listMetadataOf(body) : undefined;
          if (!meta) return { page: parseBody(body, p) };
          const decoded = decoder.decode(body, kind, client.buffers);
          decoded.catch(() => undefined);
          return { meta, decoded };
        })
      : client.getJson(path, query(continueToken)).then((page) => ({ page }));
    // Awaited below; until then a failure must not count as unhandled.
    request.catch(() => undefined);
    return request;
  };
  const recordsOf = (page: unknown): unknown[] => {
    const taken = pageRecords(page, kind, project);
    if ('problem' in taken) throw malformed(taken.problem);
    return taken.records;
  };
  // Pages handed to the decoder, oldest first: several are decoded at once (one per worker),
  // and their items are added in page order.
  const inFlight: { asked: string | undefined; items: Promise<unknown[]> }[] = [];
  const settleOldest = async (): Promise<void> => {
    const { asked, items: decoded } = inFlight.shift()!;
    try {
      for (const item of await decoded) items.push(item);
    } catch (err) {
      if (err instanceof MalformedAnswerError) throw malformed(err.message);
      if (!(err instanceof PageDecodeError)) throw err;
      // The worker could not read it: read the same page again, here.
      for (const record of recordsOf(await client.getJson(path, query(asked)))) items.push(record);
    }
  };
  let next = get(undefined);
  do {
    const fetched = await next;
    const asked = token;
    pages++;
    const meta = 'page' in fetched ? (isRecord(fetched.page) ? fetched.page.metadata : undefined) : fetched.meta;
    // The page is judged before its continue token is followed: a broken page ends the list as an error.
    const problem = 'page' in fetched ? undefined : listMetaProblem(meta);
    if (problem) throw malformed(problem);
    const records = 'page' in fetched ? recordsOf(fetched.page) : undefined;
    const listMeta = isRecord(meta) ? meta : {};
    if (pages === 1 && typeof listMeta.resourceVersion === 'string') resourceVersion = listMeta.resourceVersion;
    token = typeof listMeta.continue === 'string' && listMeta.continue !== '' ? listMeta.continue : undefined;
    if (token !== undefined) {
      if (seenTokens.has(token)) throw new MalformedAnswerError(`GET ${path} returned the same continue token twice`);
      if (pages >= maxPages)
        throw new LimitError(`the list of ${kind.id} did not end after ${maxPages} pages`, 'raise --max-pages if the cluster really holds that many');
      const full = heapFull();
      if (full)
        throw new LimitError(
          `stopped reading ${kind.id} after ${pages} pages: ${full}`,
          'give Node more heap (NODE_OPTIONS=--max-old-space-size=MiB) or audit fewer kinds',
        );
      seenTokens.add(token);
      // The server prepares the next page while this one is processed.
      next = get(token);
    }
    if ('page' in fetched) {
      while (inFlight.length > 0) await settleOldest();
      for (const record of records!) items.push(record);
      options.onPage?.(pages, items.length);
      continue;
    }
    inFlight.push({ asked, items: fetched.decoded });
    // Bounded: pages read faster than they are decoded wait here, not in memory.
    while (inFlight.length > decoder!.window) await settleOldest();
    options.onPage?.(pages, items.length);
  } while (token !== undefined);
  while (inFlight.length > 0) await settleOldest();
  return { items, pages, ...(resourceVersion ? { resourceVersion } : {}) };
}
