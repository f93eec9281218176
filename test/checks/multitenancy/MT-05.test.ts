import check from '../../../checks/multitenancy/MT-05.js';
import { renderMessage } from '../../../src/engine/check.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import type { K8sObject } from '../../../src/k8s/object.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';

type Subject = { kind: 'User' | 'Group' | 'ServiceAccount'; name: string; namespace?: string };

function subject(s: Subject): Record<string, unknown> {
  return s.kind === 'ServiceAccount' ? { ...s } : { apiGroup: 'rbac.authorization.k8s.io', ...s };
}

function clusterRoleBinding(name: string, role: string, subjects: Subject[], meta: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, ...meta },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: subjects.map(subject),
  };
}

function roleBinding(namespace: string, name: string, roleKind: 'ClusterRole' | 'Role', role: string, subjects: Subject[]): K8sObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
    subjects: subjects.map(subject),
  };
}

/** The cluster-admin related bindings of a fresh kubeadm 1.31 cluster, as `kubectl get clusterrolebinding -o json` shows them. */
function kubeadmBindings(): K8sObject[] {
  return [
    clusterRoleBinding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters' }], {
      labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
      annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
    }),
    clusterRoleBinding('kubeadm:cluster-admins', 'cluster-admin', [{ kind: 'Group', name: 'kubeadm:cluster-admins' }]),
    clusterRoleBinding('kubeadm:get-nodes', 'kubeadm:get-nodes', [{ kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token' }]),
    clusterRoleBinding('kubeadm:node-proxier', 'system:node-proxier', [{ kind: 'ServiceAccount', name: 'kube-proxy', namespace: 'kube-system' }]),
    clusterRoleBinding('system:kube-controller-manager', 'system:kube-controller-manager', [{ kind: 'User', name: 'system:kube-controller-manager' }]),
    roleBinding('kube-system', 'kubeadm:kubelet-config', 'Role', 'kubeadm:kubelet-config', [
      { kind: 'Group', name: 'system:nodes' },
      { kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token' },
    ]),
  ];
}

describe('MT-05 cluster-admin bound only to system subjects', () => {
  it('passes on a fresh kubeadm cluster: system:masters and kubeadm:cluster-admins are system subjects', () => {
    const outcome = evaluate(check, inventoryOf(kubeadmBindings()));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => s.resource.name)).toEqual(['cluster-admin', 'kubeadm:cluster-admins']);
    expect(outcome.subjects.map((s) => (s.details?.subjects as { reason: string }[])[0]!.reason)).toEqual(['superuser-group', 'platform-default']);
  });

  it('passes with EKS add-on manager and a k3s helm-controller service account of kube-system', () => {
    const outcome = evaluate(
      check,
      inventoryOf(
        [
          ...kubeadmBindings().slice(0, 1),
          clusterRoleBinding('eks:addon-cluster-admin', 'cluster-admin', [{ kind: 'User', name: 'eks:addon-manager' }]),
          clusterRoleBinding('helm-kube-system-traefik', 'cluster-admin', [{ kind: 'ServiceAccount', name: 'helm-traefik', namespace: 'kube-system' }]),
        ],
        { [KINDS.RoleBinding]: 'ok' },
      ),
    );
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects).toHaveLength(3);
  });

  it('lists each binding that grants cluster-admin to people, tools, or everyone', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...kubeadmBindings(),
        clusterRoleBinding('ci-deployer-admin', 'cluster-admin', [{ kind: 'ServiceAccount', name: 'gitlab-runner', namespace: 'ci' }]),
        clusterRoleBinding('aks-cluster-admin-binding', 'cluster-admin', [
          { kind: 'User', name: 'clusterAdmin' },
          { kind: 'User', name: 'clusterUser' },
        ]),
        clusterRoleBinding('ops', 'cluster-admin', [
          { kind: 'Group', name: 'system:masters' },
          { kind: 'User', name: 'alice@example.com' },
        ]),
        clusterRoleBinding('debug-anonymous', 'cluster-admin', [{ kind: 'Group', name: 'system:unauthenticated' }]),
        roleBinding('team-a', 'team-a-leads-admin', 'ClusterRole', 'cluster-admin', [{ kind: 'Group', name: 'team-a-leads' }]),
        roleBinding('team-b', 'local-admin', 'Role', 'cluster-admin', [{ kind: 'User', name: 'bob' }]),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.resource.kind, f.resource.namespace ?? '', f.resource.name, f.messageId, f.field])).toEqual([
      ['ClusterRoleBinding', '', 'aks-cluster-admin-binding', 'clusterWide', 'subjects[0], subjects[1]'],
      ['ClusterRoleBinding', '', 'ci-deployer-admin', 'clusterWide', 'subjects[0]'],
      ['ClusterRoleBinding', '', 'debug-anonymous', 'everyone', 'subjects[0]'],
      ['ClusterRoleBinding', '', 'ops', 'clusterWide', 'subjects[1]'],
      ['RoleBinding', 'team-a', 'team-a-leads-admin', 'namespaced', 'subjects[0]'],
    ]);
    const ci = outcome.findings[1]!;
    expect(ci.data.subjects).toBe('ServiceAccount ci/gitlab-runner');
    expect(ci.evidence).toBe('roleRef: ClusterRole/cluster-admin; ServiceAccount ci/gitlab-runner (service account of namespace ci)');
    expect(ci.verify).toBe('kubectl get clusterrolebinding ci-deployer-admin -o yaml');
    const anonymous = outcome.findings[2]!;
    expect(renderMessage(check.meta.messages[anonymous.messageId]!, anonymous.data)).toBe(
      'ClusterRoleBinding debug-anonymous grants cluster-admin to anyone through Group system:unauthenticated (non-system subjects: Group system:unauthenticated)',
    );
    expect(outcome.findings[3]!.data.subjects).toBe('User alice@example.com');
    expect(outcome.findings[4]!.verify).toBe('kubectl -n team-a get rolebinding team-a-leads-admin -o yaml');
    expect(outcome.findings[4]!.data).toMatchObject({ binding: 'team-a/team-a-leads-admin', namespace: 'team-a' });
    // the RoleBinding to a Role that happens to be called cluster-admin is not a grant of the ClusterRole
    expect(outcome.subjects.map((s) => s.resource.name)).not.toContain('local-admin');
    expect(outcome.subjects.filter((s) => s.verdict === 'pass').map((s) => s.resource.name)).toEqual(['cluster-admin', 'kubeadm:cluster-admins']);
  });

  it('recognises a platform default only by binding name and subject together', () => {
    const outcome = evaluate(
      check,
      inventoryOf(
        [
          clusterRoleBinding('kubeadm:cluster-admins', 'cluster-admin', [
            { kind: 'Group', name: 'kubeadm:cluster-admins' },
            { kind: 'User', name: 'mallory' },
          ]),
          clusterRoleBinding('contractors', 'cluster-admin', [{ kind: 'Group', name: 'kubeadm:cluster-admins' }]),
          clusterRoleBinding('node-superpowers', 'cluster-admin', [{ kind: 'Group', name: 'system:nodes' }]),
        ],
        { [KINDS.RoleBinding]: 'ok' },
      ),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.resource.name, f.data.subjects])).toEqual([
      ['contractors', 'Group kubeadm:cluster-admins'],
      ['kubeadm:cluster-admins', 'User mallory'],
      ['node-superpowers', 'Group system:nodes'],
    ]);
  });

  it('treats service accounts of configured system namespaces as system, and of other namespaces as not', () => {
    const outcome = evaluate(
      check,
      inventoryOf(
        [
          clusterRoleBinding('kube-public-sa', 'cluster-admin', [{ kind: 'ServiceAccount', name: 'reader', namespace: 'kube-public' }]),
          clusterRoleBinding('sa-as-user', 'cluster-admin', [{ kind: 'User', name: 'system:serviceaccount:argocd:argocd-application-controller' }]),
          clusterRoleBinding('all-kube-system-sas', 'cluster-admin', [{ kind: 'Group', name: 'system:serviceaccounts:kube-system' }]),
        ],
        { [KINDS.RoleBinding]: 'ok' },
      ),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => f.resource.name)).toEqual(['sa-as-user']);
    expect(outcome.findings[0]!.evidence).toContain('service account of namespace argocd');
  });

  it('is unknown when RoleBindings could not be listed', () => {
    const outcome = evaluate(check, inventoryOf(kubeadmBindings().slice(0, 2), { [KINDS.RoleBinding]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/RoleBinding\.rbac\.authorization\.k8s\.io.*forbidden/);
  });

  it('is unknown when a snapshot has no ClusterRoleBindings', () => {
    const outcome = evaluate(check, inventoryOf([], { [KINDS.RoleBinding]: 'ok' }));
    expect(outcome.status).toBe('unknown');
  });
});
