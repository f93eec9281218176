import { describe, expect, it } from '@jest/globals';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { memoKey, type Check, type CheckContext, type Outcome } from '../../src/engine/check.js';
import { runChecks } from '../../src/engine/run.js';
import { isNamespaceName, kindsForScope, resolveScope, summarizeScope, type NamespaceScope } from '../../src/engine/scope.js';
import { KINDS, type KindId } from '../../src/k8s/kinds.js';
import type { Inventory } from '../../src/k8s/inventory.js';
import { nameOf, namespaceOf, type K8sObject } from '../../src/k8s/object.js';
import { parseSelectorString } from '../../src/k8s/selector-string.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import { inventoryOf, namespace } from '../support/inventory.js';
import { REPO_ROOT } from '../fixtures/load.js';

const SYSTEM = new Set(['kube-system']);
const isSystem = (ns: string): boolean => SYSTEM.has(ns);

function pod(ns: string, name: string): K8sObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } };
}

function cluster(): Inventory {
  return inventoryOf([
    namespace('kube-system'),
    namespace('shop', { team: 'shop', env: 'prod' }),
    namespace('blog', { team: 'content', env: 'prod' }),
    namespace('lab', { env: 'dev' }),
    pod('kube-system', 'coredns'),
    pod('shop', 'web'),
    pod('blog', 'ghost'),
    pod('lab', 'notebook'),
    { apiVersion: 'config.gatekeeper.sh/v1alpha1', kind: 'Config', metadata: { name: 'config', namespace: 'gatekeeper-system' } },
  ]);
}

function scope(partial: { namespaces?: string[]; exclude?: string[]; selector?: string }): NamespaceScope {
  const parsed = partial.selector === undefined ? undefined : parseSelectorString(partial.selector);
  if (parsed && !parsed.ok) throw new Error(parsed.reason);
  return { namespaces: partial.namespaces ?? [], exclude: partial.exclude ?? [], ...(parsed?.ok ? { selector: parsed.selector } : {}) };
}

/** A check that reports, as subjects, the names of the objects of each kind it sees. */
function seer(id: string, tenant: boolean, reads: KindId[] = [KINDS.Namespace, KINDS.Pod]): Check {
  return {
    meta: {
      id,
      title: 'sees',
      category: 'multitenancy',
      severity: 'medium',
      rationale: 'r',
      remediation: 'f',
      references: [],
      reads,
      messages: { none: 'none' },
      ...(tenant ? { scope: 'tenant' as const } : {}),
    },
    evaluate: (ctx: CheckContext): Outcome => ({
      status: 'pass',
      findings: [],
      subjects: reads.flatMap((kind) =>
        ctx.items(kind).map((o) => ({
          resource: { kind: String(o.kind), name: nameOf(o), ...(namespaceOf(o) ? { namespace: namespaceOf(o) } : {}) },
          verdict: 'info' as const,
        })),
      ),
    }),
  };
}

function seen(outcome: Outcome | undefined, kind: string): string[] {
  if (!outcome || outcome.status === 'not-applicable') return [];
  return (outcome.subjects ?? []).filter((s) => s.resource.kind === kind).map((s) => s.resource.namespace ?? s.resource.name);
}

function run(checks: Check[], inventory: Inventory, s?: NamespaceScope): Map<string, Outcome> {
  const results = runChecks({
    inventory,
    checks,
    catalogs: loadBuiltinCatalogs(),
    systemNamespaces: SYSTEM,
    ...(s ? { scope: resolveScope(s, inventory, isSystem) } : {}),
  });
  return new Map(results.map((r) => [r.check.meta.id, r.outcome]));
}

