import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { isKnown } from '../../src/k8s/inventory.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { asString, field, nameOf, namespaceOf, refOf, type K8sObject, type ResourceRef } from '../../src/k8s/object.js';
import {
  admissionDeployments,
  boundPolicies,
  desiredReplicas,
  detectWebhookEngines,
  readyReplicas,
  type DetectedEngine,
} from '../../src/k8s/policy-engines.js';
import { kubectl } from '../../src/util/shell.js';

const VAP_ENGINE = 'validating-admission-policy';

export default defineCheck({
  meta: {
    id: 'PE-01',
    title: 'A policy engine is installed and serving admission requests',
    category: 'policy-engine',
    severity: 'high',
    rationale:
      'A policy engine turns security rules into admission decisions: it rejects privileged pods, unpinned images or ' +
      'missing labels before they reach the cluster, and reports what already runs. Without one, every rule in a ' +
      'checklist depends on each team remembering it. An engine whose CRDs exist but whose webhook is not registered, ' +
      'or whose controller has no ready replica, enforces nothing while looking installed.',
    remediation:
      'Install a policy engine and keep it serving: Kyverno (`helm install kyverno kyverno/kyverno -n kyverno ' +
      '--create-namespace`), OPA Gatekeeper, Kubewarden or jsPolicy, or bind ValidatingAdmissionPolicies (Kubernetes ' +
      '1.30+). If an engine is installed but not serving, check that its admission Deployment is ready ' +
      '(`kubectl -n <ns> rollout status deployment/<name>`) and that its ValidatingWebhookConfiguration exists.',
    references: [
      'https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/',
      'https://kyverno.io/docs/installation/',
      'https://open-policy-agent.github.io/gatekeeper/website/docs/install',
      'https://docs.kubewarden.io/',
      'https://www.jspolicy.com/docs/getting-started/installation',
      'https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/',
    ],
    reads: [KINDS.CustomResourceDefinition, KINDS.ValidatingWebhookConfiguration],
    optionalReads: [KINDS.Deployment, KINDS.ValidatingAdmissionPolicy, KINDS.ValidatingAdmissionPolicyBinding],
    messages: {
      none: 'No policy engine is installed: none of {engines} was found and no ValidatingAdmissionPolicy is bound',
      noWebhook: '{engine} is installed ({crds}) but registers no validating webhook, so nothing is enforced at admission',
      notReady: '{engine} registers webhooks but its admission Deployment {deployment} has no ready replica',
      unboundBindings: 'ValidatingAdmissionPolicyBinding {binding} refers to policy {policy}, which does not exist',
    },
  },
  evaluate(ctx, report) {
    const crds = ctx.items(KINDS.CustomResourceDefinition);
    const detected = detectWebhookEngines(ctx.catalogs.policyEngines, crds, ctx.items(KINDS.ValidatingWebhookConfiguration));
    const deployments = ctx.collection(KINDS.Deployment);
    const subjects: Subject[] = [];
    const findings: Finding[] = [];

    const states = detected.map((d) => ({ d, ...engineState(d, isKnown(deployments) ? deployments.items : undefined) }));
    const anyServing = states.some((s) => s.state === 'serving');
    for (const s of states) {
      const { d } = s;
      const resource = engineResource(d, crds);
      const details = {
        engine: d.engine.id,
        name: d.engine.name,
        crds: d.crds,
        webhooks: d.webhooks.map((w) => w.name),
        ready: s.ready,
        deployments: s.deployments.map((dep) => `${namespaceOf(dep) ?? ''}/${nameOf(dep)} ${readyReplicas(dep)}/${desiredReplicas(dep)} ready`),
      };
      if (s.state === 'serving') {
        subjects.push({ resource, verdict: 'pass', details });
      } else if (s.state === 'not-ready') {
        const dep = s.deployments[0]!;
        subjects.push({ resource, verdict: 'fail', details });
        findings.push(
          report('notReady', {
            resource: refOf(dep, 'Deployment'),
            data: { engine: d.engine.name, deployment: `${namespaceOf(dep) ?? ''}/${nameOf(dep)}` },
            field: 'status.readyReplicas',
            evidence: s.deployments.map((x) => `${nameOf(x)}: ${readyReplicas(x)} of ${desiredReplicas(x)} replicas ready`).join('; '),
            verify: kubectl('-n', namespaceOf(dep) ?? '', 'get', 'deployment', nameOf(dep)),
          }),
        );
      } else if (anyServing && s.ready !== true) {
        // CRDs without webhook or running controller, next to an engine that serves: most likely
        // what an uninstall left behind. Shown, not scored.
        subjects.push({ resource, verdict: 'info', details: { ...details, note: 'CRDs only: no webhook and no running admission controller' } });
      } else {
        subjects.push({ resource, verdict: 'fail', details });
        findings.push(
          report('noWebhook', {
            resource,
            data: { engine: d.engine.name, crds: d.crds.join(', ') },
            field: 'webhooks',
            evidence: `CRDs ${d.crds.join(', ')} present; no ValidatingWebhookConfiguration matching ${describePatterns(d)}`,
            verify: `${kubectl('get', 'validatingwebhookconfigurations')}; ${kubectl('get', 'crd', ...d.crds)}`,
          }),
        );
      }
    }

    const vap = validatingAdmissionPolicies(ctx.collection(KINDS.ValidatingAdmissionPolicy), ctx.collection(KINDS.ValidatingAdmissionPolicyBinding));
    if (vap.known && vap.bindings.length > 0) {
      const bound = vap.bindings.filter((b) => b.policy !== undefined);
      const details = { engine: VAP_ENGINE, name: 'ValidatingAdmissionPolicy', policies: vap.policyCount, bindings: vap.bindings.length, bound: bound.length };
      if (bound.length > 0) {
        subjects.push({ resource: refOf(bound[0]!.binding, 'ValidatingAdmissionPolicyBinding'), verdict: 'pass', details });
      } else {
        const first = vap.bindings[0]!.binding;
        subjects.push({ resource: refOf(first, 'ValidatingAdmissionPolicyBinding'), verdict: 'fail', details });
        for (const { binding } of vap.bindings) {
          const policy = asString(field(binding, 'spec', 'policyName')) ?? '';
          findings.push(
            report('unboundBindings', {
              resource: refOf(binding, 'ValidatingAdmissionPolicyBinding'),
              data: { binding: nameOf(binding), policy },
              field: 'spec.policyName',
              evidence: `policyName: ${policy}; no ValidatingAdmissionPolicy of that name`,
              verify: `${kubectl('get', 'validatingadmissionpolicybinding', nameOf(binding), '-o', 'yaml')}; ${kubectl('get', 'validatingadmissionpolicies')}`,
            }),
          );
        }
      }
    }

    if (findings.length > 0) return { status: 'fail', subjects, findings };
    if (subjects.some((s) => s.verdict === 'pass')) return { status: 'pass', subjects, findings };
    if (!vap.known) {
      return {
        status: 'unknown',
        reason: `no webhook-based policy engine was found, and ValidatingAdmissionPolicies could not be checked: ${vap.problem}`,
        subjects,
      };
    }
    const engines = ctx.catalogs.policyEngines.filter((e) => !e.builtin).map((e) => e.name);
    findings.push(
      report('none', {
        resource: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', name: '*' },
        data: { engines: engines.join(', ') },
        field: 'items',
        evidence:
          `no CRD of ${engines.join(', ')}; no matching ValidatingWebhookConfiguration; ` +
          `${vap.policyCount} ValidatingAdmissionPolicies, ${vap.bindings.length} bindings`,
        verify:
          'kubectl get crd | grep -E "kyverno|gatekeeper|kubewarden|jspolicy"; ' +
          'kubectl get validatingwebhookconfigurations,validatingadmissionpolicies,validatingadmissionpolicybindings',
      }),
    );
    return { status: 'fail', subjects, findings };
  },
});

