import { asArray, isRecord } from '../k8s/object.js';
import { ApiStatusError, TransportError, type ApiClient } from './client.js';

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

async function listOnce(client: ApiClient, path: string, options: ListOptions): Promise<ListResult> {
  const items: unknown[] = [];
  const seenTokens = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  let resourceVersion: string | undefined;
  const get = (continueToken: string | undefined): Promise<unknown> => {
    const request = client.getJson(path, { limit: options.limit, continue: continueToken, fieldSelector: options.fieldSelector });
    // Awaited below; until then a failure must not count as unhandled.
    request.catch(() => undefined);
    return request;
  };
  let next = get(undefined);
  do {
    const page = await next;
    pages++;
    if (!isRecord(page) || (page.items !== null && page.items !== undefined && !Array.isArray(page.items))) {
      throw new TransportError('EBADLIST', `GET ${path} did not return a list`, path);
    }
    const meta = isRecord(page.metadata) ? page.metadata : {};
    if (pages === 1 && typeof meta.resourceVersion === 'string') resourceVersion = meta.resourceVersion;
    token = typeof meta.continue === 'string' && meta.continue !== '' ? meta.continue : undefined;
    if (token !== undefined) {
      if (seenTokens.has(token)) throw new TransportError('ELOOP', `GET ${path} returned the same continue token twice`, path);
      seenTokens.add(token);
      // The server prepares the next page while this one is processed.
      next = get(token);
    }
    const take = options.take;
    for (const item of asArray(page.items)) {
      const kept = take ? take(item) : item;
      if (kept !== undefined) items.push(kept);
    }
  } while (token !== undefined);
  return { items, pages, ...(resourceVersion ? { resourceVersion } : {}) };
}
