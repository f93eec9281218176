import check from '../../../checks/policy-engine/PE-05.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import type { K8sObject } from '../../../src/k8s/object.js';
import { evaluate } from '../../support/inventory.js';
import {
  crd,
  engineInventory,
  gatekeeperInstall,
  jsPolicyWebhook,
  kubewardenInstall,
  kubewardenPolicyWebhook,
  kyvernoInstall,
  kyvernoResourceWebhook,
  namespace,
} from './objects.js';

const LISTED = {
  [KINDS.CustomResourceDefinition]: 'ok',
  [KINDS.ValidatingWebhookConfiguration]: 'ok',
  [KINDS.Namespace]: 'ok',
  [KINDS.GatekeeperConfig]: 'ok',
} as const;

const SYSTEM = [namespace('kube-system'), namespace('kube-public'), namespace('kube-node-lease')];

function gatekeeperConfig(match: unknown[]): K8sObject {
  return { apiVersion: 'config.gatekeeper.sh/v1alpha1', kind: 'Config', metadata: { name: 'config', namespace: 'gatekeeper-system' }, spec: { match } };
}

describe('PE-05 engine exclusions do not exempt non-system namespaces', () => {
  it('passes for the Kyverno Helm default selector, which only excludes kube-system and kyverno', () => {
    const objects = [...kyvernoInstall(), ...SYSTEM, namespace('kyverno'), namespace('shop'), namespace('blog', { team: 'blog' })];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['blog', 'pass'],
      ['shop', 'pass'],
    ]);
  });

  it('fails for a tenant namespace labelled admission.gatekeeper.sh/ignore, one finding per webhook configuration', () => {
    const objects = [
      ...gatekeeperInstall({ failurePolicy: 'Fail' }),
      ...SYSTEM,
      namespace('gatekeeper-system', { 'admission.gatekeeper.sh/ignore': 'no-self-managing' }),
      namespace('shop'),
      namespace('legacy', { 'admission.gatekeeper.sh/ignore': 'true' }),
      namespace('batch', { 'admission.gatekeeper.sh/ignore': 'migration' }),
      gatekeeperConfig([]),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['batch', 'fail'],
      ['legacy', 'fail'],
      ['shop', 'pass'],
    ]);
    expect(outcome.findings).toHaveLength(1);
    const [finding] = outcome.findings;
    expect(finding).toMatchObject({
      messageId: 'selectorExempts',
      resource: { kind: 'ValidatingWebhookConfiguration', name: 'gatekeeper-validating-webhook-configuration' },
      field: 'webhooks[0].namespaceSelector',
      data: { count: 2, namespaces: 'batch, legacy' },
    });
    expect(finding!.evidence).toBe(
      'validation.gatekeeper.sh: admission.gatekeeper.sh/ignore DoesNotExist, kubernetes.io/metadata.name NotIn (gatekeeper-system)',
    );
    expect(finding!.affected?.map((r) => r.name)).toEqual(['batch', 'legacy']);
  });

  it('fails for namespaces a grown NotIn list or an opt-in matchLabels selector leaves out', () => {
    const notIn = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kyverno', 'argocd', 'monitoring'] }] };
    const objects = [
      ...kyvernoInstall(3, 3, kyvernoResourceWebhook({ selector: notIn })),
      ...SYSTEM,
      namespace('argocd'),
      namespace('monitoring'),
      namespace('shop'),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]!.data).toMatchObject({ engine: 'Kyverno', count: 2, namespaces: 'argocd, monitoring' });

    const optIn = { matchLabels: { 'policy.example.com/enforce': 'true' } };
    const objects2 = [
      ...kyvernoInstall(3, 3, kyvernoResourceWebhook({ selector: optIn })),
      ...SYSTEM,
      namespace('shop', { 'policy.example.com/enforce': 'true' }),
      namespace('blog'),
    ];
    const outcome2 = evaluate(check, engineInventory(objects2, LISTED));
    expect(outcome2.status).toBe('fail');
    if (outcome2.status !== 'fail') return;
    expect(outcome2.findings[0]!.data.namespaces).toBe('blog');
  });

  it('matches on kubernetes.io/metadata.name even when a snapshot omits that label', () => {
    const bare: K8sObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kyverno' } };
    const objects = [...kyvernoInstall(), ...SYSTEM, bare, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('pass');
  });

  it('fails for Gatekeeper Config excludedNamespaces that cover the webhook, with prefix globs', () => {
    const objects = [
      ...gatekeeperInstall(),
      ...SYSTEM,
      namespace('team-a'),
      namespace('team-b'),
      namespace('shop'),
      gatekeeperConfig([
        { excludedNamespaces: ['kube-*', 'team-*'], processes: ['*'] },
        { excludedNamespaces: ['shop'], processes: ['audit'] },
      ]),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings).toHaveLength(1);
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'configExempts',
      resource: { kind: 'Config', namespace: 'gatekeeper-system', name: 'config' },
      field: 'spec.match[0].excludedNamespaces',
      data: { count: 2, namespaces: 'team-a, team-b' },
      verify: 'kubectl -n gatekeeper-system get configs.config.gatekeeper.sh config -o yaml',
    });
  });

  it('does not count the selector of a Kubewarden namespaced policy, which serves one namespace by design', () => {
    const objects = [
      ...kubewardenInstall(),
      ...SYSTEM,
      namespace('kubewarden'),
      namespace('shop'),
      namespace('blog'),
      kubewardenPolicyWebhook('cluster', 'clusterwide-no-privileged-pod'),
      kubewardenPolicyWebhook('namespace', 'namespaced-shop-psa-label-enforcer', { selector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('pass');
  });

  it('judges a cluster-wide jsPolicy whose selector leaves tenants out', () => {
    const objects = [
      crd('policy.jspolicy.com', 'JsPolicy', 'jspolicies'),
      jsPolicyWebhook('deny-privileged.company.tld', { selector: { matchExpressions: [{ key: 'environment', operator: 'In', values: ['prod'] }] } }),
      ...SYSTEM,
      namespace('shop', { environment: 'prod' }),
      namespace('shop-staging', { environment: 'staging' }),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]!.data).toMatchObject({ engine: 'jsPolicy', namespaces: 'shop-staging' });
  });

  it('is unknown, not pass, when Gatekeeper is installed and its Config could not be read', () => {
    const objects = [...gatekeeperInstall(), ...SYSTEM, namespace('shop')];
    const outcome = evaluate(check, engineInventory(objects, { ...LISTED, [KINDS.GatekeeperConfig]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toContain('Config.config.gatekeeper.sh is forbidden');
  });

  it('is unknown when a selector uses an operator the API server would reject', () => {
    const bad = { matchExpressions: [{ key: 'tier', operator: 'Gt', values: ['1'] }] };
    const objects = [...kyvernoInstall(3, 3, kyvernoResourceWebhook({ selector: bad })), ...SYSTEM, namespace('shop')];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('unknown');
  });

  it('is unknown when namespaces could not be listed', () => {
    expect(evaluate(check, engineInventory(kyvernoInstall(), { ...LISTED, [KINDS.Namespace]: 'forbidden' })).status).toBe('unknown');
  });

  it('is not applicable without a cluster-wide engine webhook', () => {
    expect(evaluate(check, engineInventory([...SYSTEM, namespace('shop')], LISTED)).status).toBe('not-applicable');
  });
});