describe('namespace scope', () => {
  it('names the built-in checks that honour the scope: those that judge what lives in tenant namespaces', () => {
    const tenant = BUILTIN_CHECKS.filter((c) => c.meta.scope === 'tenant').map((c) => c.meta.id);
    // Cluster-wide, and why: MT-01 (tenancy framework: CRDs and controllers anywhere), MT-05
    // (cluster-admin bindings are cluster RBAC), NP-01 (the CNI), OS-* (nodes), PE-01..PE-04
    // (the policy engine, its policies, webhooks and replicas).
    expect(tenant).toEqual([
      'DIE-01', 'DIE-02', 'DIE-03',
      'IMG-01', 'IMG-02', 'IMG-03', 'IMG-04',
      'MT-02', 'MT-03', 'MT-04',
      'NP-02', 'NP-03', 'NP-04', 'NP-05', 'NP-06',
      'PE-05',
    ]); // prettier-ignore
  });

  it('shows tenant checks only the namespaces in scope, and cluster-wide checks everything', () => {
    const outcomes = run([seer('T-TENANT', true), seer('T-CLUSTER', false)], cluster(), scope({ namespaces: ['shop', 'blog'] }));
    expect(seen(outcomes.get('T-TENANT'), 'Pod')).toEqual(['blog', 'shop']);
    expect(seen(outcomes.get('T-TENANT'), 'Namespace')).toEqual(['blog', 'shop']);
    expect(seen(outcomes.get('T-CLUSTER'), 'Pod')).toEqual(['blog', 'kube-system', 'lab', 'shop']);
    expect(seen(outcomes.get('T-CLUSTER'), 'Namespace')).toHaveLength(4);
  });

  it('matches a selector against the labels the API server gives every namespace, kubernetes.io/metadata.name included', () => {
    const s = resolveScope(scope({ selector: 'kubernetes.io/metadata.name in (shop,lab)' }), cluster(), isSystem);
    expect(['shop', 'blog', 'lab', 'kube-system'].filter((ns) => s.includes(ns))).toEqual(['shop', 'lab']);
    expect(s.tenantNamespaces).toEqual(['lab', 'shop']);
  });

  it('combines the three flags: listed, matching the selector, and not excluded', () => {
    const inventory = cluster();
    const s = resolveScope(scope({ namespaces: ['shop', 'blog', 'lab'], exclude: ['blog'], selector: 'env=prod' }), inventory, isSystem);
    expect(['shop', 'blog', 'lab', 'kube-system'].filter((ns) => s.includes(ns))).toEqual(['shop']);
    expect(s.tenantNamespaces).toEqual(['shop']);
    const excludeOnly = resolveScope(scope({ exclude: ['lab'] }), inventory, isSystem);
    // System namespaces stay in scope (tenant checks skip them anyway) but are not tenant namespaces.
    expect(excludeOnly.includes('kube-system')).toBe(true);
    expect(excludeOnly.tenantNamespaces).toEqual(['blog', 'shop']);
  });

  it('keeps whole the namespaced kinds that configure a cluster-wide component (Gatekeeper Config)', () => {
    const outcomes = run([seer('T-TENANT', true, [KINDS.Pod, KINDS.GatekeeperConfig])], cluster(), scope({ namespaces: ['shop'] }));
    expect(seen(outcomes.get('T-TENANT'), 'Config')).toEqual(['gatekeeper-system']);
    expect(seen(outcomes.get('T-TENANT'), 'Pod')).toEqual(['shop']);
  });

  it('gives tenant checks a memo of their own, so a shared value never crosses between the scoped and the whole view', () => {
    const PODS = memoKey<number>('test/pod-count', [KINDS.Pod]);
    const counter = (id: string, tenant: boolean): Check => ({
      ...seer(id, tenant, [KINDS.Pod]),
      evaluate: (ctx) => ({
        status: 'pass',
        findings: [],
        subjects: [{ resource: { kind: 'Count', name: String(ctx.memo(PODS, (r) => r.items(KINDS.Pod).length)) }, verdict: 'info' }],
      }),
    });
    // Sorted by id, the tenant check runs first and computes the value; the cluster check must not get it.
    const outcomes = run([counter('T-A', true), counter('T-B', false), counter('T-C', true)], cluster(), scope({ namespaces: ['shop'] }));
    expect([...outcomes.values()].map((o) => seen(o, 'Count'))).toEqual([['1'], ['4'], ['1']]);
  });

  it('makes tenant checks unknown when a selector cannot be matched because the Namespace list is unreadable', () => {
    const inventory = inventoryOf([pod('shop', 'web'), namespace('shop')], { [KINDS.Namespace]: 'forbidden' });
    const s = resolveScope(scope({ selector: 'team=shop' }), inventory, isSystem);
    const outcomes = run([seer('T-TENANT', true, [KINDS.Pod]), seer('T-CLUSTER', false, [KINDS.Pod])], inventory, scope({ selector: 'team=shop' }));
    expect(outcomes.get('T-TENANT')).toEqual({ status: 'unknown', reason: s.unresolved });
    expect(s.unresolved).toMatch(/^--namespace-selector is matched against the Namespace list, and listing Namespace was forbidden by RBAC/);
    expect(outcomes.get('T-CLUSTER')!.status).toBe('pass');
    expect(kindsForScope(scope({ selector: 'team=shop' }))).toEqual([KINDS.Namespace]);
    expect(kindsForScope(scope({ namespaces: ['shop'] }))).toEqual([KINDS.Namespace]);
    expect(kindsForScope(undefined)).toEqual([]);
  });

  it('decides --namespace and --exclude-namespace without the Namespace list', () => {
    const inventory = inventoryOf([pod('shop', 'web'), pod('blog', 'ghost')], { [KINDS.Namespace]: 'forbidden' });
    const outcomes = run([seer('T-TENANT', true, [KINDS.Pod])], inventory, scope({ exclude: ['blog'] }));
    expect(seen(outcomes.get('T-TENANT'), 'Pod')).toEqual(['shop']);
    const s = resolveScope(scope({ namespaces: ['shop'] }), inventory, isSystem);
    expect(s.tenantNamespaces).toBeUndefined();
    expect(s.notFound).toEqual([]);
  });

  it('summarizes the scope for the report: flags, namespaces found and not found, the checks it applied to', () => {
    const checks = [seer('T-TENANT', true), seer('T-CLUSTER', false)];
    const resolved = resolveScope(scope({ namespaces: ['shop', 'shopp'], selector: 'env in (prod)' }), cluster(), isSystem);
    expect(summarizeScope(resolved, checks)).toEqual({
      namespaces: ['shop', 'shopp'],
      namespaceSelector: 'env=prod',
      tenantNamespaces: ['shop'],
      notFound: ['shopp'],
      tenantChecks: ['T-TENANT'],
    });
  });

  it('accepts namespace names only (RFC 1123 labels)', () => {
    expect(['shop', 'team-a', 'a1', 'x'.repeat(63)].every(isNamespaceName)).toBe(true);
    expect(['Shop', 'team_a', '-a', 'a-', 'a,b', '', 'x'.repeat(64)].some(isNamespaceName)).toBe(false);
  });

  it('changes nothing on the demo fixture when the scope holds every namespace', () => {
    const inventory = loadSnapshot([`${REPO_ROOT}/fixtures/clusters/demo/snapshot`]);
    const whole = run([...BUILTIN_CHECKS], inventory);
    const everything = run([...BUILTIN_CHECKS], inventory, scope({ exclude: ['no-such-namespace'] }));
    expect(everything).toEqual(whole);
  });

  it('drops one namespace from the tenant checks of the demo fixture, and nothing from the cluster-wide ones', () => {
    const inventory = loadSnapshot([`${REPO_ROOT}/fixtures/clusters/demo/snapshot`]);
    const whole = run([...BUILTIN_CHECKS], inventory);
    const withoutBlog = run([...BUILTIN_CHECKS], inventory, scope({ exclude: ['blog'] }));
    const mentionsBlog = (o: Outcome | undefined): boolean => JSON.stringify(o).includes('"namespace":"blog"') || JSON.stringify(o).includes('"name":"blog"');
    for (const check of BUILTIN_CHECKS) {
      const id = check.meta.id;
      if (check.meta.scope === 'tenant') expect([id, mentionsBlog(withoutBlog.get(id))]).toEqual([id, false]);
      else expect([id, withoutBlog.get(id)]).toEqual([id, whole.get(id)]);
    }
    // blog's allow-all ingress policy was NP-05's only failure.
    expect(whole.get('NP-05')!.status).toBe('fail');
    expect(withoutBlog.get('NP-05')!.status).toBe('pass');
  });
});
