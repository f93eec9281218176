import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { field, namespaceOf, refOf, type K8sObject, type ResourceRef } from '../../src/k8s/object.js';
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
    messages: {
      singleReplica: '{count} controller(s) in namespace {namespace} run a single replica: {controllers}',
    },
  },
  evaluate(ctx, report) {
    const controllers: [string, K8sObject][] = [
      ...ctx.items(KINDS.Deployment).map((d) => ['Deployment', d] as [string, K8sObject]),
      ...ctx.items(KINDS.StatefulSet).map((s) => ['StatefulSet', s] as [string, K8sObject]),
    ];
    const subjects: Subject[] = [];
    const single = new Map<string, { ref: ResourceRef; replicas: number }[]>();
    for (const [kind, controller] of controllers) {
      const ns = namespaceOf(controller);
      if (ctx.isSystemNamespace(ns)) continue;
      const replicas = desiredReplicas(controller);
      if (replicas === 0) continue; // scaled down on purpose: nothing runs, nothing to distribute
      const ref = refOf(controller, kind);
      const ok = replicas >= MIN_REPLICAS;
      subjects.push({ resource: ref, verdict: ok ? 'pass' : 'fail', details: { replicas } });
      if (ok) continue;
      const list = single.get(ns ?? '') ?? [];
      list.push({ ref, replicas });
      single.set(ns ?? '', list);
    }
    const findings: Finding[] = [];
    for (const [ns, list] of single) {
      list.sort((a, b) => a.ref.kind.localeCompare(b.ref.kind, 'en') || a.ref.name.localeCompare(b.ref.name, 'en'));
      const names = list.map((c) => `${c.ref.kind} ${c.ref.name}`);
      findings.push(
        report('singleReplica', {
          resource: { apiVersion: 'v1', kind: 'Namespace', name: ns },
          data: { namespace: ns, count: list.length, controllers: listSome(names) },
          field: 'spec.replicas',
          evidence: listSome(list.map((c) => `${c.ref.kind} ${c.ref.name}: replicas ${c.replicas}`)),
          verify: kubectl('-n', ns, 'get', 'deployments,statefulsets', '-o', 'custom-columns=KIND:.kind,NAME:.metadata.name,REPLICAS:.spec.replicas'),
          affected: list.map((c) => c.ref),
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

function listSome(items: string[], max = 10): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
