/**
 * RBAC bindings and the subjects they grant to: which identities belong to Kubernetes and the
 * platform (control-plane components, the built-in superuser group, service accounts of system
 * namespaces, the few admin identities an installer binds by default) and which belong to people,
 * tools or everyone. Pure functions over listed objects.
 */
import { asArray, asRecord, asString, field, namespaceOf, type K8sObject } from './object.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface RbacSubject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

function roleRefOf(binding: K8sObject): RoleRef | undefined {
  const r = asRecord(field(binding, 'roleRef'));
  const kind = asString(r.kind);
  const name = asString(r.name);
  if (!kind || !name) return undefined;
  return { apiGroup: asString(r.apiGroup) ?? '', kind, name };
}

/** True when the binding grants the ClusterRole `name` (a RoleBinding may refer to a ClusterRole too). */
export function bindsClusterRole(binding: K8sObject, name: string): boolean {
  const ref = roleRefOf(binding);
  return ref !== undefined && ref.kind === 'ClusterRole' && ref.name === name && (ref.apiGroup === RBAC_GROUP || ref.apiGroup === '');
}

/** The binding's subjects; a ServiceAccount without a namespace takes the RoleBinding's namespace. */
export function subjectsOf(binding: K8sObject): RbacSubject[] {
  const out: RbacSubject[] = [];
  for (const raw of asArray(field(binding, 'subjects'))) {
    const s = asRecord(raw);
    const kind = asString(s.kind);
    const name = asString(s.name);
    if (!kind || !name) continue;
    const namespace = asString(s.namespace) || (kind === 'ServiceAccount' ? namespaceOf(binding) : undefined);
    out.push(namespace ? { kind, name, namespace } : { kind, name });
  }
  return out;
}

export function describeSubject(s: RbacSubject): string {
  return s.kind === 'ServiceAccount' ? `ServiceAccount ${s.namespace ?? '?'}/${s.name}` : `${s.kind} ${s.name}`;
}

/**
 * An admin binding an installer creates and keeps, recognised by binding name AND subject
 * (a name alone could be reused by anyone who can create bindings).
 */
export interface PlatformAdminBinding {
  platform: string;
  binding: string;
  subject: { kind: string; name: string };
  why: string;
  source: string;
}

const PLATFORM_ADMIN_BINDINGS: readonly PlatformAdminBinding[] = [
  {
    platform: 'kubeadm 1.29+',
    binding: 'kubeadm:cluster-admins',
    subject: { kind: 'Group', name: 'kubeadm:cluster-admins' },
    why:
      'the group of the admin.conf credential kubeadm writes (O=kubeadm:cluster-admins); membership needs a client ' +
      'certificate signed by the cluster CA, and kubeadm moved admin.conf here from system:masters so that it can be revoked',
    source: 'https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/create-cluster-kubeadm/',
  },
  {
    platform: 'Amazon EKS',
    binding: 'eks:addon-cluster-admin',
    subject: { kind: 'User', name: 'eks:addon-manager' },
    why: 'the identity EKS uses to install and update managed add-ons',
    source: 'https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html',
  },
];

export type SystemReason = 'superuser-group' | 'component' | 'system-service-account' | 'platform-default';
export type NonSystemReason = 'everyone' | 'nodes' | 'bootstrap' | 'service-account' | 'user' | 'group' | 'other';

export type SubjectClass = { system: true; reason: SystemReason; note: string } | { system: false; reason: NonSystemReason; note: string };

export interface BindingContext {
  bindingKind: 'ClusterRoleBinding' | 'RoleBinding';
  bindingName: string;
  isSystemNamespace(name: string | undefined): boolean;
}

/** Groups every authenticated (or unauthenticated) caller is in: binding them grants everyone. */
const EVERYONE_GROUPS = new Set(['system:authenticated', 'system:unauthenticated', 'system:serviceaccounts']);
const SA_USER_PREFIX = 'system:serviceaccount:';
const SA_GROUP_PREFIX = 'system:serviceaccounts:';

