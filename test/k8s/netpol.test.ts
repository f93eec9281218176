import {
  allowAllOf,
  compilePolicy,
  effectivePolicyTypes,
  effectiveRules,
  ignoredRules,
  isDefaultDeny,
  isPolicySubject,
  NetworkPolicyIndex,
  podFacts,
  podFactsOf,
  ruleSelectsPod,
  type Policy,
} from '../../src/k8s/netpol.js';
import { defaultDeny, netpol, pod } from '../checks/network/objects.js';

function policy(spec: Record<string, unknown>, namespace = 'shop'): Policy {
  return compilePolicy(netpol(namespace, 'p', spec));
}

const types = (spec: Record<string, unknown>) => [...effectivePolicyTypes(spec).types].sort();

describe('policyTypes defaulting', () => {
  it('defaults to Ingress only when there are no egress rules', () => {
    expect(types({ podSelector: {} })).toEqual(['Ingress']);
    expect(types({ podSelector: {}, ingress: [{}] })).toEqual(['Ingress']);
    expect(effectivePolicyTypes({ podSelector: {} }).defaulted).toBe(true);
  });

  it('adds Egress only when spec.egress has at least one rule (egress: [] stays Ingress only)', () => {
    expect(types({ podSelector: {}, egress: [{ to: [{ podSelector: {} }] }] })).toEqual(['Egress', 'Ingress']);
    expect(types({ podSelector: {}, egress: [] })).toEqual(['Ingress']);
  });

  it('treats policyTypes: [] as omitted', () => {
    expect(types({ podSelector: {}, policyTypes: [], egress: [{}] })).toEqual(['Egress', 'Ingress']);
    expect(types({ podSelector: {}, policyTypes: [] })).toEqual(['Ingress']);
  });

  it('takes listed policyTypes as they are: Egress alone does not imply Ingress', () => {
    expect(types({ podSelector: {}, policyTypes: ['Egress'] })).toEqual(['Egress']);
    expect(effectivePolicyTypes({ policyTypes: ['Egress'] }).defaulted).toBe(false);
  });
});

describe('rules of an unlisted direction', () => {
  it('are ignored: an ingress allow-all in an Egress-only policy neither isolates nor allows ingress', () => {
    const p = policy({ podSelector: {}, policyTypes: ['Egress'], ingress: [{}] });
    expect(effectiveRules(p, 'Ingress')).toEqual([]);
    expect(ignoredRules(p).map((r) => r.path)).toEqual(['spec.ingress[0]']);
    const index = new NetworkPolicyIndex([netpol('shop', 'egress-only', { podSelector: {}, policyTypes: ['Egress'], ingress: [{}] })]);
    expect(index.namespaceDefault('shop', 'Ingress').verdict).toBe('none');
    expect(index.namespaceDefault('shop', 'Egress').verdict).toBe('default-deny');
  });
});

describe('podSelector', () => {
  const pods = [pod('shop', 'web', { app: 'web' }), pod('shop', 'db', { app: 'db' }), pod('shop', 'bare')].map(podFacts);

  it('{} selects every pod of the policy namespace, labelled or not', () => {
    const index = new NetworkPolicyIndex([netpol('shop', 'all', { podSelector: {} })]);
    expect(pods.map((p) => index.isolation(p, 'Ingress').isolated)).toEqual([true, true, true]);
  });

  it('an omitted podSelector (a required struct) reads as {}: every pod', () => {
    const index = new NetworkPolicyIndex([netpol('shop', 'no-selector', { policyTypes: ['Ingress'] })]);
    expect(pods.map((p) => index.isolation(p, 'Ingress').isolated)).toEqual([true, true, true]);
  });

  it('never selects pods of another namespace, even with matching labels', () => {
    const index = new NetworkPolicyIndex([defaultDeny('shop'), netpol('shop', 'web', { podSelector: { matchLabels: { app: 'web' } } })]);
    const elsewhere = podFacts(pod('blog', 'web', { app: 'web' }));
    expect(index.isolation(elsewhere, 'Ingress')).toMatchObject({ isolated: false, by: [] });
  });

  it('NotIn and DoesNotExist select pods that lack the key; In and Exists do not', () => {
    const cases: [string, Record<string, unknown>, boolean[]][] = [
      ['In', { key: 'app', operator: 'In', values: ['web'] }, [true, false, false]],
      ['NotIn', { key: 'app', operator: 'NotIn', values: ['web'] }, [false, true, true]],
      ['Exists', { key: 'app', operator: 'Exists' }, [true, true, false]],
      ['DoesNotExist', { key: 'app', operator: 'DoesNotExist' }, [false, false, true]],
    ];
    for (const [op, expr, expected] of cases) {
      const index = new NetworkPolicyIndex([netpol('shop', op, { podSelector: { matchExpressions: [expr] } })]);
      expect([op, pods.map((p) => index.isolation(p, 'Ingress').isolated)]).toEqual([op, expected]);
    }
  });

  it('an invalid selector makes the policy uncertain instead of selecting or not', () => {
    const index = new NetworkPolicyIndex([netpol('shop', 'broken', { podSelector: { matchExpressions: [{ key: 'app', operator: 'Like', values: ['w'] }] } })]);
    const result = index.isolation(pods[0]!, 'Ingress');
    expect(result.isolated).toBe(false);
    expect(result.uncertain.map((p) => p.name)).toEqual(['broken']);
    expect(index.namespaceDefault('shop', 'Ingress').problems[0]).toMatch(/operator "Like"/);
  });
});

