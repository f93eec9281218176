import check from '../../../checks/network/NP-05.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { defaultDeny, netpol } from './objects.js';
import { runNetworkCheck as run, verdicts } from './run.js';

describe('NP-05 allow-all NetworkPolicies', () => {
  it('passes when every rule names its peers or ports', () => {
    const outcome = run(check, [
      defaultDeny('shop', ['Ingress', 'Egress']),
      netpol('shop', 'web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 8080 }] }] }),
      netpol('shop', 'from-frontend', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: 'frontend' } } }] }],
      }),
    ]);
    expect(outcome.status).toBe('pass');
    expect(verdicts(outcome)).toEqual(['default-deny:pass', 'from-frontend:pass', 'web:pass']);
  });

  it('lists one finding per policy with the YAML path of the offending rule or peer', () => {
    const outcome = run(check, [
      netpol('shop', 'open-ingress', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'lb' } } }] }, { from: [{ ipBlock: { cidr: '10.0.0.0/8' } }, { namespaceSelector: {} }] }],
      }),
      netpol('shop', 'open-egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '::/0' } }] }, {}] }),
      // an ingress rule in an Egress-only policy is ignored by Kubernetes: not listed
      netpol('shop', 'ignored', { podSelector: {}, policyTypes: ['Egress'], ingress: [{}] }),
      netpol('kube-system', 'system', { podSelector: {}, ingress: [{}] }),
    ]);
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.resource.name, f.field, f.data.direction])).toEqual([
      ['open-egress', 'spec.egress[0].to[0]', 'Egress'],
      ['open-ingress', 'spec.ingress[1].from[1]', 'Ingress'],
    ]);
    expect(outcome.findings[0]!.evidence).toBe(
      'ipBlock ::/0 without except: every address, every port; spec.egress[1]: no `to`: every destination, every port',
    );
    expect(outcome.findings[0]!.verify).toBe('kubectl get networkpolicy open-egress -n shop -o yaml');
    expect(verdicts(outcome)).toEqual(['ignored:pass', 'open-egress:fail', 'open-ingress:fail']);
  });

  it('is unknown when NetworkPolicies cannot be read, not applicable when there are none', () => {
    expect(run(check, [], { [KINDS.NetworkPolicy]: 'error' }).status).toBe('unknown');
    expect(run(check, []).status).toBe('not-applicable');
  });
});
