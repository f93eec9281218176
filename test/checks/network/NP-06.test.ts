import check from '../../../checks/network/NP-06.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { defaultDeny, netpol, pod } from './objects.js';
import { runNetworkCheck as run, verdicts } from './run.js';

describe('NP-06 NetworkPolicies that select no pods', () => {
  it('passes when every selector matches a running pod; namespace-wide policies always comply, even before pods arrive', () => {
    const outcome = run(check, [
      pod('shop', 'web', { app: 'web' }),
      defaultDeny('shop'),
      defaultDeny('empty-namespace'),
      netpol('shop', 'web', { podSelector: { matchLabels: { app: 'web' } } }),
      netpol('shop', 'not-db', { podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] } }),
    ]);
    expect(outcome.status).toBe('pass');
    expect(verdicts(outcome)).toEqual(['default-deny:pass', 'default-deny:pass', 'not-db:pass', 'web:pass']);
  });

  it('reports each policy that selects nothing, with a kubectl command that shows the empty match', () => {
    const outcome = run(check, [
      pod('shop', 'web', { app: 'web' }),
      pod('shop', 'agent', { app: 'agent' }, { hostNetwork: true }),
      pod('shop', 'old', { app: 'legacy' }, { phase: 'Succeeded' }),
      pod('blog', 'api', { app: 'api' }),
      netpol('shop', 'typo', { podSelector: { matchLabels: { app: 'wbe' } } }),
      netpol('shop', 'agent', { podSelector: { matchLabels: { app: 'agent' } } }),
      netpol('shop', 'legacy', { podSelector: { matchLabels: { app: 'legacy' } } }),
      // another namespace's pod with the label does not count
      netpol('shop', 'api', { podSelector: { matchLabels: { app: 'api' } } }),
    ]);
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => f.resource.name)).toEqual(['agent', 'api', 'legacy', 'typo']);
    const typo = outcome.findings.find((f) => f.resource.name === 'typo')!;
    expect(typo).toMatchObject({
      field: 'spec.podSelector',
      verify: 'kubectl get pods -n shop -l app=wbe',
      evidence: 'podSelector app=wbe matches none of the 1 pods in shop',
    });
  });

  it('is unknown when pods cannot be listed', () => {
    expect(run(check, [netpol('shop', 'web', { podSelector: { matchLabels: { app: 'web' } } })], { [KINDS.Pod]: 'forbidden' }).status).toBe('unknown');
  });
});
