import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PolicyEngine, PolicyModeSpec } from '../../src/catalog/catalogs.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { compileSchema } from '../../src/util/schemas.js';
import { kindSpec } from '../../src/k8s/kinds.js';
import {
  admissionDeployments,
  boundPolicies,
  desiredReplicas,
  detectWebhookEngines,
  policyEnforcement,
  readyReplicas,
  webhookMatcherMatches,
} from '../../src/k8s/policy-engines.js';
import {
  clusterPolicy,
  constraint,
  deployment,
  gatekeeperWebhook,
  jsPolicy,
  jsPolicyWebhook,
  kubewardenPolicyWebhook,
  kyvernoCrds,
  kyvernoPolicyWebhook,
  kyvernoResourceWebhook,
  validateRule,
  validatingWebhookConfiguration,
  vap,
  vapBinding,
} from '../checks/policy-engine/objects.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const catalog = loadBuiltinCatalogs().policyEngines;
const engine = (id: string): PolicyEngine => catalog.find((e) => e.id === id)!;
const modeSpec = (id: string, kind: string): PolicyModeSpec => engine(id).policies!.find((p) => p.kind === kind)!;

describe('policy-engine catalogue', () => {
  it('validates against its schema and covers the five engines, each with a source', () => {
    const data = JSON.parse(readFileSync(path.join(ROOT, 'catalog/policy-engines.json'), 'utf8')) as unknown;
    expect(compileSchema('policy-engines.schema.json')(data)).toBe(true);
    expect(catalog.map((e) => e.id)).toEqual(['kyverno', 'gatekeeper', 'kubewarden', 'jspolicy', 'validating-admission-policy']);
    for (const e of catalog) expect(e.source).toMatch(/https:\/\//);
  });

  it('names only policy kinds that kposture knows how to list, and regular expressions that compile', () => {
    for (const e of catalog) {
      for (const p of e.policies ?? []) expect(kindSpec(p.kind)?.id).toBe(p.kind);
      for (const pattern of [...e.webhooks, ...(e.admissionDeployments ?? []), ...(e.enforcingWebhooks ?? []).flatMap((m) => (m.name ? [m.name] : []))]) {
        expect(() => new RegExp(pattern)).not.toThrow();
      }
    }
  });

  it('rejects an entry without a source or with an unknown field', () => {
    const validate = compileSchema('policy-engines.schema.json');
    expect(validate({ entries: [{ id: 'x', name: 'X', crds: [], webhooks: [], namespaces: [] }] })).toBe(false);
    expect(
      validate({ entries: [{ id: 'x', name: 'X', crds: [], webhooks: [], namespaces: [], source: 's', enforcingWebhooks: [{ scope: 'cluster' }] }] }),
    ).toBe(false);
  });
});

describe('engine detection', () => {
  it('finds Kyverno by CRDs and webhooks, marks only the resource webhook as enforcing, and learns namespaces from webhook services', () => {
    const moved = validatingWebhookConfiguration('kyverno-resource-validating-webhook-cfg', [
      { name: 'validate.kyverno.svc-fail', failurePolicy: 'Fail', service: { namespace: 'policy-system', name: 'kyverno-svc' } },
    ]);
    const [kyverno, ...rest] = detectWebhookEngines(catalog, kyvernoCrds(), [moved, kyvernoPolicyWebhook()]);
    expect(rest).toEqual([]);
    expect(kyverno!.engine.id).toBe('kyverno');
    expect(kyverno!.crds).toEqual(['clusterpolicies.kyverno.io', 'policies.kyverno.io']);
    expect(kyverno!.webhooks.map((w) => [w.name, w.enforcing, w.scope])).toEqual([
      ['kyverno-policy-validating-webhook-cfg', false, 'cluster'],
      ['kyverno-resource-validating-webhook-cfg', true, 'cluster'],
    ]);
    expect(kyverno!.namespaces).toEqual(['kyverno', 'policy-system']);
  });

  it('finds an engine from a webhook alone (CRDs deleted, webhook left behind)', () => {
    const [gk] = detectWebhookEngines(catalog, [], [gatekeeperWebhook()]);
    expect(gk).toMatchObject({ engine: { id: 'gatekeeper' }, crds: [] });
  });

  it('recognises Kubewarden webhooks by label and jsPolicy webhooks by owner, not by name', () => {
    expect(webhookMatcherMatches({ labels: ['kubewardenPolicyScope=cluster'] }, kubewardenPolicyWebhook('cluster', 'kw.cap.no-privileged'))).toBe(true);
    expect(webhookMatcherMatches({ labels: ['kubewardenPolicyScope=cluster'] }, kubewardenPolicyWebhook('namespace', 'namespaced-a-b'))).toBe(false);
    expect(webhookMatcherMatches({ owner: 'policy.jspolicy.com/JsPolicy' }, jsPolicyWebhook('deny.company.tld'))).toBe(true);
    expect(webhookMatcherMatches({ owner: 'policy.jspolicy.com/JsPolicy' }, kyvernoResourceWebhook())).toBe(false);
    expect(webhookMatcherMatches({}, kyvernoResourceWebhook())).toBe(false);
    const engines = detectWebhookEngines(catalog, [], [kubewardenPolicyWebhook('namespace', 'namespaced-shop-p'), jsPolicyWebhook('deny.company.tld')]);
    expect(engines.map((d) => [d.engine.id, d.webhooks[0]!.scope])).toEqual([
      ['kubewarden', 'namespace'],
      ['jspolicy', 'cluster'],
    ]);
  });

  it('ignores unrelated webhooks and a catalogue pattern that does not compile', () => {
    const certManager = validatingWebhookConfiguration('cert-manager-webhook', [{ name: 'webhook.cert-manager.io' }]);
    expect(detectWebhookEngines(catalog, [], [certManager])).toEqual([]);
    const broken: PolicyEngine = { id: 'broken', name: 'Broken', crds: [], webhooks: ['(unclosed'], namespaces: [], source: 'x' };
    expect(detectWebhookEngines([broken], [], [certManager])).toEqual([]);
  });

  it('finds the admission Deployments in the engine namespaces only, and reads replicas with API defaults', () => {
    const [kyverno] = detectWebhookEngines(catalog, kyvernoCrds(), [kyvernoResourceWebhook()]);
    const deployments = [
      deployment('kyverno', 'kyverno-admission-controller', 3, 2),
      deployment('kyverno', 'kyverno-reports-controller', 1, 1),
      deployment('shop', 'kyverno-admission-controller', 1, 1),
      deployment('kyverno', 'kyverno', 1, undefined),
    ];
    expect(admissionDeployments(kyverno!, deployments).map((d) => (d.metadata as { name: string }).name)).toEqual(['kyverno', 'kyverno-admission-controller']);
    expect(readyReplicas(deployment('kyverno', 'kyverno', 1, undefined))).toBe(0);
    expect(desiredReplicas({ spec: {} })).toBe(1);
    expect(readyReplicas({ status: { readyReplicas: -1 } })).toBe(0);
  });
});

describe('enforce or audit', () => {
  const kyverno = modeSpec('kyverno', 'ClusterPolicy.kyverno.io');

  it('Kyverno: a rule-level failureAction wins over the policy, both case-insensitive; absent means Audit', () => {
    const result = policyEnforcement(
      clusterPolicy('p', { validationFailureAction: 'enforce', rules: [validateRule('a'), validateRule('b', 'Audit'), { name: 'm', mutate: {} }] }),
      kyverno,
    );
    expect(result).toEqual({
      applies: true,
      units: [
        { field: 'spec.validationFailureAction', mode: 'enforce', class: 'enforce' },
        { field: 'spec.rules[1].validate.failureAction', mode: 'Audit', class: 'audit' },
      ],
    });
    expect(policyEnforcement(clusterPolicy('q', { rules: [validateRule('a')] }), kyverno)).toEqual({
      applies: true,
      units: [{ field: 'spec.validationFailureAction', mode: '(Audit by default)', class: 'audit' }],
    });
  });

  it('Kyverno: a policy without validate rules does not apply; an unknown value is unknown', () => {
    expect(policyEnforcement(clusterPolicy('m', { rules: [{ name: 'gen', generate: {} }] }), kyverno).applies).toBe(false);
    const odd = policyEnforcement(clusterPolicy('o', { validationFailureAction: 'Block', rules: [validateRule('a')] }), kyverno);
    expect(odd.applies && odd.units[0]!.class).toBe('unknown');
  });

  it('Gatekeeper: deny by default; scoped enforces only with deny at an admission enforcement point', () => {
    const gk = modeSpec('gatekeeper', '*.constraints.gatekeeper.sh');
    const cls = (spec: Record<string, unknown>): string | false => {
      const r = policyEnforcement(constraint('K8sRequiredLabels', 'c', spec), gk);
      return r.applies && r.units[0]!.class;
    };
    expect(cls({})).toBe('enforce');
    expect(cls({ enforcementAction: 'dryrun' })).toBe('audit');
    expect(
      cls({
        enforcementAction: 'scoped',
        scopedEnforcementActions: [
          { action: 'deny', enforcementPoints: [{ name: 'audit.gatekeeper.sh' }] },
          { action: 'warn', enforcementPoints: [{ name: '*' }] },
        ],
      }),
    ).toBe('audit');
    expect(cls({ enforcementAction: 'scoped', scopedEnforcementActions: [{ action: 'deny', enforcementPoints: [{ name: '*' }] }] })).toBe('enforce');
    expect(cls({ enforcementAction: 'scoped', scopedEnforcementActions: [{ action: 'deny', enforcementPoints: [{ name: 'vap.k8s.io' }] }] })).toBe('enforce');
    expect(cls({ enforcementAction: 'scoped' })).toBe('unknown');
  });

  it('jsPolicy: only Validating policies apply (the default type); Deny is the default', () => {
    const js = modeSpec('jspolicy', 'JsPolicy.policy.jspolicy.com');
    expect(policyEnforcement(jsPolicy('a.b.c'), js)).toEqual({
      applies: true,
      units: [{ field: 'spec.violationPolicy', mode: '(Deny by default)', class: 'enforce' }],
    });
    expect(policyEnforcement(jsPolicy('a.b.c', { type: 'Mutating' }), js)).toEqual({ applies: false, why: 'spec.type is Mutating' });
    const dry = policyEnforcement(jsPolicy('a.b.c', { violationPolicy: 'Dry' }), js);
    expect(dry.applies && dry.units[0]!.class).toBe('audit');
  });

  it('ValidatingAdmissionPolicyBinding: Deny anywhere in validationActions enforces; Warn/Audit only audit; empty is unknown', () => {
    const b = modeSpec('validating-admission-policy', 'ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io');
    const cls = (actions: string[]): string | false => {
      const r = policyEnforcement(vapBinding('b', 'p', actions), b);
      return r.applies && r.units[0]!.class;
    };
    expect(cls(['Warn', 'Deny'])).toBe('enforce');
    expect(cls(['Warn', 'Audit'])).toBe('audit');
    expect(cls([])).toBe('unknown');
  });

  it('pairs bindings with their policies', () => {
    const pairs = boundPolicies([vap('p1')], [vapBinding('b1', 'p1', ['Deny']), vapBinding('b2', 'gone', ['Deny'])]);
    expect(pairs.map((x) => [(x.binding.metadata as { name: string }).name, x.policy !== undefined])).toEqual([
      ['b1', true],
      ['b2', false],
    ]);
  });
});
