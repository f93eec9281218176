import { asArray, isRecord } from '../k8s/object.js';
import { ApiStatusError, TransportError, parseBody, type ApiClient } from './client.js';
import { isListPage, listMetadataOf, type PageKind } from './list-page.js';
import { PageDecodeError, type PageDecoder } from './page-decoder.js';

export interface ListOptions {
  limit: number;
  fieldSelector?: string;
  /** How often an expired `continue` token (410 Gone) may restart the list from the top. */
  restarts?: number;
  /**
   * What is kept of each item, called as its page arrives (default: the item itself; undefined
   * drops it). Keeping a slim record here lets each page be dropped whole.
   */
  take?: (item: unknown) => unknown;
  /**
   * Large pages are parsed and slimmed by worker threads (page-decoder.ts) instead of `take`;
   * the workers' records are kept as they are.
   */
  decode?: { decoder: PageDecoder; kind: PageKind };
}

export interface ListResult {
  items: unknown[];
  pages: number;
  resourceVersion?: string;
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
export const DEFAULT_RESTARTS = 2;

/** A page as the pager gets it: parsed, or (for the page decoder) its metadata and its items being decoded. */
type Fetched = { page: unknown } | { meta: Record<string, unknown>; decoded: Promise<unknown[]> };

async function listOnce(client: ApiClient, path: string, options: ListOptions): Promise<ListResult> {
  const items: unknown[] = [];
  const seenTokens = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  let resourceVersion: string | undefined;
  const decoding = options.decode;
  const query = (continueToken: string | undefined): Record<string, string | number | undefined> => ({
    limit: options.limit,
    continue: continueToken,
    fieldSelector: options.fieldSelector,
  });
  const get = (continueToken: string | undefined): Promise<Fetched> => {
    const request: Promise<Fetched> = decoding
      ? client.getWith(path, query(continueToken), (body, p): Fetched => {
          // A large page whose head can be read goes to a worker, with the memory it was read
          // into (the client's, lent for this call only); any other is parsed here.
          const meta = body.length >= decoding.decoder.minBytes ? listMetadataOf(body) : undefined;
          if (!meta) return { page: parseBody(body, p) };
          const decoded = decoding.decoder.decode(body, decoding.kind, client.buffers);
          decoded.catch(() => undefined);
          return { meta, decoded };
        })
      : client.getJson(path, query(continueToken)).then((page) => ({ page }));
    // Awaited below; until then a failure must not count as unhandled.
    request.catch(() => undefined);
    return request;
  };
  const take = (page: unknown): void => {
    for (const item of asArray((page as { items?: unknown }).items)) {
      const kept = options.take ? options.take(item) : item;
      if (kept !== undefined) items.push(kept);
    }
  };
  // Pages handed to the decoder, oldest first: several are decoded at once (one per worker),
  // and their items are added in page order.
  const inFlight: { asked: string | undefined; items: Promise<unknown[]> }[] = [];
  const settleOldest = async (): Promise<void> => {
    const { asked, items: decoded } = inFlight.shift()!;
    try {
      for (const item of await decoded) items.push(item);
    } catch (err) {
      if (!(err instanceof PageDecodeError)) throw err;
      // The worker could not read it: read the same page again, here.
      const page = await client.getJson(path, query(asked));
      assertList(page, path);
      take(page);
    }
  };
  let next = get(undefined);
  do {
    const fetched = await next;
    const asked = token;
    pages++;
    if ('page' in fetched) assertList(fetched.page, path);
    const meta = 'page' in fetched ? (fetched.page as { metadata?: unknown }).metadata : fetched.meta;
    const listMeta = isRecord(meta) ? meta : {};
    if (pages === 1 && typeof listMeta.resourceVersion === 'string') resourceVersion = listMeta.resourceVersion;
    token = typeof listMeta.continue === 'string' && listMeta.continue !== '' ? listMeta.continue : undefined;
    if (token !== undefined) {
      if (seenTokens.has(token)) throw new TransportError('ELOOP', `GET ${path} returned the same continue token twice`, path);
      seenTokens.add(token);
      // The server prepares the next page while this one is processed.
      next = get(token);
    }
    if ('page' in fetched) {
      while (inFlight.length > 0) await settleOldest();
      take(fetched.page);
      continue;
    }
    inFlight.push({ asked, items: fetched.decoded });
    // Bounded: pages read faster than they are decoded wait here, not in memory.
    while (inFlight.length > decoding!.decoder.window) await settleOldest();
  } while (token !== undefined);
  while (inFlight.length > 0) await settleOldest();
  return { items, pages, ...(resourceVersion ? { resourceVersion } : {}) };
}

function assertList(page: unknown, path: string): void {
  if (!isListPage(page)) throw new TransportError('EBADLIST', `GET ${path} did not return a list`, path);
}
