import check from '../../../checks/network/NP-03.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { ccnp, gnp, netpol, pod } from './objects.js';
import { runNetworkCheck as run } from './run.js';

// A default deny with DNS, an ingress-only deny, egress to 0.0.0.0/0 with and without except, no
// PodList: test/checks/cases/NP-03/. Here CNI policies and what a snapshot cannot say.
describe('NP-03 default-deny egress per namespace', () => {
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

  it('is unknown when NetworkPolicies are forbidden', () => {
    expect(run(check, [pod('shop', 'web')], { [KINDS.NetworkPolicy]: 'forbidden' }).status).toBe('unknown');
  });
});
