import check from '../../../checks/network/NP-02.js';
import type { Outcome } from '../../../src/engine/check.js';
import type { KindStatus } from '../../../src/k8s/inventory.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import type { K8sObject } from '../../../src/k8s/object.js';
import { anp, banp, ccnp, cnp, defaultDeny, gnp, netpol, ns, pod } from './objects.js';
import { runNetworkCheck, verdicts } from './run.js';

const run = (objects: K8sObject[], statuses: Record<string, KindStatus> = {}): Outcome => runNetworkCheck(check, objects, statuses);

describe('NP-02 default-deny ingress per namespace', () => {
  it('passes when each namespace with pods denies ingress by default (canonical or namespace-wide allowlist)', () => {
    const outcome = run([
      ns('shop'),
      ns('blog'),
      ns('kube-system'),
      ns('agents'),
      pod('shop', 'web-1', { app: 'web' }),
      pod('shop', 'web-2', { app: 'web' }),
      pod('blog', 'wp', { app: 'wordpress' }),
      pod('kube-system', 'coredns', { k8s: 'dns' }),
      pod('agents', 'node-exporter', {}, { hostNetwork: true }),
      defaultDeny('shop'),
      netpol('blog', 'from-ingress-controller', {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 8080 }] }],
      }),
    ]);
    expect(outcome.status).toBe('pass');
    // kube-system is a system namespace; agents only has a hostNetwork pod, outside NetworkPolicy
    expect(verdicts(outcome)).toEqual(['blog:pass', 'shop:pass']);
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.find((s) => s.resource.name === 'shop')!.details).toMatchObject({ via: 'default-deny', policies: ['default-deny'], pods: 2 });
    expect(outcome.subjects.find((s) => s.resource.name === 'blog')!.details).toMatchObject({ via: 'allowlist' });
  });

  it('fails once per namespace (not per pod), naming the partial policies and a kubectl command', () => {
    const outcome = run([
      pod('shop', 'web-1', { app: 'web' }),
      pod('shop', 'web-2', { app: 'web' }),
      pod('shop', 'db', { app: 'db' }),
      netpol('shop', 'db-only', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'] }),
      pod('blog', 'wp'),
      defaultDeny('blog'),
    ]);
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings).toHaveLength(1);
    const f = outcome.findings[0]!;
    expect(f).toMatchObject({ messageId: 'noDefaultDeny', resource: { kind: 'Namespace', name: 'shop' }, verify: 'kubectl get networkpolicy -n shop -o yaml' });
    expect(f.data).toMatchObject({ namespace: 'shop', pods: 3, direction: 'Ingress' });
    expect(f.evidence).toBe('1 NetworkPolicy(s) apply to Ingress but none selects every pod (podSelector {}): db-only');
    expect(verdicts(outcome)).toEqual(['blog:pass', 'shop:fail']);
  });

  it('applies policyTypes defaulting: {podSelector: {}, egress: [...]} denies ingress, policyTypes [Egress] does not', () => {
    const outcome = run([
      pod('defaulted', 'a'),
      netpol('defaulted', 'egress-dns', { podSelector: {}, egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] }),
      pod('egress-only', 'a'),
      netpol('egress-only', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'], ingress: [] }),
    ]);
    expect(verdicts(outcome)).toEqual(['defaulted:pass', 'egress-only:fail']);
  });

  it('fails a namespace whose default deny is cancelled by a namespace-wide allow-all rule, at the rule path', () => {
    const outcome = run([
      pod('shop', 'web'),
      defaultDeny('shop'),
      netpol('shop', 'allow-everything', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { a: 'b' } } }, { namespaceSelector: {} }] }] }),
    ]);
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'allowAll',
      resource: { kind: 'NetworkPolicy', namespace: 'shop', name: 'allow-everything' },
      field: 'spec.ingress[0].from[1]',
      verify: 'kubectl get networkpolicy allow-everything -n shop -o yaml',
    });
  });

  it('is unknown when NetworkPolicies are missing from a snapshot or forbidden (never fail)', () => {
    for (const status of ['missing', 'forbidden'] as const) {
      const outcome = run([pod('shop', 'web')], { [KINDS.NetworkPolicy]: status });
      expect(outcome.status).toBe('unknown');
      expect(outcome.status === 'unknown' && outcome.reason).toMatch(/NetworkPolicy/);
    }
  });

  it('is not applicable without application pods', () => {
    expect(run([pod('kube-system', 'coredns'), pod('agents', 'exporter', {}, { hostNetwork: true })]).status).toBe('not-applicable');
  });

  describe('cluster-wide and CNI policies', () => {
    it('a forbidden cluster-wide kind makes namespaces without a Kubernetes default deny unknown, not failed', () => {
      const outcome = run([pod('shop', 'web'), pod('blog', 'wp'), defaultDeny('blog')], { [KINDS.CiliumClusterwideNetworkPolicy]: 'forbidden' });
      expect(outcome.status).toBe('unknown');
      expect(verdicts(outcome)).toEqual(['blog:pass', 'shop:unknown']);
      expect(outcome.status === 'unknown' && outcome.reason).toMatch(/CiliumClusterwideNetworkPolicy.cilium.io could not be read \(forbidden/);
    });

    it('cluster-wide kinds that are not served, or served and empty, are absent as a fact', () => {
      expect(run([pod('shop', 'web')]).status).toBe('fail');
      expect(run([pod('shop', 'web')], { [KINDS.CiliumClusterwideNetworkPolicy]: 'ok', [KINDS.CalicoGlobalNetworkPolicy]: 'ok' }).status).toBe('fail');
    });

    it('a CiliumClusterwideNetworkPolicy that puts all non-system pods in default deny passes, with that evidence', () => {
      const outcome = run([
        pod('shop', 'web'),
        ccnp('default-deny', {
          endpointSelector: { matchExpressions: [{ key: 'k8s:io.kubernetes.pod.namespace', operator: 'NotIn', values: ['kube-system'] }] },
          ingress: [{}],
          egress: [
            {
              toEndpoints: [{ matchLabels: { 'io.kubernetes.pod.namespace': 'kube-system', 'k8s-app': 'kube-dns' } }],
              toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }] }],
            },
          ],
        }),
      ]);
      expect(outcome.status).toBe('pass');
      if (outcome.status !== 'pass') return;
      expect(outcome.subjects[0]!.details).toMatchObject({ via: 'cni-policy', policies: ['CiliumClusterwideNetworkPolicy/default-deny'] });
      expect(String(outcome.subjects[0]!.details!.evidence)).toMatch(/^CiliumClusterwideNetworkPolicy default-deny: spec\.ingress/);
    });

    it('a CiliumClusterwideNetworkPolicy that selects only labelled pods does not cover the namespace', () => {
      const outcome = run([pod('shop', 'web', { app: 'web' }), ccnp('web', { endpointSelector: { matchLabels: { app: 'web' } }, ingress: [{}] })]);
      expect(outcome.status).toBe('fail');
    });

    it('a CiliumNetworkPolicy with endpointSelector {} covers its own namespace only', () => {
      const outcome = run([pod('shop', 'web'), pod('blog', 'wp'), cnp('shop', 'deny', { endpointSelector: {}, ingress: [{}] })]);
      expect(verdicts(outcome)).toEqual(['blog:fail', 'shop:pass']);
    });

    it('a Calico GlobalNetworkPolicy selecting every non-system namespace with no rules is a default deny', () => {
      const outcome = run([
        pod('shop', 'web'),
        gnp('default-deny', { selector: "projectcalico.org/namespace not in {'kube-system', 'calico-system'}", types: ['Ingress', 'Egress'] }),
      ]);
      expect(outcome.status).toBe('pass');
    });

    it('a Calico policy kposture cannot interpret (action Pass) makes affected namespaces unknown, never fail', () => {
      const outcome = run([pod('shop', 'web'), gnp('pass-to-app-tier', { selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Pass' }] })]);
      expect(outcome.status).toBe('unknown');
      expect(outcome.status === 'unknown' && outcome.reason).toMatch(/action Pass/);
    });

    it('a BaselineAdminNetworkPolicy denying ingress from every namespace is a default deny', () => {
      const outcome = run([
        pod('shop', 'web'),
        banp({ subject: { namespaces: {} }, ingress: [{ name: 'deny-all', action: 'Deny', from: [{ namespaces: {} }] }] }),
      ]);
      expect(outcome.status).toBe('pass');
    });

    it('an AdminNetworkPolicy whose subject needs namespace labels kposture could not read is unknown', () => {
      const policy = anp('deny-tenants', {
        priority: 10,
        subject: { namespaces: { matchLabels: { tenant: 'yes' } } },
        ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }],
      });
      expect(run([pod('shop', 'web'), policy], { [KINDS.Namespace]: 'forbidden' }).status).toBe('unknown');
      // with namespaces readable the label decides
      expect(verdicts(run([ns('shop', { tenant: 'yes' }), ns('blog'), pod('shop', 'web'), pod('blog', 'wp'), policy]))).toEqual(['blog:fail', 'shop:pass']);
    });
  });
});
