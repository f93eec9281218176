import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { isKnown } from '../../src/k8s/inventory.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { nameOf, namespaceOf, refOf } from '../../src/k8s/object.js';
import { admissionDeployments, desiredReplicas, detectWebhookEngines, readyReplicas } from '../../src/k8s/policy-engines.js';
import { kubectl } from '../../src/util/shell.js';

const MIN_READY = 2;

export default defineCheck({
  meta: {
    id: 'PE-04',
    title: 'The policy engine admission controller runs at least 2 ready replicas',
    category: 'policy-engine',
    severity: 'medium',
    rationale:
      'Every API request a policy webhook matches waits for the engine. With one replica, a node drain, an eviction or ' +
      'a crash leaves no one to answer: a webhook that fails closed then blocks deployments cluster-wide, and one that ' +
      'fails open stops enforcing. Two or more ready replicas, spread over nodes, let the engine fail closed (PE-03) ' +
      'without making it a single point of failure.',
    remediation:
      'Run the admission controller with 3 replicas and a PodDisruptionBudget: Kyverno Helm ' +
      '`admissionController.replicas=3`, Gatekeeper `replicas=3` (the manifest default), Kubewarden ' +
      '`spec.replicas` on each PolicyServer, jsPolicy `replicaCount`. If replicas are set but not ready, see ' +
      '`kubectl -n <ns> describe deployment <name>`.',
    references: [
      'https://kyverno.io/docs/high-availability/',
      'https://open-policy-agent.github.io/gatekeeper/website/docs/failing-closed',
      'https://docs.kubewarden.io/',
      'https://kubernetes.io/docs/tasks/run-application/configure-pdb/',
    ],
    reads: [KINDS.CustomResourceDefinition, KINDS.ValidatingWebhookConfiguration],
    optionalReads: [KINDS.Deployment],
    messages: {
      tooFewReplicas: '{engine} admission Deployment {deployment} is configured for {desired} replica(s); at least 2 are needed to survive a restart',
      notReady: '{engine} admission Deployment {deployment} has {ready} of {desired} replicas ready',
    },
  },
  evaluate(ctx, report) {
    const engines = detectWebhookEngines(
      ctx.catalogs.policyEngines,
      ctx.items(KINDS.CustomResourceDefinition),
      ctx.items(KINDS.ValidatingWebhookConfiguration),
    ).filter((d) => d.webhooks.length > 0);
    if (engines.length === 0) {
      return { status: 'not-applicable', reason: 'no policy engine webhook is registered' };
    }
    const deployments = ctx.collection(KINDS.Deployment);
    if (!isKnown(deployments)) {
      return {
        status: 'unknown',
        reason: `Deployments could not be read (${deployments.status}${deployments.reason ? `: ${deployments.reason}` : ''})`,
      };
    }
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    const notFound: string[] = [];
    for (const d of engines) {
      const found = admissionDeployments(d, deployments.items);
      if (found.length === 0) {
        notFound.push(
          `${d.engine.name}: no Deployment matching ${(d.engine.admissionDeployments ?? []).join(' | ') || '(none in the catalogue)'} in ${d.namespaces.join(', ')}`,
        );
        subjects.push({
          resource: refOf(d.webhooks[0]!.configuration, 'ValidatingWebhookConfiguration'),
          verdict: 'unknown',
          details: { engine: d.engine.id, namespaces: d.namespaces },
        });
        continue;
      }
      for (const dep of found) {
        const ready = readyReplicas(dep);
        const desired = desiredReplicas(dep);
        const resource = refOf(dep, 'Deployment');
        const details = { engine: d.engine.id, desired, ready };
        if (ready >= MIN_READY) {
          subjects.push({ resource, verdict: 'pass', details });
          continue;
        }
        subjects.push({ resource, verdict: 'fail', details });
        const data = { engine: d.engine.name, deployment: `${namespaceOf(dep) ?? ''}/${nameOf(dep)}`, desired, ready };
        const verify = kubectl('-n', namespaceOf(dep) ?? '', 'get', 'deployment', nameOf(dep));
        findings.push(
          desired < MIN_READY
            ? report('tooFewReplicas', {
                resource,
                data,
                field: 'spec.replicas',
                evidence: `${desired} (status.readyReplicas: ${ready})`,
                verify,
                // The controller's spec.replicas: DIE-01 reports the same field of the same Deployment.
                causes: [{ resource, key: 'spec.replicas' }],
              })
            : report('notReady', {
                resource,
                data,
                field: 'status.readyReplicas',
                evidence: `${ready} (spec.replicas: ${desired})`,
                verify,
              }),
        );
      }
    }
    if (subjects.every((s) => s.verdict === 'unknown')) {
      return { status: 'unknown', reason: `the admission Deployment was not found (${notFound.join('; ')})`, subjects };
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});
