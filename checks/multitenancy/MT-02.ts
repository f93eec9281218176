import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { POD_OWNER_KINDS, groupByWorkload, kubectlGet } from '../../src/k8s/owners.js';
import { asString, field, nameOf, namespaceOf, refOf } from '../../src/k8s/object.js';
import { kubectl } from '../../src/util/shell.js';
import { sharedOwnerIndex } from '../shared.js';
import { listSome } from '../../src/util/strings.js';

const DEFAULT_NAMESPACE = 'default';

export default defineCheck({
  meta: {
    id: 'MT-02',
    title: 'No workloads run in the default namespace',
    category: 'multitenancy',
    severity: 'medium',
    rationale:
      'The default namespace belongs to nobody: it is where `kubectl apply` puts anything without a namespace, so ' +
      'workloads there have no tenant, no owner to ask, and usually none of the quotas, Pod Security labels, network ' +
      'policies or RoleBindings a tenant namespace gets. Multitenancy starts with every workload living in a namespace ' +
      'that says whose it is.',
    remediation:
      'Move each workload to the namespace of the team that owns it (`kubectl -n <team> apply -f …`, then delete it ' +
      'from default), and stop new arrivals: set an explicit namespace in manifests and Helm releases, and reject ' +
      'pods in default with a policy engine (Kyverno sample policy "disallow-default-namespace", or a Gatekeeper ' +
      'constraint) or a ResourceQuota of `pods: "0"` in default.',
    references: [
      'https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/',
      'https://kubernetes.io/docs/concepts/security/multi-tenancy/',
      'https://kyverno.io/policies/best-practices/disallow-default-namespace/disallow-default-namespace/',
    ],
    reads: [KINDS.Pod],
    optionalReads: [...POD_OWNER_KINDS],
    scope: 'tenant',
    messages: {
      inDefault: '{workload} runs {pods} pod(s) in the default namespace',
    },
  },
  evaluate(ctx, report) {
    // `default` is this check's subject, even when a config lists it among system namespaces.
    const pods = ctx.items(KINDS.Pod).filter((p) => {
      const ns = namespaceOf(p);
      return ns === DEFAULT_NAMESPACE || !ctx.isSystemNamespace(ns);
    });
    const index = sharedOwnerIndex(ctx);
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const { workload, pods: members } of groupByWorkload(pods, index)) {
      const inDefault = workload.ref.namespace === DEFAULT_NAMESPACE;
      subjects.push({
        resource: workload.ref,
        verdict: inDefault ? 'fail' : 'pass',
        details: { namespace: workload.ref.namespace ?? null, pods: members.length, ...(workload.inferred ? { inferredOwner: true } : {}) },
      });
      if (!inDefault) continue;
      const label = `${workload.ref.kind} ${workload.ref.name}`;
      findings.push(
        report('inDefault', {
          resource: workload.ref,
          data: { workload: label, pods: members.length },
          field: 'metadata.namespace',
          evidence: `namespace: default; pods ${listSome(members.map((p) => `${nameOf(p)} (${asString(field(p, 'status', 'phase')) ?? 'phase unknown'})`).sort(), 10)}`,
          verify:
            workload.ref.kind === 'Pod'
              ? kubectl('-n', 'default', 'get', 'pod', workload.ref.name, '-o', 'wide')
              : `${kubectlGet(workload.ref)}; ${kubectl('-n', 'default', 'get', 'pods')}`,
          affected: members.map((p) => refOf(p, 'Pod')),
        }),
      );
    }
    if (subjects.length === 0) return { status: 'not-applicable', reason: 'no pods outside system namespaces' };
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});
