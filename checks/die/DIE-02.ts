import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { POD_OWNER_KINDS, groupByWorkload, isMirrorPod, ownerReferencesOf } from '../../src/k8s/owners.js';
import { asString, field, nameOf, namespaceOf, refOf, type K8sObject } from '../../src/k8s/object.js';
import { kubectl } from '../../src/util/shell.js';
import { sharedOwnerIndex } from '../shared.js';
import { listSome } from '../../src/util/strings.js';

export default defineCheck({
  meta: {
    id: 'DIE-02',
    title: 'No bare pods: every pod is managed by a controller',
    category: 'die',
    severity: 'medium',
    rationale:
      'Ephemeral, the E of DIE: a pod should be disposable, recreated from its declaration whenever it dies. A bare ' +
      'pod (created with `kubectl run` or a raw Pod manifest, with no controller ownerReference) is not rescheduled ' +
      'when its node fails or is drained, is not updated by a rollout, and is often a leftover debug shell or a ' +
      'hand-made fix that nobody declared anywhere. Killing a suspicious pod is only safe when something recreates it.',
    remediation:
      'Run the workload through a controller that recreates it: a Deployment or StatefulSet for services, a Job or ' +
      'CronJob for batch work, a DaemonSet for per-node agents. Delete leftover debug pods (`kubectl -n <ns> delete ' +
      'pod <name>`) and debug with `kubectl debug` ephemeral containers instead.',
    references: [
      'https://kubernetes.io/docs/concepts/configuration/overview/#naked-pods-vs-replicasets-deployments-and-jobs',
      'https://kubernetes.io/docs/concepts/overview/working-with-objects/owners-dependents/',
      'https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/#ephemeral-container',
    ],
    reads: [KINDS.Pod],
    optionalReads: [...POD_OWNER_KINDS],
    scope: 'tenant',
    messages: {
      barePods: '{count} pod(s) in namespace {namespace} have no controller: {pods}',
    },
  },
  evaluate(ctx, report) {
    const pods = ctx.items(KINDS.Pod).filter((p) => !ctx.isSystemNamespace(namespaceOf(p)) && !isMirrorPod(p));
    const index = sharedOwnerIndex(ctx);
    const subjects: Subject[] = [];
    const bare = new Map<string, K8sObject[]>();
    for (const { workload, pods: members } of groupByWorkload(pods, index)) {
      subjects.push({ resource: workload.ref, verdict: workload.bare ? 'fail' : 'pass', details: { pods: members.length } });
      if (!workload.bare) continue;
      const ns = workload.ref.namespace ?? '';
      const list = bare.get(ns);
      if (list) list.push(...members);
      else bare.set(ns, [...members]);
    }
    const findings: Finding[] = [];
    for (const [ns, list] of bare) {
      list.sort((a, b) => nameOf(a).localeCompare(nameOf(b), 'en'));
      findings.push(
        report('barePods', {
          resource: { apiVersion: 'v1', kind: 'Namespace', name: ns },
          data: { namespace: ns, count: list.length, pods: listSome(list.map(nameOf), 10) },
          field: 'metadata.ownerReferences',
          evidence: listSome(list.map(describeBarePod), 10),
          verify: kubectl(
            '-n',
            ns,
            'get',
            'pods',
            '-o',
            'custom-columns=NAME:.metadata.name,PHASE:.status.phase,CONTROLLER:.metadata.ownerReferences[?(@.controller==true)].kind',
          ),
          affected: list.map((p) => refOf(p, 'Pod')),
        }),
      );
    }
    if (subjects.length === 0) return { status: 'not-applicable', reason: 'no pods outside system namespaces (static pods excluded)' };
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

function describeBarePod(pod: K8sObject): string {
  const phase = asString(field(pod, 'status', 'phase')) ?? 'phase unknown';
  const owners = ownerReferencesOf(pod);
  const ownerNote = owners.length === 0 ? 'no ownerReferences' : `ownerReferences without controller: ${owners.map((o) => `${o.kind}/${o.name}`).join(', ')}`;
  return `${nameOf(pod)} (${phase}; ${ownerNote})`;
}
