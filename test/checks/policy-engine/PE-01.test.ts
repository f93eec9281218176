import check from '../../../checks/policy-engine/PE-01.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { evaluate } from '../../support/inventory.js';
import {
  constraintTemplate,
  crd,
  deployment,
  engineInventory,
  gatekeeperInstall,
  jsPolicy,
  jsPolicyWebhook,
  kubewardenInstall,
  kubewardenPolicyWebhook,
  kyvernoCrds,
  kyvernoInstall,
  kyvernoResourceWebhook,
  vap,
  vapBinding,
} from './objects.js';

/** Complete lists: CRDs, webhooks, Deployments and VAP kinds all read, even when empty. */
const COMPLETE = {
  [KINDS.CustomResourceDefinition]: 'ok',
  [KINDS.ValidatingWebhookConfiguration]: 'ok',
  [KINDS.Deployment]: 'ok',
  [KINDS.ValidatingAdmissionPolicy]: 'ok',
  [KINDS.ValidatingAdmissionPolicyBinding]: 'ok',
} as const;

describe('PE-01 a policy engine is installed and serving', () => {
  it('passes for a Kyverno install with its webhook registered and the admission controller ready', () => {
    const outcome = evaluate(check, engineInventory(kyvernoInstall(3, 3), COMPLETE));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects).toHaveLength(1);
    expect(outcome.subjects[0]!.resource).toMatchObject({ kind: 'CustomResourceDefinition', name: 'clusterpolicies.kyverno.io' });
    expect(outcome.subjects[0]!.details).toMatchObject({
      engine: 'kyverno',
      crds: ['clusterpolicies.kyverno.io', 'policies.kyverno.io'],
      webhooks: ['kyverno-policy-validating-webhook-cfg', 'kyverno-resource-validating-webhook-cfg'],
      ready: true,
      deployments: ['kyverno/kyverno-admission-controller 3/3 ready'],
    });
  });

  it('passes with ready unknown (null) when Deployments cannot be read', () => {
    const outcome = evaluate(check, engineInventory(gatekeeperInstall(), { ...COMPLETE, [KINDS.Deployment]: 'forbidden' }));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects[0]!.details).toMatchObject({ engine: 'gatekeeper', ready: null, webhooks: ['gatekeeper-validating-webhook-configuration'] });
  });

  it('passes for Kubewarden and jsPolicy, recognised by their labelled and owned per-policy webhooks', () => {
    const objects = [
      ...kubewardenInstall(),
      kubewardenPolicyWebhook('cluster', 'clusterwide-no-privileged-pod'),
      crd('policy.jspolicy.com', 'JsPolicy', 'jspolicies'),
      jsPolicy('deny-default-namespace.company.tld'),
      jsPolicyWebhook('deny-default-namespace.company.tld'),
      deployment('jspolicy', 'jspolicy', 2, 2),
    ];
    const outcome = evaluate(check, engineInventory(objects, COMPLETE));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.details?.engine, s.verdict, s.details?.webhooks])).toEqual([
      ['kubewarden', 'pass', ['clusterwide-no-privileged-pod', 'kubewarden-controller-validating-webhook-configuration']],
      ['jspolicy', 'pass', ['deny-default-namespace.company.tld-x7k2q']],
    ]);
  });

  it('passes for bound ValidatingAdmissionPolicies without any webhook engine', () => {
    const outcome = evaluate(check, engineInventory([vap('max-replicas'), vapBinding('max-replicas-test', 'max-replicas', ['Deny'])], COMPLETE));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects[0]).toMatchObject({
      resource: { kind: 'ValidatingAdmissionPolicyBinding', name: 'max-replicas-test' },
      details: { engine: 'validating-admission-policy', policies: 1, bindings: 1, bound: 1 },
    });
  });

  it('fails with one clear finding when complete data shows no engine at all', () => {
    const objects = [
      crd('cert-manager.io', 'Certificate', 'certificates', 'Namespaced'),
      deployment('cert-manager', 'cert-manager-webhook', 1, 1),
      vap('unbound-policy'),
    ];
    const outcome = evaluate(check, engineInventory(objects, COMPLETE));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects).toEqual([]);
    expect(outcome.findings).toHaveLength(1);
    expect(outcome.findings[0]).toMatchObject({ messageId: 'none', resource: { kind: 'ValidatingWebhookConfiguration', name: '*' } });
    expect(outcome.findings[0]!.data.engines).toBe('Kyverno, OPA Gatekeeper, Kubewarden, jsPolicy');
    expect(outcome.findings[0]!.evidence).toContain('1 ValidatingAdmissionPolicies, 0 bindings');
  });

  it('fails when the engine webhook is registered but its admission controller has no ready replica', () => {
    const outcome = evaluate(check, engineInventory(kyvernoInstall(1, 0), COMPLETE));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.messageId, f.resource.name, f.field, f.evidence])).toEqual([
      ['notReady', 'kyverno-admission-controller', 'status.readyReplicas', 'kyverno-admission-controller: 0 of 1 replicas ready'],
    ]);
    expect(outcome.findings[0]!.verify).toBe('kubectl -n kyverno get deployment kyverno-admission-controller');
  });

  it('fails when CRDs are installed but no webhook is registered and nothing else serves', () => {
    const objects = [...kyvernoCrds(), deployment('kyverno', 'kyverno-admission-controller', 1, 1)];
    const outcome = evaluate(check, engineInventory(objects, COMPLETE));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'noWebhook',
      resource: { kind: 'CustomResourceDefinition', name: 'clusterpolicies.kyverno.io' },
      field: 'webhooks',
    });
    expect(outcome.findings[0]!.evidence).toContain('no ValidatingWebhookConfiguration matching ^kyverno-');
  });

  it('shows CRDs left behind by an uninstalled engine as info when another engine serves', () => {
    const objects = [...kyvernoInstall(), crd('templates.gatekeeper.sh', 'ConstraintTemplate', 'constrainttemplates'), constraintTemplate('K8sRequiredLabels')];
    const outcome = evaluate(check, engineInventory(objects, COMPLETE));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.details?.engine, s.verdict])).toEqual([
      ['kyverno', 'pass'],
      ['gatekeeper', 'info'],
    ]);
  });

  it('fails for ValidatingAdmissionPolicyBindings that bind no existing policy', () => {
    const outcome = evaluate(check, engineInventory([vapBinding('orphan', 'deleted-policy', ['Deny'])], COMPLETE));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'unboundBindings',
      field: 'spec.policyName',
      data: { binding: 'orphan', policy: 'deleted-policy' },
    });
  });

  it('is unknown when webhook configurations could not be listed', () => {
    const outcome = evaluate(check, engineInventory(kyvernoCrds(), { ...COMPLETE, [KINDS.ValidatingWebhookConfiguration]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toContain('ValidatingWebhookConfiguration');
  });

  it('is unknown when CRDs are missing from a snapshot', () => {
    const { [KINDS.CustomResourceDefinition]: _omit, ...rest } = COMPLETE;
    const outcome = evaluate(check, engineInventory([kyvernoResourceWebhook()], rest));
    expect(outcome.status).toBe('unknown');
  });

  it('is unknown, not fail, when no webhook engine exists and ValidatingAdmissionPolicyBindings could not be read', () => {
    const outcome = evaluate(check, engineInventory([], { ...COMPLETE, [KINDS.ValidatingAdmissionPolicyBinding]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/ValidatingAdmissionPolicyBinding.* is forbidden/);
  });

  it('treats a cluster whose API does not serve ValidatingAdmissionPolicy as a fact, not as unknown', () => {
    const outcome = evaluate(
      check,
      engineInventory([], { ...COMPLETE, [KINDS.ValidatingAdmissionPolicy]: 'not-served', [KINDS.ValidatingAdmissionPolicyBinding]: 'not-served' }),
    );
    expect(outcome.status).toBe('fail');
  });
});
