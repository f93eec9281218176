import { parseAllDocuments } from 'yaml';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { kindsToCollect } from '../../src/engine/run.js';
import { kindSpec, KINDS } from '../../src/k8s/kinds.js';
import { readOnlyRules } from '../../src/inventory/rbac-policy.js';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

describe('read-only RBAC for kposture', () => {
  it('grants list on exactly the kinds the checks read, grouped by API group, and nothing else', () => {
    const rules = readOnlyRules([KINDS.Pod, KINDS.Namespace, KINDS.NetworkPolicy, KINDS.Deployment]);
    expect(rules).toEqual([
      { apiGroups: [''], resources: ['namespaces', 'pods'], verbs: ['list'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list'] },
      { nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/version'], verbs: ['get'] },
    ]);
  });

  it('never grants Secrets even when asked', () => {
    expect(JSON.stringify(readOnlyRules(['Secret', KINDS.Pod]))).not.toContain('secrets');
  });

  it('`kposture rbac` prints a ClusterRole and binding covering every built-in check, without wildcards or write verbs', async () => {
    let out = '';
    const io: Io = { stdout: (t) => void (out += t), stderr: () => undefined, stdoutIsTTY: false, stderrIsTTY: false, env: {}, cwd: process.cwd() };
    expect(await main(['rbac', '--subject-kind', 'Group', '--subject-name', 'auditors'], io)).toBe(0);
    const docs = parseAllDocuments(out).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs.map((d) => d.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    const rules = docs[0]!.rules as { apiGroups?: string[]; resources?: string[]; verbs: string[] }[];
    const granted = new Set(rules.flatMap((r) => (r.resources ?? []).map((res) => `${r.apiGroups![0]}/${res}`)));
    for (const id of kindsToCollect(BUILTIN_CHECKS)) {
      const spec = kindSpec(id);
      if (spec) expect(granted).toContain(`${spec.group}/${spec.resource}`);
    }
    // A dynamic kind (Gatekeeper constraints: one kind per ConstraintTemplate) can only be granted as every resource of its own group.
    const dynamicGroups = new Set(kindsToCollect(BUILTIN_CHECKS).flatMap((id) => (kindSpec(id)?.dynamic ? [kindSpec(id)!.group] : [])));
    for (const rule of rules) {
      const dynamic = rule.apiGroups?.length === 1 && dynamicGroups.has(rule.apiGroups[0]!);
      if (dynamic) expect(rule.resources).toEqual(['*']);
      for (const value of [...(rule.apiGroups ?? []), ...(dynamic ? [] : (rule.resources ?? [])), ...rule.verbs]) expect(value).not.toContain('*');
      expect(rule.resources ?? []).not.toContain('secrets');
      expect(rule.verbs.every((v) => v === 'list' || v === 'get')).toBe(true);
    }
    expect(docs[1]!.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'auditors' }]);
  });
});
