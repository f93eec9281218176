import { describeSelector, namespaceLabels, selectorMatches, webhookEntries } from '../../src/k8s/webhooks.js';

const labels = { 'kubernetes.io/metadata.name': 'shop', team: 'shop', tier: 'web' };

describe('label selector semantics for webhook namespaceSelector', () => {
  it('an absent, null or empty selector selects every namespace', () => {
    expect(selectorMatches(undefined, labels)).toBe(true);
    expect(selectorMatches(null, labels)).toBe(true);
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: {}, matchExpressions: [] }, {})).toBe(true);
  });

  it('matchLabels needs every pair', () => {
    expect(selectorMatches({ matchLabels: { team: 'shop', tier: 'web' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { team: 'shop', tier: 'db' } }, labels)).toBe(false);
    expect(selectorMatches({ matchLabels: { owner: 'x' } }, labels)).toBe(false);
  });

  it('In needs the key with a listed value; NotIn selects objects that lack the key', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels)).toBe(true);
  });

  it('Exists and DoesNotExist look only at the key', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'team', operator: 'Exists' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'admission.gatekeeper.sh/ignore', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(
      selectorMatches(
        { matchExpressions: [{ key: 'admission.gatekeeper.sh/ignore', operator: 'DoesNotExist' }] },
        { ...labels, 'admission.gatekeeper.sh/ignore': '' },
      ),
    ).toBe(false);
  });

  it('ANDs matchLabels and every expression', () => {
    const selector = {
      matchLabels: { team: 'shop' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['web'] },
        { key: 'frozen', operator: 'DoesNotExist' },
      ],
    };
    expect(selectorMatches(selector, labels)).toBe(true);
    expect(selectorMatches(selector, { ...labels, frozen: 'true' })).toBe(false);
  });

  it('returns undefined for selectors the API server would reject', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Gt', values: ['1'] }] }, labels)).toBeUndefined();
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] }, labels)).toBeUndefined();
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['web'] }] }, labels)).toBeUndefined();
    expect(selectorMatches({ matchLabels: { team: 5 } }, labels)).toBeUndefined();
    expect(selectorMatches('team=shop', labels)).toBeUndefined();
  });

  it('adds kubernetes.io/metadata.name, which the API server sets on every namespace', () => {
    expect(namespaceLabels({ metadata: { name: 'shop', labels: { team: 'shop' } } })).toEqual({ 'kubernetes.io/metadata.name': 'shop', team: 'shop' });
  });

  it('describes selectors for evidence', () => {
    expect(describeSelector(undefined)).toBe('(none: every namespace)');
    expect(describeSelector({})).toBe('{} (every namespace)');
    expect(describeSelector({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'Exists' }] })).toBe('a=b, k Exists');
  });
});

describe('webhook entries', () => {
  it('reads names, service, rules and the effective failurePolicy of each entry', () => {
    const entries = webhookEntries({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'gatekeeper-validating-webhook-configuration' },
      webhooks: [
        {
          name: 'validation.gatekeeper.sh',
          failurePolicy: 'Ignore',
          clientConfig: { service: { namespace: 'gatekeeper-system', name: 'gatekeeper-webhook-service' } },
          rules: [{}],
        },
        { name: 'check-ignore-label.gatekeeper.sh', clientConfig: { url: 'https://example.com' } },
        'garbage',
      ],
    });
    expect(entries).toEqual([
      {
        index: 0,
        name: 'validation.gatekeeper.sh',
        failurePolicy: 'Ignore',
        failurePolicyExplicit: true,
        namespaceSelector: undefined,
        ruleCount: 1,
        service: { namespace: 'gatekeeper-system', name: 'gatekeeper-webhook-service' },
      },
      { index: 1, name: 'check-ignore-label.gatekeeper.sh', failurePolicy: 'Fail', failurePolicyExplicit: false, namespaceSelector: undefined, ruleCount: 0 },
    ]);
  });

  it('defaults failurePolicy to Ignore for admissionregistration.k8s.io/v1beta1 objects', () => {
    const [entry] = webhookEntries({ apiVersion: 'admissionregistration.k8s.io/v1beta1', webhooks: [{ name: 'old' }] });
    expect(entry).toMatchObject({ failurePolicy: 'Ignore', failurePolicyExplicit: false });
  });

  it('tolerates a configuration without webhooks', () => {
    expect(webhookEntries({ metadata: { name: 'kyverno-resource-validating-webhook-cfg' }, webhooks: null })).toEqual([]);
  });
});