describe('peers: namespaceSelector AND podSelector in one peer, OR across peers', () => {
  const frontendInProd = { namespace: 'prod-web', labels: { role: 'frontend' } };
  const prodLabels = { env: 'prod' };
  const devLabels = { env: 'dev' };
  const frontendInDev = { namespace: 'dev-web', labels: { role: 'frontend' } };
  const backendInProd = { namespace: 'prod-api', labels: { role: 'backend' } };

  it('one peer with both selectors needs both to match', () => {
    const p = policy({ ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } }, podSelector: { matchLabels: { role: 'frontend' } } }] }] });
    const rule = effectiveRules(p, 'Ingress')[0]!;
    expect(ruleSelectsPod(rule, 'shop', frontendInProd, prodLabels)).toBe(true);
    expect(ruleSelectsPod(rule, 'shop', frontendInDev, devLabels)).toBe(false);
    expect(ruleSelectsPod(rule, 'shop', backendInProd, prodLabels)).toBe(false);
  });

  it('the same selectors in two peers match either', () => {
    const p = policy({
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } } }, { podSelector: { matchLabels: { role: 'frontend' } } }] }],
    });
    const rule = effectiveRules(p, 'Ingress')[0]!;
    expect(ruleSelectsPod(rule, 'shop', frontendInProd, prodLabels)).toBe(true);
    expect(ruleSelectsPod(rule, 'shop', backendInProd, prodLabels)).toBe(true);
    // podSelector alone means the policy's own namespace: a frontend in dev does not match
    expect(ruleSelectsPod(rule, 'shop', frontendInDev, devLabels)).toBe(false);
    expect(ruleSelectsPod(rule, 'shop', { namespace: 'shop', labels: { role: 'frontend' } }, {})).toBe(true);
  });
});

describe('allow-all rules', () => {
  const first = (spec: Record<string, unknown>, dir: 'Ingress' | 'Egress' = 'Ingress') => {
    const p = policy(spec);
    return effectiveRules(p, dir)
      .map(allowAllOf)
      .find((a) => a !== undefined);
  };

  it('a rule without from (or with from: []) and without ports allows every source', () => {
    expect(first({ ingress: [{}] })).toMatchObject({ path: 'spec.ingress[0]' });
    expect(first({ ingress: [{ from: [] }] })).toMatchObject({ path: 'spec.ingress[0]' });
    expect(first({ ingress: [{ ports: [] }] })).toMatchObject({ path: 'spec.ingress[0]' });
  });

  it('a rule with ports is not allow-all, whatever its peers', () => {
    expect(first({ ingress: [{ ports: [{ port: 8080, protocol: 'TCP' }] }] })).toBeUndefined();
    expect(first({ ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 443 }] }] })).toBeUndefined();
  });

  it('an empty namespaceSelector peer (alone or with an empty podSelector) is every pod of every namespace', () => {
    expect(first({ ingress: [{ from: [{ podSelector: { matchLabels: { a: 'b' } } }, { namespaceSelector: {} }] }] })).toMatchObject({
      path: 'spec.ingress[0].from[1]',
    });
    expect(first({ ingress: [{ from: [{ namespaceSelector: {}, podSelector: {} }] }] })).toMatchObject({ path: 'spec.ingress[0].from[0]' });
    // restricted by the podSelector: not every pod
    expect(first({ ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'probe' } } }] }] })).toBeUndefined();
    // an empty podSelector alone is the policy's own namespace only
    expect(first({ ingress: [{ from: [{ podSelector: {} }] }] })).toBeUndefined();
  });

  it('ipBlock 0.0.0.0/0 or ::/0 without except is every address; with except it is not', () => {
    expect(first({ policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }, 'Egress')).toMatchObject({
      path: 'spec.egress[0].to[0]',
    });
    expect(first({ policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '::/0' } }] }] }, 'Egress')).toMatchObject({ path: 'spec.egress[0].to[0]' });
    expect(first({ policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }] }, 'Egress')).toBeUndefined();
    expect(first({ policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] }, 'Egress')).toBeUndefined();
  });
});

