import { CniPolicies, type NamespaceFacts } from '../../src/k8s/cni-policies.js';
import type { KindCollection } from '../../src/k8s/inventory.js';
import { KINDS } from '../../src/k8s/kinds.js';
import type { K8sObject } from '../../src/k8s/object.js';
import { podFacts } from '../../src/k8s/netpol.js';
import { anp, banp, calicoNp, ccnp, cnp, gnp, pod } from '../checks/network/objects.js';

function policies(kind: string, items: K8sObject[]): CniPolicies {
  const collection: KindCollection = { status: 'ok', items };
  return new CniPolicies([{ kind, collection, describe: kind }]);
}

const shop: NamespaceFacts = { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop', team: 'a' } };
const system: NamespaceFacts = { name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } };

function coverage(set: CniPolicies, ns: NamespaceFacts, direction: 'Ingress' | 'Egress' = 'Ingress') {
  const c = set.namespaceCoverage(ns, direction);
  return { deny: c.deny.length, hard: c.hardDeny.length, allowAll: c.allowAll.length, uncertain: c.uncertain.length };
}

describe('Cilium policies', () => {
  it('endpointSelector {} in a clusterwide policy covers every namespace; in a namespaced one only its own', () => {
    const cluster = policies(KINDS.CiliumClusterwideNetworkPolicy, [ccnp('deny', { endpointSelector: {}, ingress: [{}] })]);
    expect(coverage(cluster, shop)).toEqual({ deny: 1, hard: 0, allowAll: 0, uncertain: 0 });
    const local = policies(KINDS.CiliumNetworkPolicy, [cnp('blog', 'deny', { endpointSelector: {}, ingress: [{}] })]);
    expect(coverage(local, shop)).toEqual({ deny: 0, hard: 0, allowAll: 0, uncertain: 0 });
    expect(coverage(local, { name: 'blog', labels: {} })).toMatchObject({ deny: 1 });
  });

  it('reads namespace keys with or without the k8s: source prefix, and namespace labels', () => {
    const byName = policies(KINDS.CiliumClusterwideNetworkPolicy, [
      ccnp('p', { endpointSelector: { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'shop' } }, ingress: [{}] }),
    ]);
    expect(coverage(byName, shop).deny).toBe(1);
    expect(coverage(byName, system).deny).toBe(0);
    const byLabel = policies(KINDS.CiliumClusterwideNetworkPolicy, [
      ccnp('p', { endpointSelector: { matchLabels: { 'io.cilium.k8s.namespace.labels.team': 'a' } }, ingress: [{}] }),
    ]);
    expect(coverage(byLabel, shop).deny).toBe(1);
    // namespace labels unknown: the policy might cover the namespace
    expect(coverage(byLabel, { name: 'shop', labels: undefined })).toMatchObject({ deny: 0, uncertain: 1 });
  });

  it('an empty section, enableDefaultDeny false, or only the other direction does not isolate', () => {
    const set = policies(KINDS.CiliumClusterwideNetworkPolicy, [
      ccnp('empty', { endpointSelector: {}, ingress: [] }),
      ccnp('opt-out', { endpointSelector: {}, ingress: [{ fromEndpoints: [{ matchLabels: { app: 'x' } }] }], enableDefaultDeny: { ingress: false } }),
      ccnp('egress', { endpointSelector: {}, egress: [{}] }),
    ]);
    expect(coverage(set, shop, 'Ingress')).toEqual({ deny: 0, hard: 0, allowAll: 0, uncertain: 0 });
    expect(coverage(set, shop, 'Egress').deny).toBe(1);
  });

  it('recognises allow-all peers (entities, default routes, every endpoint) and ignores rules with ports', () => {
    const allowAll = (rule: Record<string, unknown>) =>
      coverage(policies(KINDS.CiliumClusterwideNetworkPolicy, [ccnp('p', { endpointSelector: {}, ingress: [rule] })]), shop).allowAll;
    expect(allowAll({ fromEntities: ['world'] })).toBe(1);
    expect(allowAll({ fromEntities: ['cluster'] })).toBe(1);
    expect(allowAll({ fromCIDR: ['0.0.0.0/0'] })).toBe(1);
    expect(allowAll({ fromCIDRSet: [{ cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }] })).toBe(0);
    expect(allowAll({ fromEndpoints: [{}] })).toBe(1);
    expect(allowAll({ fromEntities: ['world'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] })).toBe(0);
    expect(allowAll({ fromEntities: ['kube-apiserver'] })).toBe(0);
  });

  it('an ingressDeny from every entity is a hard deny; unknown rule fields are uncertain', () => {
    const hard = policies(KINDS.CiliumClusterwideNetworkPolicy, [ccnp('p', { endpointSelector: {}, ingressDeny: [{ fromEntities: ['all'] }] })]);
    expect(coverage(hard, shop)).toMatchObject({ deny: 1, hard: 1 });
    const odd = policies(KINDS.CiliumClusterwideNetworkPolicy, [ccnp('p', { endpointSelector: {}, ingress: [{ fromWorkloads: ['x'] }] })]);
    expect(coverage(odd, shop)).toMatchObject({ deny: 0, uncertain: 1 });
  });

  it('a nodeSelector rule is a host policy and selects no pod; each rule of specs selects on its own', () => {
    const host = policies(KINDS.CiliumClusterwideNetworkPolicy, [ccnp('host', { nodeSelector: {}, ingress: [{}] })]);
    expect(coverage(host, shop).deny).toBe(0);
    const multi = policies(KINDS.CiliumClusterwideNetworkPolicy, [
      {
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumClusterwideNetworkPolicy',
        metadata: { name: 'multi' },
        specs: [
          { endpointSelector: {}, egress: [{}] },
          { endpointSelector: { matchLabels: { app: 'web' } }, ingress: [{}] },
        ],
      },
    ]);
    // the ingress rule selects only app=web pods: it does not cover the namespace
    expect(coverage(multi, shop, 'Ingress').deny).toBe(0);
    expect(coverage(multi, shop, 'Egress').deny).toBe(1);
    const web = podFacts(pod('shop', 'w', { app: 'web' }));
    expect(multi.podIsolation(web, shop, 'Ingress').by).toHaveLength(1);
    expect(multi.podIsolation(podFacts(pod('shop', 'x')), shop, 'Ingress').by).toHaveLength(0);
  });
});

