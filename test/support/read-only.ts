/**
 * What the fixture server's request log may never show: anything but GET, a watch, or a request
 * that touches Secrets (in the path or the query). Used by the reliability, security and
 * end-to-end suites after every command they run.
 */
import type { RecordedRequest } from './fixture-server.js';
import { resourceOf } from './faults.js';

/** One line per offending request; empty when every request was a plain read of allowed data. */
export function readOnlyViolations(requests: readonly RecordedRequest[]): string[] {
  const out: string[] = [];
  for (const r of requests) {
    const query = new URLSearchParams(r.query).toString();
    const line = `${r.method} ${r.path}${query ? `?${query}` : ''}`;
    if (r.method !== 'GET') out.push(`${line}: not a GET`);
    else if (resourceOf(r.path)?.resource === 'secrets' || /secret/i.test(`${decodeURIComponent(r.path)}?${decodeURIComponent(query)}`))
      out.push(`${line}: touches Secrets`);
    else if (r.query.watch === 'true' || r.query.watch === '1') out.push(`${line}: a watch`);
  }
  return out;
}
