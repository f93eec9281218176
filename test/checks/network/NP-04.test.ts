import check from '../../../checks/network/NP-04.js';
import type { Outcome } from '../../../src/engine/check.js';
import { checkScore } from '../../../src/engine/score.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { cnp, defaultDeny, netpol, pod } from './objects.js';
import { runNetworkCheck as run } from './run.js';

function shares(o: Outcome) {
  return o.status === 'not-applicable'
    ? {}
    : Object.fromEntries((o.subjects ?? []).filter((s) => s.resource.kind === 'PodIsolation').map((s) => [s.resource.name, s.credit]));
}

describe('NP-04 share of pods isolated for ingress and egress', () => {
  it('passes at 100 when every pod is selected for both directions', () => {
    const outcome = run(check, [pod('shop', 'a'), pod('shop', 'b'), defaultDeny('shop', ['Ingress', 'Egress'])]);
    expect(outcome.status).toBe('pass');
    expect(shares(outcome)).toEqual({ Ingress: 1, Egress: 1 });
    expect(checkScore(outcome)).toBe(100);
  });

  it('scores the mean of the ingress and egress shares, with one finding per namespace and counts', () => {
    const outcome = run(check, [
      // shop: 4 pods, all isolated for ingress, 1 for egress
      pod('shop', 'web-1', { app: 'web' }),
      pod('shop', 'web-2', { app: 'web' }),
      pod('shop', 'db', { app: 'db' }),
      pod('shop', 'cache', { app: 'cache' }),
      defaultDeny('shop', ['Ingress']),
      netpol('shop', 'db-egress', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'] }),
      // blog: 4 pods, none isolated
      pod('blog', 'a'),
      pod('blog', 'b'),
      pod('blog', 'c'),
      pod('blog', 'd'),
      // outside NetworkPolicy: not counted
      pod('blog', 'agent', {}, { hostNetwork: true }),
      pod('blog', 'migrate', {}, { phase: 'Succeeded' }),
      pod('kube-system', 'coredns'),
    ]);
    expect(outcome.status).toBe('fail');
    expect(shares(outcome)).toEqual({ Ingress: 0.5, Egress: 0.125 });
    expect(checkScore(outcome)).toBe(31.3);
    if (outcome.status !== 'fail') return;
    // One finding per open direction; the counts say what they count (hostNetwork pods left out).
    expect(outcome.findings.map((f) => [f.resource.name, f.messageId, f.evidence, f.causes?.map((c) => c.key)])).toEqual([
      ['blog', 'egressOpen', '4 of 4 selected by no Egress policy', ['networkpolicy:none:Egress']],
      ['blog', 'ingressOpen', '4 of 4 selected by no Ingress policy', ['networkpolicy:none:Ingress']],
      ['shop', 'egressOpen', '3 of 4 selected by no Egress policy', ['networkpolicy:pods-not-isolated:Egress']],
    ]);
    expect(outcome.findings[0]!.data.counted).toBe('4 pods on the pod network; 1 hostNetwork pod outside NetworkPolicy, not counted');
    expect(outcome.findings[2]!.verify).toBe('kubectl get pods,networkpolicy -n shop --show-labels');
    expect(outcome.subjects.find((s) => s.resource.name === 'blog')!.details).toMatchObject({ pods: 4, hostNetworkPods: 1 });
  });

  it('counts pods isolated by a CiliumNetworkPolicy', () => {
    const outcome = run(check, [
      pod('shop', 'web', { app: 'web' }),
      cnp('shop', 'web', {
        endpointSelector: { matchLabels: { app: 'web' } },
        ingress: [{ fromEndpoints: [{ matchLabels: { app: 'lb' } }] }],
        egress: [{ toEntities: ['world'], toPorts: [{ ports: [{ port: '443' }] }] }],
      }),
    ]);
    expect(shares(outcome)).toEqual({ Ingress: 1, Egress: 1 });
  });

  it('is unknown when a CNI policy kind cannot be read and some pods are not isolated by NetworkPolicy', () => {
    const outcome = run(check, [pod('shop', 'web'), defaultDeny('shop', ['Ingress'])], { [KINDS.CiliumNetworkPolicy]: 'forbidden' });
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/1 pod-direction\(s\).*CiliumNetworkPolicy.cilium.io could not be read/);
  });

  it('is unknown without Pods and not applicable without application pods', () => {
    expect(run(check, [], { [KINDS.Pod]: 'forbidden' }).status).toBe('unknown');
    expect(run(check, [pod('kube-system', 'coredns')]).status).toBe('not-applicable');
  });
});
