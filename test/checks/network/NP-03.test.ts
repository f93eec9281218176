import check from '../../../checks/network/NP-03.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { ccnp, defaultDeny, gnp, netpol, pod } from './objects.js';
import { runNetworkCheck as run, verdicts } from './run.js';

const dns = { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] };

describe('NP-03 default-deny egress per namespace', () => {
  it('passes with a default deny for Ingress and Egress plus a namespace-wide DNS allowance', () => {
    const outcome = run(check, [pod('shop', 'web'), defaultDeny('shop', ['Ingress', 'Egress']), netpol('shop', 'allow-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [dns] })]);
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && outcome.subjects[0]!.details).toMatchObject({ via: 'default-deny', policies: ['default-deny'] });
  });

  it('an ingress-only default deny does not deny egress', () => {
    const outcome = run(check, [pod('shop', 'web'), defaultDeny('shop', ['Ingress'])]);
    expect(outcome.status).toBe('fail');
    expect(outcome.status === 'fail' && outcome.findings[0]).toMatchObject({ messageId: 'noDefaultDeny', resource: { kind: 'Namespace', name: 'shop' }, data: { direction: 'Egress' } });
  });

  it('fails a namespace-wide egress rule to 0.0.0.0/0 without except, at the peer path', () => {
    const outcome = run(check, [
      pod('shop', 'web'),
      defaultDeny('shop', ['Ingress', 'Egress']),
      netpol('shop', 'internet', { podSelector: {}, policyTypes: ['Egress'], egress: [dns, { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }),
    ]);
    expect(outcome.status).toBe('fail');
    expect(outcome.status === 'fail' && outcome.findings[0]).toMatchObject({ messageId: 'allowAll', resource: { kind: 'NetworkPolicy', name: 'internet' }, field: 'spec.egress[1].to[0]' });
    // with except for the private ranges it is an allowlist
    const restricted = run(check, [
      pod('shop', 'web'),
      netpol('shop', 'internet', { podSelector: {}, policyTypes: ['Egress'], egress: [dns, { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.169.254/32'] } }] }] }),
    ]);
    expect(verdicts(restricted)).toEqual(['shop:pass']);
  });

  it('counts a Calico GlobalNetworkPolicy with egress types and only a DNS allowance', () => {
    const outcome = run(check, [
      pod('shop', 'web'),
      gnp('default-deny', {
        selector: "projectcalico.org/namespace != 'kube-system'",
        types: ['Ingress', 'Egress'],
        egress: [{ action: 'Allow', protocol: 'UDP', destination: { selector: "k8s-app == 'kube-dns'", ports: [53] } }],
      }),
    ]);
    expect(outcome.status).toBe('pass');
  });

  it('a CiliumClusterwideNetworkPolicy with egressDeny to every entity is a hard deny that allow-all rules cannot reopen', () => {
    const outcome = run(check, [
      pod('shop', 'web'),
      netpol('shop', 'anything-out', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] }),
      ccnp('lockdown', { endpointSelector: {}, egressDeny: [{ toEntities: ['all'] }] }),
    ]);
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && String(outcome.subjects[0]!.details!.evidence)).toMatch(/egressDeny/);
  });

  it('is unknown when NetworkPolicies are forbidden, or when Pods are missing', () => {
    expect(run(check, [pod('shop', 'web')], { [KINDS.NetworkPolicy]: 'forbidden' }).status).toBe('unknown');
    expect(run(check, [defaultDeny('shop')], { [KINDS.Pod]: 'missing' }).status).toBe('unknown');
  });
});
