/**
 * An audit scoped to some namespaces (--namespace, --exclude-namespace, --namespace-selector).
 *
 * Tenant checks (`meta.scope: 'tenant'`) see only the namespaces in scope: the engine hands them
 * collections in which each namespaced object outside the scope, and each Namespace object
 * outside it, is left out, so no check needs code of its own for it. Cluster-wide checks (nodes,
 * CNI, policy engine, cluster RBAC) see the whole inventory, as does the code computing their
 * shared values: tenant checks get a memo of their own (run.ts), so a value computed from the
 * scoped view never reaches a cluster-wide check or the other way round.
 *
 * The whole cluster is read and then filtered, live and offline alike: cluster-wide checks need
 * every namespace (the CNI's DaemonSet in kube-system, the policy engine's Deployment in its
 * own namespace), a selector is decided on the Namespace list, and one list per kind costs
 * fewer requests than one per kind and namespace.
 */
import { KINDS, kindSpec, type KindId } from '../k8s/kinds.js';
import { collectionOf, describeStatus, type Inventory, type KindCollection } from '../k8s/inventory.js';
import { nameOf, namespaceOf } from '../k8s/object.js';
import type { CompiledSelector, Labels } from '../k8s/labels.js';
import { namespaceLabels } from '../k8s/webhooks.js';
import type { Check } from './check.js';

/** What the scope flags ask for. A namespace is in scope when it passes all three. */
export interface NamespaceScope {
  /** --namespace: only these (empty: any). */
  namespaces: readonly string[];
  /** --exclude-namespace: never these. */
  exclude: readonly string[];
  /** --namespace-selector: only namespaces whose labels match. */
  selector?: CompiledSelector;
}

/** The scope decided against one inventory: what tenant checks see. */
export interface ResolvedScope {
  scope: NamespaceScope;
  /** Set when the scope cannot be decided (a selector without a readable Namespace list): tenant checks are then unknown with this reason. */
  unresolved?: string;
  includes: (namespace: string | undefined) => boolean;
  /** The collection of `kind` as tenant checks see it. */
  collection: (kind: KindId) => KindCollection;
  /** Non-system namespaces of the Namespace list in scope, sorted; undefined when the list was not read. */
  tenantNamespaces?: string[];
  /** --namespace names the (readable) Namespace list does not have. */
  notFound: string[];
}

/** What the report says of the scope (`scope` in the JSON report). */
export interface ScopeSummary {
  namespaces?: string[];
  excludeNamespaces?: string[];
  namespaceSelector?: string;
  tenantNamespaces?: string[];
  notFound?: string[];
  unresolved?: string;
  /** The checks that saw only the scope; the others saw the whole cluster. */
  tenantChecks: string[];
}

/** Namespace names are DNS labels (RFC 1123). */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isNamespaceName(name: string): boolean {
  return name.length <= 63 && NAMESPACE_NAME.test(name);
}

export function isTenantCheck(check: Check): boolean {
  return check.meta.scope === 'tenant';
}

/**
 * Kinds the scope itself needs: the Namespace list, to match a selector against, to say which
 * tenant namespaces the scope holds and which --namespace names do not exist. One list request.
 */
export function kindsForScope(scope: NamespaceScope | undefined): KindId[] {
  return scope ? [KINDS.Namespace] : [];
}

/** A namespace's labels when the list lacks it: the one label the API server sets on every namespace. */
function automaticLabels(name: string): Labels {
  return { 'kubernetes.io/metadata.name': name };
}

export function resolveScope(scope: NamespaceScope, inventory: Inventory, isSystemNamespace: (name: string) => boolean): ResolvedScope {
  const namespaceList = collectionOf(inventory, KINDS.Namespace);
  // As the API server labels them: with the automatic kubernetes.io/metadata.name (webhooks.ts).
  const listed = namespaceList.status === 'ok' ? new Map(namespaceList.items.map((ns) => [nameOf(ns), namespaceLabels(ns)])) : undefined;
  const only = new Set(scope.namespaces);
  const excluded = new Set(scope.exclude);
  const unresolved =
    scope.selector && !listed
      ? `--namespace-selector is matched against the Namespace list, and ${describeStatus(KINDS.Namespace, namespaceList, inventory.source)}`
      : undefined;
  const includes = (namespace: string | undefined): boolean => {
    if (namespace === undefined || excluded.has(namespace)) return false;
    if (only.size > 0 && !only.has(namespace)) return false;
    return !scope.selector || scope.selector.matches(listed?.get(namespace) ?? automaticLabels(namespace));
  };
  const filtered = new Map<KindId, KindCollection>();
  const collection = (kind: KindId): KindCollection => {
    const whole = collectionOf(inventory, kind);
    const spec = kindSpec(kind);
    const byName = kind === KINDS.Namespace;
    if (!byName && (!spec?.namespaced || spec.configuresCluster)) return whole;
    let seen = filtered.get(kind);
    if (!seen) {
      seen = { ...whole, items: whole.items.filter((o) => includes(byName ? nameOf(o) : namespaceOf(o))) };
      filtered.set(kind, seen);
    }
    return seen;
  };
  const names = listed ? [...listed.keys()] : undefined;
  return {
    scope,
    ...(unresolved ? { unresolved } : {}),
    includes,
    collection,
    ...(names ? { tenantNamespaces: names.filter((n) => includes(n) && !isSystemNamespace(n)).sort() } : {}),
    notFound: listed ? [...only].filter((n) => !listed.has(n)).sort() : [],
  };
}

export function summarizeScope(resolved: ResolvedScope, checks: readonly Check[]): ScopeSummary {
  const { scope } = resolved;
  const sorted = (list: readonly string[]): string[] => [...new Set(list)].sort();
  return {
    ...(scope.namespaces.length > 0 ? { namespaces: sorted(scope.namespaces) } : {}),
    ...(scope.exclude.length > 0 ? { excludeNamespaces: sorted(scope.exclude) } : {}),
    ...(scope.selector ? { namespaceSelector: scope.selector.text } : {}),
    ...(resolved.tenantNamespaces && !resolved.unresolved ? { tenantNamespaces: resolved.tenantNamespaces } : {}),
    ...(resolved.notFound.length > 0 ? { notFound: resolved.notFound } : {}),
    ...(resolved.unresolved ? { unresolved: resolved.unresolved } : {}),
    tenantChecks: checks
      .filter(isTenantCheck)
      .map((c) => c.meta.id)
      .sort((a, b) => a.localeCompare(b, 'en')),
  };
}
