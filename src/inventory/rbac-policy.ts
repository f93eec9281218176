import { isForbiddenKind, kindSpec, type KindId } from '../k8s/kinds.js';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

export interface Subject {
  kind: 'ServiceAccount' | 'User' | 'Group';
  name: string;
  namespace?: string;
}

/** Discovery and version endpoints the live collector reads before listing. */
const DISCOVERY_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/version'];

/**
 * The least-privilege, read-only ClusterRole for the given kinds: `list` on exactly those
 * resources (no wildcards, no Secrets, no write verbs) plus `get` on discovery. A dynamic kind
 * (KindSpec.dynamic: Gatekeeper constraints) has no fixed resource name: it is granted as `*` of
 * its own group only.
 */
export function readOnlyRules(kinds: KindId[]): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const id of kinds) {
    const spec = kindSpec(id);
    if (!spec || isForbiddenKind(spec.group, spec.resource)) continue;
    const set = byGroup.get(spec.group) ?? new Set<string>();
    set.add(spec.resource);
    byGroup.set(spec.group, set);
  }
  const rules: PolicyRule[] = [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en'))
    .map(([group, resources]) => ({ apiGroups: [group], resources: [...resources].sort(), verbs: ['list'] }));
  rules.push({ nonResourceURLs: DISCOVERY_URLS, verbs: ['get'] });
  return rules;
}

export function readOnlyRbacObjects(kinds: KindId[], name: string, subject: Subject): object[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels: { 'app.kubernetes.io/name': 'kposture' } },
      rules: readOnlyRules(kinds),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels: { 'app.kubernetes.io/name': 'kposture' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [subject.kind === 'ServiceAccount' ? subject : { apiGroup: 'rbac.authorization.k8s.io', ...subject }],
    },
  ];
}
