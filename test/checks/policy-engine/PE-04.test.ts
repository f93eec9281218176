import check from '../../../checks/policy-engine/PE-04.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { evaluate } from '../../support/inventory.js';
import {
  deployment,
  engineInventory,
  gatekeeperInstall,
  kubewardenInstall,
  kubewardenPolicyWebhook,
  kyvernoCrds,
  kyvernoInstall,
  kyvernoPolicyWebhook,
  kyvernoResourceWebhook,
} from './objects.js';

const LISTED = { [KINDS.CustomResourceDefinition]: 'ok', [KINDS.ValidatingWebhookConfiguration]: 'ok', [KINDS.Deployment]: 'ok' } as const;

describe('PE-04 the admission controller runs at least 2 ready replicas', () => {
  it('passes for Gatekeeper as its manifest installs it (3 replicas), ignoring the single audit Deployment', () => {
    const outcome = evaluate(check, engineInventory(gatekeeperInstall(), LISTED));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects).toEqual([
      {
        resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'gatekeeper-system', name: 'gatekeeper-controller-manager' },
        verdict: 'pass',
        details: { engine: 'gatekeeper', desired: 3, ready: 3 },
      },
    ]);
  });

  it('fails for the Kyverno Helm default of one admission replica, naming spec.replicas', () => {
    const outcome = evaluate(check, engineInventory(kyvernoInstall(1, 1), LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings).toHaveLength(1);
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'tooFewReplicas',
      resource: { kind: 'Deployment', namespace: 'kyverno', name: 'kyverno-admission-controller' },
      field: 'spec.replicas',
      evidence: '1 (status.readyReplicas: 1)',
      verify: 'kubectl -n kyverno get deployment kyverno-admission-controller',
    });
  });

  it('fails when replicas are configured but fewer than 2 are ready', () => {
    const outcome = evaluate(check, engineInventory(gatekeeperInstall({ replicas: 3, ready: 1 }), LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'notReady',
      field: 'status.readyReplicas',
      evidence: '1 (spec.replicas: 3)',
    });
  });

  it('judges each Kubewarden policy server, found through the namespace its webhooks call', () => {
    const objects = [
      ...kubewardenInstall(2),
      kubewardenPolicyWebhook('cluster', 'clusterwide-no-privileged-pod'),
      // A second PolicyServer, installed by the user with one replica.
      deployment('kubewarden', 'policy-server-tenants', 1, 1),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['policy-server-default', 'pass'],
      ['policy-server-tenants', 'fail'],
    ]);
    expect(outcome.findings.map((f) => f.resource.name)).toEqual(['policy-server-tenants']);
  });

  it('is not applicable when no engine webhook is registered (CRDs left behind only)', () => {
    expect(evaluate(check, engineInventory(kyvernoCrds(), LISTED)).status).toBe('not-applicable');
  });

  it('is unknown when Deployments could not be read', () => {
    const outcome = evaluate(check, engineInventory(kyvernoInstall(), { ...LISTED, [KINDS.Deployment]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toContain('Deployments could not be read (forbidden');
  });

  it('is unknown, not fail, when the engine runs no Deployment kposture recognises', () => {
    const objects = [...kyvernoCrds(), kyvernoResourceWebhook(), kyvernoPolicyWebhook(), deployment('kyverno', 'policy-engine', 3, 3)];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toContain('no Deployment matching (^|-)kyverno-admission-controller$ | ^kyverno$ in kyverno');
  });
});