/**
 * Whether a subject is a system identity. The rules, in order:
 * 1. ServiceAccounts (also as `system:serviceaccount:<ns>:<name>` users, and the
 *    `system:serviceaccounts:<ns>` group) are system only in a system namespace.
 * 2. `system:anonymous`, `system:authenticated`, `system:unauthenticated`, `system:serviceaccounts`
 *    stand for everyone: never system.
 * 3. Node credentials (`system:nodes`, `system:node:<name>`) and bootstrap tokens
 *    (`system:bootstrappers[:…]`, `system:bootstrap:<id>`) live on nodes that run tenant pods or are
 *    handed out to join nodes: not system for cluster-admin.
 * 4. `system:masters` is the built-in superuser group; any other `system:` user or group is a
 *    control-plane component (Kubernetes reserves the prefix).
 * 5. A binding in PLATFORM_ADMIN_BINDINGS, matched by name and subject, is a platform default.
 * Everything else is a person, a tool or a group of them.
 */
export function classifySubject(subject: RbacSubject, ctx: BindingContext): SubjectClass {
  const { kind, name } = subject;
  if (kind === 'ServiceAccount') return serviceAccountClass(subject.namespace, name, ctx);
  if (kind === 'User' && name.startsWith(SA_USER_PREFIX)) {
    const [ns, sa] = name.slice(SA_USER_PREFIX.length).split(':');
    return serviceAccountClass(ns, sa ?? '', ctx);
  }
  if (kind === 'Group' && name.startsWith(SA_GROUP_PREFIX)) {
    const ns = name.slice(SA_GROUP_PREFIX.length);
    return ctx.isSystemNamespace(ns)
      ? { system: true, reason: 'system-service-account', note: `every service account of system namespace ${ns}` }
      : { system: false, reason: 'service-account', note: `every service account of namespace ${ns}` };
  }
  if ((kind === 'Group' && EVERYONE_GROUPS.has(name)) || (kind === 'User' && name === 'system:anonymous')) {
    return { system: false, reason: 'everyone', note: `${name} includes every ${name === 'system:serviceaccounts' ? 'service account' : 'caller'}` };
  }
  if ((kind === 'Group' && name === 'system:nodes') || (kind === 'User' && name.startsWith('system:node:'))) {
    return { system: false, reason: 'nodes', note: 'node credentials sit on machines that run tenant pods' };
  }
  if (
    (kind === 'Group' && (name === 'system:bootstrappers' || name.startsWith('system:bootstrappers:'))) ||
    (kind === 'User' && name.startsWith('system:bootstrap:'))
  ) {
    return { system: false, reason: 'bootstrap', note: 'bootstrap tokens are handed out to join nodes' };
  }
  if (kind === 'Group' && name === 'system:masters') {
    return { system: true, reason: 'superuser-group', note: 'built-in superuser group (the API server grants it everything, with or without this binding)' };
  }
  if ((kind === 'User' || kind === 'Group') && name.startsWith('system:')) {
    return { system: true, reason: 'component', note: 'system: names are reserved for Kubernetes components' };
  }
  const platform = PLATFORM_ADMIN_BINDINGS.find(
    (p) => ctx.bindingKind === 'ClusterRoleBinding' && p.binding === ctx.bindingName && p.subject.kind === kind && p.subject.name === name,
  );
  if (platform) return { system: true, reason: 'platform-default', note: `${platform.platform}: ${platform.why}` };
  if (kind === 'User') return { system: false, reason: 'user', note: 'a user' };
  if (kind === 'Group') return { system: false, reason: 'group', note: 'a group of users' };
  return { system: false, reason: 'other', note: `subject kind ${kind}` };
}

function serviceAccountClass(namespace: string | undefined, name: string, ctx: BindingContext): SubjectClass {
  return ctx.isSystemNamespace(namespace)
    ? { system: true, reason: 'system-service-account', note: `service account ${name} of system namespace ${namespace ?? ''}` }
    : { system: false, reason: 'service-account', note: `service account of namespace ${namespace ?? '(none)'}` };
}