describe('Calico policies', () => {
  it('types default to the directions with rules, Ingress when there are none', () => {
    const egressOnly = policies(KINDS.CalicoGlobalNetworkPolicy, [
      gnp('p', { selector: 'all()', egress: [{ action: 'Allow', destination: { ports: [53] }, protocol: 'UDP' }] }),
    ]);
    expect(coverage(egressOnly, shop, 'Ingress').deny).toBe(0);
    expect(coverage(egressOnly, shop, 'Egress').deny).toBe(1);
    const bare = policies(KINDS.CalicoGlobalNetworkPolicy, [gnp('p', { selector: 'all()' })]);
    expect(coverage(bare, shop, 'Ingress').deny).toBe(1);
    expect(coverage(bare, shop, 'Egress').deny).toBe(0);
  });

  it('reads rules in order: an unconditioned Deny is a hard deny, an unconditioned Allow is allow-all, Log passes on', () => {
    const ordered = (ingress: unknown[]) =>
      coverage(policies(KINDS.CalicoGlobalNetworkPolicy, [gnp('p', { selector: 'all()', types: ['Ingress'], ingress })]), shop);
    expect(ordered([{ action: 'Log' }, { action: 'Deny' }])).toMatchObject({ hard: 1, allowAll: 0 });
    expect(ordered([{ action: 'Allow', source: { nets: ['0.0.0.0/0'] } }, { action: 'Deny' }])).toMatchObject({ hard: 0, allowAll: 1 });
    expect(ordered([{ action: 'Allow', protocol: 'TCP', destination: { ports: [443] } }, { action: 'Deny' }])).toMatchObject({ hard: 1 });
    expect(ordered([{ action: 'Allow', source: { namespaceSelector: 'all()' } }])).toMatchObject({ allowAll: 1 });
    expect(ordered([{ action: 'Allow', source: { selector: "app == 'lb'" } }])).toMatchObject({ deny: 1, hard: 0, allowAll: 0 });
  });

  it('honours namespaceSelector, pcns labels and host-only policies; non-default tiers are uncertain', () => {
    expect(coverage(policies(KINDS.CalicoGlobalNetworkPolicy, [gnp('p', { namespaceSelector: "team == 'a'", types: ['Ingress'] })]), shop).deny).toBe(1);
    expect(coverage(policies(KINDS.CalicoGlobalNetworkPolicy, [gnp('p', { selector: "pcns.team == 'b'", types: ['Ingress'] })]), shop).deny).toBe(0);
    expect(
      coverage(policies(KINDS.CalicoGlobalNetworkPolicy, [gnp('p', { selector: 'all()', preDNAT: true, applyOnForward: true, types: ['Ingress'] })]), shop)
        .deny,
    ).toBe(0);
    expect(
      coverage(policies(KINDS.CalicoGlobalNetworkPolicy, [gnp('security.p', { tier: 'security', selector: 'all()', types: ['Ingress'] })]), shop).uncertain,
    ).toBe(1);
    expect(coverage(policies(KINDS.CalicoGlobalNetworkPolicy, [gnp('p', { selector: 'app ==', types: ['Ingress'] })]), shop).uncertain).toBe(1);
  });

  it('a namespaced Calico NetworkPolicy covers its own namespace', () => {
    const set = policies(KINDS.CalicoNetworkPolicy, [calicoNp('shop', 'deny', { selector: 'all()', types: ['Ingress', 'Egress'] })]);
    expect(coverage(set, shop, 'Egress').deny).toBe(1);
    expect(coverage(set, system, 'Egress').deny).toBe(0);
  });
});

