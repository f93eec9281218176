import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { field, namespaceOf, refOf, type K8sObject } from '../../src/k8s/object.js';
import { kubectl } from '../../src/util/shell.js';

const MIN_REPLICAS = 2;

export default defineCheck({
  meta: {
    id: 'DIE-01',
    title: 'Deployments and StatefulSets run at least 2 replicas',
    category: 'die',
    severity: 'medium',
    rationale:
      'Distributed, the D of DIE: a workload with one replica is a pet. Every node drain, eviction, rollout or crash ' +
      'is an outage, so teams avoid patching and restarting it, and it drifts. With two or more replicas any single ' +
      'pod can be replaced at any time, which is what lets nodes be rebuilt from an immutable image and compromised ' +
      'pods be killed without ceremony.',
    remediation:
      'Set `spec.replicas: 2` or more (`kubectl -n <ns> scale deployment/<name> --replicas=2`), or let a ' +
      'HorizontalPodAutoscaler with `minReplicas: 2` own the count; spread replicas across nodes with ' +
      'topologySpreadConstraints or pod anti-affinity, and protect them with a PodDisruptionBudget. Workloads that ' +
      'cannot run twice (a leader-less singleton) should say so in a waiver.',
    references: [
      'https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#replicas',
      'https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/',
      'https://kubernetes.io/docs/tasks/run-application/configure-pdb/',
    ],
    reads: [KINDS.Deployment, KINDS.StatefulSet],
    scope: 'tenant',
    // A policy engine's admission controller with one replica is PE-04's finding (in the total).
    explainedBy: ['PE-04'],
    messages: {
      singleReplica: '{kind} {namespace}/{name} runs a single replica',
    },
  },
  evaluate(ctx, report) {
    const controllers: [string, K8sObject][] = [
      ...ctx.items(KINDS.Deployment).map((d) => ['Deployment', d] as [string, K8sObject]),
      ...ctx.items(KINDS.StatefulSet).map((s) => ['StatefulSet', s] as [string, K8sObject]),
    ];
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const [kind, controller] of controllers) {
      const ns = namespaceOf(controller);
      if (ctx.isSystemNamespace(ns)) continue;
      const replicas = desiredReplicas(controller);
      const set = typeof field(controller, 'spec', 'replicas') === 'number';
      if (replicas === 0) continue; // scaled down on purpose: nothing runs, nothing to distribute
      const ref = refOf(controller, kind);
      const ok = replicas >= MIN_REPLICAS;
      subjects.push({ resource: ref, verdict: ok ? 'pass' : 'fail', details: { replicas } });
      if (ok) continue;
      // One finding per controller: each one's spec.replicas is its own root cause.
      findings.push(
        report('singleReplica', {
          resource: ref,
          data: { kind, namespace: ns ?? '', name: ref.name, replicas },
          field: 'spec.replicas',
          evidence: set ? String(replicas) : 'unset (the API server defaults it to 1)',
          verify: kubectl('-n', ns ?? '', 'get', kind.toLowerCase(), ref.name),
          // Raising spec.replicas fixes this finding and PE-04's on a policy engine's controller.
          causes: [{ resource: ref, key: 'spec.replicas' }],
        }),
      );
    }
    if (subjects.length === 0) return { status: 'not-applicable', reason: 'no Deployment or StatefulSet with replicas above 0 outside system namespaces' };
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

/** spec.replicas, which the API server defaults to 1 when it is omitted. */
function desiredReplicas(controller: K8sObject): number {
  const replicas = field(controller, 'spec', 'replicas');
  return typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 ? replicas : 1;
}
