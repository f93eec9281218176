import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { nameOf, refOf } from '../../src/k8s/object.js';
import { detectWebhookEngines } from '../../src/k8s/policy-engines.js';
import { webhookEntries, type WebhookEntry } from '../../src/k8s/webhooks.js';
import { kubectl } from '../../src/util/shell.js';

export default defineCheck({
  meta: {
    id: 'PE-03',
    title: "The policy engine's validating webhooks fail closed",
    category: 'policy-engine',
    severity: 'high',
    rationale:
      'A webhook with failurePolicy Ignore is skipped whenever the engine does not answer in time: during an upgrade, ' +
      'a crash loop, a network partition, or an attack that overloads it. Every request it would have checked is then ' +
      'admitted unchecked, so a policy engine that fails open enforces only while nobody is trying. Gatekeeper ships ' +
      'failing open by default; Kyverno fails closed unless a policy (or the Helm flag forceFailurePolicyIgnore) asks ' +
      'for Ignore.',
    remediation:
      "Set failurePolicy: Fail on the engine's resource webhooks and run the engine highly available (PE-04) so that " +
      'failing closed does not block the cluster. Gatekeeper: Helm `validatingWebhookFailurePolicy=Fail`. Kyverno: ' +
      'remove `failurePolicy: Ignore` (1.13+: `webhookConfiguration.failurePolicy`) from policies and keep ' +
      '`features.forceFailurePolicyIgnore.enabled=false`. Kubewarden and jsPolicy: `spec.failurePolicy: Fail` on each ' +
      "policy (the default). Exclude kube-system and the engine's own namespace from the webhook so that the engine " +
      'can always restart.',
    references: [
      'https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#failure-policy',
      'https://open-policy-agent.github.io/gatekeeper/website/docs/failing-closed',
      'https://kyverno.io/docs/policy-types/cluster-policy/policy-settings/',
      'https://github.com/kubernetes/sig-security/tree/main/sig-security-docs/papers/admission-control',
    ],
    reads: [KINDS.CustomResourceDefinition, KINDS.ValidatingWebhookConfiguration],
    messages: {
      failOpen:
        '{engine} webhook configuration {configuration} fails open ({webhooks}: failurePolicy {policy}); requests it checks are admitted unchecked when {engine} is unreachable',
    },
  },
  evaluate(ctx, report) {
    const detected = detectWebhookEngines(
      ctx.catalogs.policyEngines,
      ctx.items(KINDS.CustomResourceDefinition),
      ctx.items(KINDS.ValidatingWebhookConfiguration),
    );
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const d of detected) {
      for (const webhook of d.webhooks.filter((w) => w.enforcing)) {
        // An entry without rules intercepts nothing, so its failure policy never applies.
        const entries = webhookEntries(webhook.configuration).filter((e) => e.ruleCount > 0);
        if (entries.length === 0) continue;
        const open = entries.filter((e) => e.failurePolicy !== 'Fail');
        const resource = refOf(webhook.configuration, 'ValidatingWebhookConfiguration');
        const details = {
          engine: d.engine.id,
          webhooks: entries.map((e) => ({ name: e.name, failurePolicy: e.failurePolicy })),
        };
        if (open.length === 0) {
          subjects.push({ resource, verdict: 'pass', details });
          continue;
        }
        const closed = entries.length - open.length;
        subjects.push(closed === 0 ? { resource, verdict: 'fail', details } : { resource, verdict: 'partial', credit: closed / entries.length, details });
        findings.push(
          report('failOpen', {
            resource,
            data: {
              engine: d.engine.name,
              configuration: nameOf(webhook.configuration),
              webhooks: open.map((e) => e.name).join(', '),
              policy: [...new Set(open.map((e) => e.failurePolicy))].join(', '),
            },
            field: open.map((e) => `webhooks[${e.index}].failurePolicy`).join(', '),
            evidence: open.map(describe).join('; '),
            verify: kubectl(
              'get',
              'validatingwebhookconfiguration',
              nameOf(webhook.configuration),
              '-o',
              'jsonpath={range .webhooks[*]}{.name}{"\\t"}{.failurePolicy}{"\\n"}{end}',
            ),
          }),
        );
      }
    }
    if (subjects.length === 0) {
      return { status: 'not-applicable', reason: 'no policy engine webhook that enforces policies on resources is registered' };
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

function describe(e: WebhookEntry): string {
  return e.failurePolicyExplicit ? `${e.name}: ${e.failurePolicy}` : `${e.name}: (absent; ${e.failurePolicy} by default)`;
}