describe('default deny', () => {
  it('a policy selecting every pod with no rules for the direction denies by default', () => {
    expect(isDefaultDeny(compilePolicy(defaultDeny('shop', ['Ingress', 'Egress'])), 'Egress')).toBe(true);
    expect(isDefaultDeny(policy({ podSelector: {}, ingress: [] }), 'Ingress')).toBe(true);
    // Egress is not a type of this policy: it does not deny egress
    expect(isDefaultDeny(compilePolicy(defaultDeny('shop')), 'Egress')).toBe(false);
    // selects only some pods
    expect(isDefaultDeny(policy({ podSelector: { matchLabels: { app: 'web' } } }), 'Ingress')).toBe(false);
  });

  it('a rule that allows nothing keeps it a default deny', () => {
    expect(isDefaultDeny(policy({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] } }] }] }), 'Ingress')).toBe(
      true,
    );
  });

  it('classifies a namespace: default-deny, allowlist, allow-all, none', () => {
    const index = new NetworkPolicyIndex([
      defaultDeny('strict'),
      netpol('listed', 'from-ingress-controller', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] }],
      }),
      defaultDeny('reopened'),
      netpol('reopened', 'allow-all', { podSelector: {}, ingress: [{}] }),
      netpol('partial', 'web-only', { podSelector: { matchLabels: { app: 'web' } }, ingress: [] }),
    ]);
    expect(index.namespaceDefault('strict', 'Ingress').verdict).toBe('default-deny');
    expect(index.namespaceDefault('listed', 'Ingress').verdict).toBe('allowlist');
    const reopened = index.namespaceDefault('reopened', 'Ingress');
    expect(reopened.verdict).toBe('allow-all');
    expect(reopened.allowAll.map((a) => `${a.policy.name} ${a.at.path}`)).toEqual(['allow-all spec.ingress[0]']);
    expect(index.namespaceDefault('partial', 'Ingress').verdict).toBe('none');
    expect(index.namespaceDefault('nowhere', 'Ingress').verdict).toBe('none');
  });
});

describe('pods outside NetworkPolicy', () => {
  it('hostNetwork pods and finished pods are not policy subjects', () => {
    expect(isPolicySubject(podFacts(pod('shop', 'web')))).toBe(true);
    expect(isPolicySubject(podFacts(pod('shop', 'node-agent', {}, { hostNetwork: true })))).toBe(false);
    expect(isPolicySubject(podFacts(pod('shop', 'job-x', {}, { phase: 'Succeeded' })))).toBe(false);
    expect(isPolicySubject(podFacts(pod('shop', 'job-y', {}, { phase: 'Failed' })))).toBe(false);
  });
});

describe('the index', () => {
  it('finds the same policies as a scan of the namespace, for matchLabels, matchExpressions and {} selectors', () => {
    const objects = [
      defaultDeny('shop'),
      netpol('shop', 'web', { podSelector: { matchLabels: { app: 'web', tier: 'frontend' } } }),
      netpol('shop', 'not-db', { podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] } }),
      netpol('shop', 'db', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'] }),
      netpol('blog', 'web', { podSelector: { matchLabels: { app: 'web' } } }),
    ];
    const index = new NetworkPolicyIndex(objects);
    const policies = objects.map(compilePolicy);
    const pods = [
      pod('shop', 'w', { app: 'web', tier: 'frontend' }),
      pod('shop', 'w2', { app: 'web' }),
      pod('shop', 'd', { app: 'db' }),
      pod('shop', 'x'),
      pod('blog', 'w', { app: 'web' }),
    ].map(podFacts);
    for (const p of pods) {
      const scan = policies
        .filter((q) => q.namespace === p.namespace && q.podSelector!.matches(p.labels))
        .map((q) => q.name)
        .sort();
      expect([
        p.namespace,
        p.labels,
        index
          .selecting(p)
          .policies.map((q) => q.name)
          .sort(),
      ]).toEqual([p.namespace, p.labels, scan]);
    }
    expect(index.isolation(pods[2]!, 'Egress').by.map((q) => q.name)).toEqual(['db']);
  });
});

describe('podFactsOf', () => {
  it('gives pods with the same labels object and the same facts one shared, frozen PodFacts', () => {
    const web = { app: 'web', 'pod-template-hash': '5d9f' };
    const withLabels = (p: ReturnType<typeof pod>, labels: Record<string, string>): ReturnType<typeof pod> => ({
      ...p,
      metadata: { ...(p.metadata as object), labels },
    });
    const pods = [
      withLabels(pod('shop', 'web-1'), web),
      withLabels(pod('shop', 'web-2'), web),
      withLabels(pod('shop', 'web-3', {}, { phase: 'Succeeded' }), web),
      withLabels(pod('blog', 'web-1'), web),
      withLabels(pod('shop', 'other'), { ...web }),
    ];
    const facts = podFactsOf(pods);
    expect(facts.map((f) => [f.namespace, f.finished, f.labels])).toEqual(pods.map((p) => [podFacts(p).namespace, podFacts(p).finished, podFacts(p).labels]));
    expect(facts[1]).toBe(facts[0]);
    for (const other of [facts[2], facts[3], facts[4]]) expect(other).not.toBe(facts[0]);
    expect(Object.isFrozen(facts[0])).toBe(true);
    // Nothing is kept between calls: sharing across checks is the run's memo (checks/network/view.ts).
    expect(podFactsOf(pods)).not.toBe(facts);
    expect(podFactsOf(pods)).toEqual(facts);
  });
});