type EngineStateName = 'serving' | 'not-ready' | 'no-webhook';

/**
 * Serving: a validating webhook is registered and the admission Deployment (where it can be
 * read and found) has a ready replica. `ready` is null when Deployments are unreadable or
 * none matches the catalogue (the engine may run elsewhere, e.g. behind a webhook URL).
 */
function engineState(
  d: DetectedEngine,
  deployments: readonly K8sObject[] | undefined,
): { state: EngineStateName; ready: boolean | null; deployments: K8sObject[] } {
  const found = deployments ? admissionDeployments(d, deployments) : [];
  const ready = found.length === 0 ? null : found.some((dep) => readyReplicas(dep) >= 1);
  if (d.webhooks.length === 0) return { state: 'no-webhook', ready, deployments: found };
  if (ready === false) return { state: 'not-ready', ready, deployments: found };
  return { state: 'serving', ready, deployments: found };
}

/** The object that stands for an engine: its first CRD in catalogue order, else its first webhook configuration. */
function engineResource(d: DetectedEngine, crds: readonly K8sObject[]): ResourceRef {
  for (const name of d.crds) {
    const crd = crds.find((c) => nameOf(c) === name);
    if (crd) return refOf(crd, 'CustomResourceDefinition');
  }
  return refOf(d.webhooks[0]!.configuration, 'ValidatingWebhookConfiguration');
}

function describePatterns(d: DetectedEngine): string {
  const names = [...d.engine.webhooks, ...(d.engine.enforcingWebhooks ?? []).map((m) => m.name ?? m.labels?.join(',') ?? m.owner ?? '')];
  return names.filter(Boolean).join(' | ') || '(none in the catalogue)';
}

function validatingAdmissionPolicies(
  policies: { status: string; items: K8sObject[]; reason?: string },
  bindings: { status: string; items: K8sObject[]; reason?: string },
): { known: boolean; problem: string; policyCount: number; bindings: { binding: K8sObject; policy: K8sObject | undefined }[] } {
  const problems = [
    [KINDS.ValidatingAdmissionPolicy, policies],
    [KINDS.ValidatingAdmissionPolicyBinding, bindings],
  ] as const;
  const unknown = problems.filter(([, c]) => c.status !== 'ok' && c.status !== 'not-served');
  return {
    known: unknown.length === 0,
    problem: unknown.map(([id, c]) => `${id} is ${c.status}${c.reason ? ` (${c.reason})` : ''}`).join('; '),
    policyCount: policies.items.length,
    bindings: unknown.length === 0 ? boundPolicies(policies.items, bindings.items) : [],
  };
}