describe('AdminNetworkPolicy API', () => {
  it('an AdminNetworkPolicy Deny of every namespace is a hard deny; a Pass first hands over to NetworkPolicy', () => {
    const deny = policies(KINDS.AdminNetworkPolicy, [
      anp('deny', { priority: 50, subject: { namespaces: { matchLabels: { team: 'a' } } }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] }),
    ]);
    expect(coverage(deny, shop)).toMatchObject({ deny: 1, hard: 1 });
    expect(coverage(deny, system)).toMatchObject({ deny: 0 });
    const pass = policies(KINDS.AdminNetworkPolicy, [
      anp('pass', {
        priority: 50,
        subject: { namespaces: {} },
        ingress: [
          { action: 'Pass', from: [{ namespaces: {} }] },
          { action: 'Deny', from: [{ namespaces: {} }] },
        ],
      }),
    ]);
    expect(coverage(pass, shop).deny).toBe(0);
  });

  it('a BaselineAdminNetworkPolicy egress deny needs every pod and a default route', () => {
    const partial = policies(KINDS.BaselineAdminNetworkPolicy, [banp({ subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ namespaces: {} }] }] })]);
    expect(coverage(partial, shop, 'Egress').deny).toBe(0);
    const full = policies(KINDS.BaselineAdminNetworkPolicy, [
      banp({ subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ namespaces: {} }, { networks: ['0.0.0.0/0'] }] }] }),
    ]);
    expect(coverage(full, shop, 'Egress')).toMatchObject({ deny: 1, hard: 0 });
  });

  it('a subject on some pods does not cover the namespace but isolates those pods', () => {
    const set = policies(KINDS.BaselineAdminNetworkPolicy, [
      banp({
        subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } } },
        ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }],
      }),
    ]);
    expect(coverage(set, shop).deny).toBe(0);
    expect(set.podIsolation(podFacts(pod('shop', 'db', { app: 'db' })), shop, 'Ingress').by).toHaveLength(1);
  });
});

describe('unreadable kinds', () => {
  it('make every namespace coverage and pod isolation uncertain', () => {
    const set = new CniPolicies([{ kind: KINDS.CiliumClusterwideNetworkPolicy, collection: { status: 'forbidden', items: [] }, describe: 'CCNP forbidden' }]);
    expect(set.namespaceCoverage(shop, 'Ingress').uncertain).toEqual(['CCNP forbidden']);
    expect(set.podIsolation(podFacts(pod('shop', 'a')), shop, 'Egress').uncertain).toEqual(['CCNP forbidden']);
    const absent = new CniPolicies([{ kind: KINDS.CiliumClusterwideNetworkPolicy, collection: { status: 'not-served', items: [] }, describe: 'x' }]);
    expect(absent.namespaceCoverage(shop, 'Ingress').uncertain).toEqual([]);
  });
});
