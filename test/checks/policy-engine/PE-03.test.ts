import check from '../../../checks/policy-engine/PE-03.js';
import { KINDS } from '../../../src/k8s/kinds.js';
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
  validatingWebhookConfiguration,
} from './objects.js';

const LISTED = { [KINDS.CustomResourceDefinition]: 'ok', [KINDS.ValidatingWebhookConfiguration]: 'ok' } as const;

describe('PE-03 policy engine webhooks fail closed', () => {
  it('passes for Kyverno when only the -fail entry carries rules, ignoring its policy-validation webhook', () => {
    const outcome = evaluate(check, engineInventory(kyvernoInstall(), LISTED));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([['kyverno-resource-validating-webhook-cfg', 'pass']]);
    expect(outcome.subjects[0]!.details).toEqual({ engine: 'kyverno', webhooks: [{ name: 'validate.kyverno.svc-fail', failurePolicy: 'Fail' }] });
  });

  it('fails for Gatekeeper as installed by its manifest: validation.gatekeeper.sh fails open', () => {
    const outcome = evaluate(check, engineInventory(gatekeeperInstall({ failurePolicy: 'Ignore' }), LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    // check-ignore-label.gatekeeper.sh fails closed: half of the entries.
    expect(outcome.subjects[0]).toMatchObject({ resource: { name: 'gatekeeper-validating-webhook-configuration' }, verdict: 'partial', credit: 0.5 });
    expect(outcome.findings).toHaveLength(1);
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'failOpen',
      field: 'webhooks[0].failurePolicy',
      evidence: 'validation.gatekeeper.sh: Ignore',
      data: { engine: 'OPA Gatekeeper', webhooks: 'validation.gatekeeper.sh', policy: 'Ignore' },
    });
    expect(outcome.findings[0]!.verify).toContain('kubectl get validatingwebhookconfiguration gatekeeper-validating-webhook-configuration');
  });

  it('passes for Gatekeeper configured to fail closed', () => {
    expect(evaluate(check, engineInventory(gatekeeperInstall({ failurePolicy: 'Fail' }), LISTED)).status).toBe('pass');
  });

  it('fails for the Kyverno -ignore entry that policies with failurePolicy Ignore create', () => {
    const outcome = evaluate(check, engineInventory(kyvernoInstall(3, 3, kyvernoResourceWebhook({ ignore: true })), LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]).toMatchObject({ field: 'webhooks[1].failurePolicy', evidence: 'validate.kyverno.svc-ignore: Ignore' });
  });

  it('judges each Kubewarden and jsPolicy per-policy webhook, and reads a missing failurePolicy as the v1 default Fail', () => {
    const objects = [
      ...kubewardenInstall(),
      kubewardenPolicyWebhook('cluster', 'clusterwide-no-privileged-pod'),
      kubewardenPolicyWebhook('cluster', 'clusterwide-allowed-registries', { failurePolicy: 'Ignore' }),
      crd('policy.jspolicy.com', 'JsPolicy', 'jspolicies'),
      validatingWebhookConfiguration(
        'deny-default-namespace.company.tld-x7k2q',
        [{ name: 'deny-default-namespace.company.tld', namespaceSelector: {}, service: { namespace: 'jspolicy', name: 'jspolicy' } }],
        {
          ownerReferences: [{ apiVersion: 'policy.jspolicy.com/v1beta1', kind: 'JsPolicy', name: 'deny-default-namespace.company.tld', uid: 'u1' }],
        },
      ),
      jsPolicyWebhook('warn-latest.company.tld', { failurePolicy: 'Ignore' }),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['clusterwide-allowed-registries', 'fail'],
      ['clusterwide-no-privileged-pod', 'pass'],
      ['deny-default-namespace.company.tld-x7k2q', 'pass'],
      ['warn-latest.company.tld-x7k2q', 'fail'],
    ]);
    expect(outcome.findings.map((f) => f.resource.name)).toEqual(['clusterwide-allowed-registries', 'warn-latest.company.tld-x7k2q']);
  });

  it('reads a missing failurePolicy in a v1beta1 object as Ignore, and says it was defaulted', () => {
    const old = { ...kyvernoResourceWebhook(), apiVersion: 'admissionregistration.k8s.io/v1beta1' } as Record<string, unknown>;
    old.webhooks = (old.webhooks as Record<string, unknown>[]).map(({ failurePolicy: _drop, ...rest }) => rest);
    const outcome = evaluate(check, engineInventory([...kyvernoInstall(1, 1, old)], LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]!.evidence).toBe('validate.kyverno.svc-fail: (absent; Ignore by default)');
  });

  it('is not applicable without an engine, or when the engine webhook has no rules yet', () => {
    expect(evaluate(check, engineInventory([], LISTED)).status).toBe('not-applicable');
    const noPolicies = kyvernoInstall(3, 3, kyvernoResourceWebhook({ fail: false }));
    expect(evaluate(check, engineInventory(noPolicies, LISTED)).status).toBe('not-applicable');
  });

  it('is unknown when webhook configurations could not be listed', () => {
    const outcome = evaluate(check, engineInventory(kyvernoInstall(), { ...LISTED, [KINDS.ValidatingWebhookConfiguration]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
  });
});
