import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { nameOf, namespaceOf, refOf, type K8sObject } from '../../src/k8s/object.js';
import { bindsClusterRole, classifySubject, describeSubject, subjectsOf } from '../../src/k8s/rbac.js';
import { kubectl } from '../../src/util/shell.js';

const CLUSTER_ADMIN = 'cluster-admin';

type BindingKind = 'ClusterRoleBinding' | 'RoleBinding';

export default defineCheck({
  meta: {
    id: 'MT-05',
    title: 'cluster-admin is bound only to system subjects',
    category: 'multitenancy',
    severity: 'high',
    rationale:
      'cluster-admin can do anything to any object, including reading every Secret and rewriting RBAC, so whoever ' +
      'holds it can cross every tenant boundary the other controls build. Kubernetes and the installer bind it to a ' +
      "few system identities (the system:masters group, kubeadm's admin.conf group, EKS's add-on manager, service " +
      'accounts of kube-system); every other binding is a person, a CI job or an operator that now owns the cluster. ' +
      'A RoleBinding to cluster-admin gives full control of its namespace, which for kube-system is the cluster.',
    remediation:
      'For each binding listed, give the subject a role scoped to what it does: the built-in admin/edit/view ' +
      "ClusterRoles through RoleBindings in the tenant's namespaces, or a custom Role. Keep cluster-wide admin to " +
      'break-glass identities used through a just-in-time process, and bind groups from your identity provider, not ' +
      'individual users. Remove the binding with `kubectl delete clusterrolebinding <name>` once the replacement is ' +
      'in place. On AKS, disable local accounts (`az aks update --disable-local-accounts`) to drop clusterAdmin.',
    references: [
      'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles',
      'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-subjects',
      'https://kubernetes.io/docs/concepts/security/rbac-good-practices/',
      'https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/create-cluster-kubeadm/',
      'https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html',
    ],
    reads: [KINDS.ClusterRoleBinding, KINDS.RoleBinding],
    messages: {
      clusterWide: 'ClusterRoleBinding {binding} grants cluster-admin on the whole cluster to {subjects}',
      namespaced: 'RoleBinding {binding} grants cluster-admin in namespace {namespace} to {subjects}',
      everyone: '{bindingKind} {binding} grants cluster-admin to anyone through {everyone} (non-system subjects: {subjects})',
    },
  },
  evaluate(ctx, report) {
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    const bindings: [BindingKind, K8sObject][] = [
      ...ctx.items(KINDS.ClusterRoleBinding).map((b) => ['ClusterRoleBinding', b] as [BindingKind, K8sObject]),
      ...ctx.items(KINDS.RoleBinding).map((b) => ['RoleBinding', b] as [BindingKind, K8sObject]),
    ];
    for (const [kind, binding] of bindings) {
      if (!bindsClusterRole(binding, CLUSTER_ADMIN)) continue;
      const bound = subjectsOf(binding);
      if (bound.length === 0) continue;
      const bindingCtx = { bindingKind: kind, bindingName: nameOf(binding), isSystemNamespace: (ns: string | undefined) => ctx.isSystemNamespace(ns) };
      const classified = bound.map((s, index) => ({ s, index, c: classifySubject(s, bindingCtx) }));
      const offending = classified.filter((x) => !x.c.system);
      const resource = refOf(binding, kind);
      subjects.push({
        resource,
        verdict: offending.length === 0 ? 'pass' : 'fail',
        details: { subjects: classified.map((x) => ({ subject: describeSubject(x.s), system: x.c.system, reason: x.c.reason, note: x.c.note })) },
      });
      if (offending.length === 0) continue;

      const everyone = offending.filter((x) => x.c.reason === 'everyone').map((x) => describeSubject(x.s));
      const names = offending.map((x) => describeSubject(x.s)).join(', ');
      const ns = namespaceOf(binding);
      const messageId = everyone.length > 0 ? 'everyone' : kind === 'RoleBinding' ? 'namespaced' : 'clusterWide';
      findings.push(
        report(messageId, {
          resource,
          data: {
            binding: kind === 'RoleBinding' ? `${ns ?? ''}/${nameOf(binding)}` : nameOf(binding),
            bindingKind: kind,
            namespace: ns ?? '',
            subjects: names,
            everyone: everyone.join(', '),
          },
          field: offending.map((x) => `subjects[${x.index}]`).join(', '),
          evidence: `roleRef: ClusterRole/${CLUSTER_ADMIN}; ${offending.map((x) => `${describeSubject(x.s)} (${x.c.note})`).join('; ')}`,
          verify:
            kind === 'RoleBinding'
              ? kubectl('-n', ns ?? '', 'get', 'rolebinding', nameOf(binding), '-o', 'yaml')
              : kubectl('get', 'clusterrolebinding', nameOf(binding), '-o', 'yaml'),
        }),
      );
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});
