/**
 * A check written only from docs/writing-checks.md, as the trial of issue 19 asks: tenant pods do
 * not share the host's network, PID or IPC namespaces. Test-only: not registered, no page; its
 * cases run through the same runner as the built-in checks' (TRIAL-01.test.ts).
 */
import { defineCheck, type Finding, type Subject } from '../../../src/engine/check.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { asRecord, namespaceOf, refOf } from '../../../src/k8s/object.js';
import { groupByWorkload, kubectlGet, podSpecPath, POD_OWNER_KINDS } from '../../../src/k8s/owners.js';
import { sharedOwnerIndex } from '../../../checks/shared.js';

const HOST_NAMESPACES = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

export default defineCheck({
  meta: {
    id: 'TRIAL-01',
    title: "Tenant pods do not share the host's namespaces",
    category: 'multitenancy',
    severity: 'high',
    rationale:
      "A pod in the host's network, PID or IPC namespace sees and reaches what the node sees: every other tenant's " +
      'traffic on the node, their processes, their shared memory. Pod Security Standards baseline forbids it.',
    remediation:
      'Remove hostNetwork, hostPID and hostIPC from the workload, and enforce Pod Security Admission baseline ' +
      'on the namespace so that it cannot come back.',
    references: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline'],
    reads: [KINDS.Pod],
    optionalReads: [...POD_OWNER_KINDS],
    messages: {
      hostNamespaces: "{workload} shares the host's {shared} ({pods} pod(s))",
    },
  },
  evaluate(ctx, report) {
    const pods = ctx.items(KINDS.Pod).filter((p) => !ctx.isSystemNamespace(namespaceOf(p)));
    if (pods.length === 0) return { status: 'not-applicable', reason: 'no pods run outside the system namespaces' };
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const { workload, pods: group } of groupByWorkload(pods, sharedOwnerIndex(ctx))) {
      const spec = asRecord(group[0]!.spec);
      // hostPort is left out: pods' container ports are dropped by the slim projection (the guard
      // said so on the first run), and a test-only check is no reason to keep them for every pod.
      const shared: string[] = HOST_NAMESPACES.filter((name) => spec[name] === true);
      subjects.push({ resource: workload.ref, verdict: shared.length > 0 ? 'fail' : 'pass', details: { shared } });
      if (shared.length === 0) continue;
      const name = `${workload.ref.kind} ${workload.ref.namespace ?? ''}/${workload.ref.name}`;
      findings.push(
        report('hostNamespaces', {
          resource: workload.ref,
          affected: group.map((p) => refOf(p, 'Pod')),
          data: { workload: name, shared: shared.join(', '), pods: group.length },
          field: (podSpecPath(workload.ref.kind) ?? '.spec').slice(1),
          evidence: shared.map((s) => `${s}: true`).join(', '),
          verify: kubectlGet(workload.ref, '-o', 'yaml'),
        }),
      );
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});
