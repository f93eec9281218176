/**
 * Sentences about how an audit was set up — the namespaces it was scoped to, the checks it did
 * not run — that the table prints as lines and SARIF as notifications.
 */
import { appendTo } from '../util/collections.js';
import type { Report } from './model.js';
import { listSome } from '../util/strings.js';

const LISTED = 5;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `Scope: namespaces shop, blog (2 tenant namespaces: blog, shop); …`, or undefined for a whole-cluster audit. */
export function describeScope(report: Pick<Report, 'scope'>): string | undefined {
  const scope = report.scope;
  if (!scope) return undefined;
  const asked = [
    scope.namespaces ? `namespaces ${scope.namespaces.join(', ')}` : 'all namespaces',
    ...(scope.namespaceSelector ? [`matching ${scope.namespaceSelector}`] : []),
    ...(scope.excludeNamespaces ? [`except ${scope.excludeNamespaces.join(', ')}`] : []),
  ].join(' ');
  const found = scope.unresolved
    ? ` (undecided: ${scope.unresolved})`
    : scope.tenantNamespaces
      ? ` (${plural(scope.tenantNamespaces.length, 'tenant namespace')}${scope.tenantNamespaces.length > 0 ? `: ${listSome(scope.tenantNamespaces, LISTED)}` : ''})`
      : '';
  const missing = scope.notFound ? `; not found: ${scope.notFound.join(', ')}` : '';
  return `Scope: ${asked}${found}${missing}. ${plural(scope.tenantChecks.length, 'tenant check')} saw only these namespaces; cluster-wide checks saw the whole cluster.`;
}

/** `Not run, not in the score: NP-02 (skipped with --skip); 25 checks (not selected by --check).` */
export function describeSkipped(report: Pick<Report, 'skipped'>): string | undefined {
  if (report.skipped.length === 0) return undefined;
  const byReason = new Map<string, string[]>();
  for (const s of report.skipped) appendTo(byReason, s.reason, s.id);
  const groups = [...byReason].map(([reason, ids]) => `${ids.length > LISTED ? plural(ids.length, 'check') : ids.join(', ')} (${reason})`);
  return `Not run, so not in the score: ${groups.join('; ')}.`;
}
