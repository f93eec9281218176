/**
 * Waivers applied to real checks' results (src/engine/waivers.ts): what a waiver matches (kind,
 * namespace and name globs, label selectors, annotations), how grouped findings are judged,
 * what leaves the score, expiry against an injected "today", and which waivers are unused.
 */
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { DEFAULT_SYSTEM_NAMESPACES, validateConfig } from '../../src/config/config.js';
import { configWaivers } from '../../src/config/waivers.js';
import type { Check } from '../../src/engine/check.js';
import { runChecks, type CheckResult } from '../../src/engine/run.js';
import { checkScore } from '../../src/engine/score.js';
import { WAIVER_ANNOTATION, type Waiver } from '../../src/engine/waiver-model.js';
import { waiveResults, type WaivedRun } from '../../src/engine/waivers.js';
import { wildcardToRegExp } from '../../src/util/glob.js';
import type { K8sObject } from '../../src/k8s/object.js';
import { inventoryOf } from '../support/inventory.js';
import { barePod, daemonSet, deployment, hostPathVolume, podOf, replicaSet } from '../checks/die/objects.js';
import { kubeadmUbuntu, talos } from '../checks/host-os/nodes.js';
import { CAPSULE_WAIVER } from '../support/waivers.js';

const KNOWN = BUILTIN_CHECKS.map((c) => c.meta.id);
const TODAY = '2026-12-06';

function check(id: string): Check {
  return BUILTIN_CHECKS.find((c) => c.meta.id === id)!;
}

/** The `waivers:` of a config file, read as the CLI reads them (schema, then ids and selectors). */
function waiversFrom(yaml: string, allowPermanent = false): Waiver[] {
  const data = parse(yaml) as unknown;
  validateConfig(data, '.kposture.yaml');
  return configWaivers(data.waivers ?? [], '.kposture.yaml', { knownChecks: KNOWN, allowPermanent });
}

function audit(objects: K8sObject[], ids: string[], yaml = 'waivers: []', today = TODAY): WaivedRun {
  const inventory = inventoryOf(objects);
  const results = runChecks({ inventory, checks: ids.map(check), catalogs: loadBuiltinCatalogs(), systemNamespaces: new Set(DEFAULT_SYSTEM_NAMESPACES) });
  return waiveResults(results, inventory, { configWaivers: waiversFrom(yaml), knownChecks: KNOWN, allowPermanent: false, today });
}

function result(run: WaivedRun, id: string): CheckResult {
  return run.results.find((r) => r.check.meta.id === id)!;
}

function standing(run: WaivedRun, id: string): string[] {
  const o = result(run, id).outcome;
  return o.status === 'pass' || o.status === 'fail' ? o.findings.map((f) => `${f.resource.kind}/${f.resource.name}`) : [];
}

function waivedNames(run: WaivedRun, id: string): string[] {
  return (result(run, id).waived?.findings ?? []).map((w) => `${w.finding.resource.kind}/${w.finding.resource.name}`);
}

function clusterRoleBinding(
  name: string,
  subjects: Record<string, string>[],
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): K8sObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels, annotations },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects,
  };
}

/** The hardened fixture's two cluster-admin bindings: Capsule's manager and system:masters. */
const CAPSULE = clusterRoleBinding('capsule-manager-rolebinding', [{ kind: 'ServiceAccount', name: 'capsule', namespace: 'capsule-system' }], {
  'app.kubernetes.io/name': 'capsule',
  'app.kubernetes.io/instance': 'capsule',
});
const MASTERS = clusterRoleBinding('cluster-admin', [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }], {
  'kubernetes.io/bootstrapping': 'rbac-defaults',
});
const BINDINGS = [
  CAPSULE,
  MASTERS,
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'x', namespace: 'y' }, roleRef: {}, subjects: [] },
];

describe('waivers on the results of real checks', () => {
  it('waives Capsule’s cluster-admin binding: MT-05 passes, scored on the rest, the finding kept as waived', () => {
    const bare = audit(BINDINGS, ['MT-05']);
    expect(result(bare, 'MT-05').outcome.status).toBe('fail');
    expect(checkScore(result(bare, 'MT-05').outcome)).toBe(50);

    const run = audit(BINDINGS, ['MT-05'], CAPSULE_WAIVER);
    const mt05 = result(run, 'MT-05');
    expect(mt05.outcome.status).toBe('pass');
    expect(checkScore(mt05.outcome)).toBe(100);
    expect(standing(run, 'MT-05')).toEqual([]);
    expect(waivedNames(run, 'MT-05')).toEqual(['ClusterRoleBinding/capsule-manager-rolebinding']);
    const { waiver } = mt05.waived!.findings[0]!;
    expect(waiver.origin).toEqual({ source: 'config', file: '.kposture.yaml', index: 0 });
    expect([waiver.reason, waiver.owner, waiver.expires]).toEqual([
      "Capsule's controller needs cluster-admin to manage tenants",
      'platform-team',
      '2027-06-30',
    ]);
    expect(mt05.waived!.subjects.map((s) => s.resource.name)).toEqual(['capsule-manager-rolebinding']);
    expect(mt05.outcome.status === 'pass' && mt05.outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([['cluster-admin', 'pass']]);
    expect([run.expired, run.unused]).toEqual([[], []]);
  });

  describe('expiry, against the day given', () => {
    it('applies through its expires day and not the day after', () => {
      expect(result(audit(BINDINGS, ['MT-05'], CAPSULE_WAIVER, '2027-06-30'), 'MT-05').outcome.status).toBe('pass');
      const after = audit(BINDINGS, ['MT-05'], CAPSULE_WAIVER, '2027-07-01');
      expect(result(after, 'MT-05').outcome.status).toBe('fail');
      expect(standing(after, 'MT-05')).toEqual(['ClusterRoleBinding/capsule-manager-rolebinding']);
      expect(after.expired.map((w) => [w.origin, w.expires])).toEqual([[{ source: 'config', file: '.kposture.yaml', index: 0 }, '2027-06-30']]);
      // An expired waiver is reported once, as expired, not also as unused.
      expect(after.unused).toEqual([]);
    });

    it('keeps a permanent waiver in force whatever the day', () => {
      const permanent = waiversFrom(CAPSULE_WAIVER.replace('    expires: 2027-06-30\n', ''), true);
      expect(permanent[0]!.expires).toBeUndefined();
      const inventory = inventoryOf(BINDINGS);
      const results = runChecks({ inventory, checks: [check('MT-05')], catalogs: loadBuiltinCatalogs(), systemNamespaces: new Set() });
      const run = waiveResults(results, inventory, { configWaivers: permanent, knownChecks: KNOWN, allowPermanent: true, today: '2099-01-01' });
      expect(result(run, 'MT-05').outcome.status).toBe('pass');
    });
  });

  describe('matching objects', () => {
    const one = (fields: string): string => `waivers:\n  - check: MT-05\n${fields}    reason: accepted\n    expires: 2027-06-30\n`;

    it.each([
      ['a name glob', '    name: capsule-*\n'],
      ['a kind in another case', '    kind: clusterrolebinding\n    name: capsule-manager-rolebinding\n'],
      ['a kind glob', '    kind: "*Binding"\n    name: "capsule-manager-?olebinding"\n'],
      ['a label selector', '    selector:\n      matchLabels: { app.kubernetes.io/name: capsule }\n'],
      ['a selector expression', '    selector:\n      matchExpressions: [{ key: app.kubernetes.io/instance, operator: In, values: [capsule, capsule-ha] }]\n'],
    ])('matches with %s', (_name, fields) => {
      const run = audit(BINDINGS, ['MT-05'], one(fields));
      expect(waivedNames(run, 'MT-05')).toEqual(['ClusterRoleBinding/capsule-manager-rolebinding']);
      expect(run.unused).toEqual([]);
    });

    it.each([
      ['a name without a glob is the whole name', '    name: capsule\n'],
      ['names are case-sensitive', '    name: Capsule-*\n'],
      ['another kind', '    kind: RoleBinding\n    name: capsule-*\n'],
      ['a namespace never matches a cluster-scoped object', '    namespace: "*"\n'],
      ['a selector the labels do not satisfy', '    selector:\n      matchLabels: { app.kubernetes.io/name: kyverno }\n'],
      ['a selector NotIn that excludes it', '    selector:\n      matchExpressions: [{ key: app.kubernetes.io/name, operator: NotIn, values: [capsule] }]\n'],
    ])('does not match when %s, and reports the waiver unused', (_name, fields) => {
      const run = audit(BINDINGS, ['MT-05'], one(fields));
      expect(waivedNames(run, 'MT-05')).toEqual([]);
      expect(result(run, 'MT-05').outcome.status).toBe('fail');
      expect(run.unused.map((u) => u.waiver.origin)).toEqual([{ source: 'config', file: '.kposture.yaml', index: 0 }]);
    });

    it('takes check ids in any case and keeps the check’s spelling', () => {
      const run = audit(BINDINGS, ['MT-05'], one('    name: capsule-manager-rolebinding\n').replace('check: MT-05', 'check: mt-05'));
      expect(result(run, 'MT-05').waived!.findings[0]!.waiver.checks).toEqual(['MT-05']);
    });

    it('matches globs as whole strings, with regular expression characters taken literally', () => {
      expect(wildcardToRegExp('kube-*').test('kube-system')).toBe(true);
      expect(wildcardToRegExp('kube-*').test('my-kube-system')).toBe(false);
      expect(wildcardToRegExp('a.b').test('axb')).toBe(false);
      expect(wildcardToRegExp('system:*').test('system:masters')).toBe(true);
      expect(wildcardToRegExp('(x)+').test('(x)+')).toBe(true);
    });

    it('records the first of several matching waivers, and counts none of them unused', () => {
      const yaml = `waivers:
  - { check: MT-05, name: "capsule-*", reason: first, expires: 2027-06-30 }
  - { check: MT-05, kind: ClusterRoleBinding, name: capsule-manager-rolebinding, reason: second, expires: 2027-06-30 }
`;
      const run = audit(BINDINGS, ['MT-05'], yaml);
      expect(result(run, 'MT-05').waived!.findings.map((w) => w.waiver.reason)).toEqual(['first']);
      expect(run.unused).toEqual([]);
    });
  });

  describe('findings that group objects', () => {
    const ubuntu = ['worker-a', 'worker-b', 'worker-c'].map((n) => kubeadmUbuntu(n));
    const nodes = [...ubuntu, talos('cp-1')];

    it('waives a group of peers (nodes sharing an OS image) only when every one of them is covered', () => {
      const some = audit(nodes, ['OS-01'], 'waivers:\n  - { check: OS-01, kind: Node, name: worker-a, reason: legacy pool, expires: 2027-06-30 }\n');
      expect(waivedNames(some, 'OS-01')).toEqual([]);
      expect(result(some, 'OS-01').outcome.status).toBe('fail');
      expect(some.unused).toHaveLength(1);
      expect(some.unused[0]!.note).toMatch(/covers only some of the 3 objects of the OS-01 finding on Node\/worker-a/);

      const all = audit(nodes, ['OS-01'], 'waivers:\n  - { check: OS-01, kind: Node, name: "worker-*", reason: legacy pool, expires: 2027-06-30 }\n');
      expect(waivedNames(all, 'OS-01')).toEqual(['Node/worker-a']);
      expect(result(all, 'OS-01').outcome.status).toBe('pass');
      expect(result(all, 'OS-01').waived!.subjects.map((s) => s.resource.name)).toEqual(['worker-a', 'worker-b', 'worker-c']);
      expect(checkScore(result(all, 'OS-01').outcome)).toBe(100);
    });

    const exporter = daemonSet('monitoring', 'node-exporter', { volumes: [hostPathVolume('proc', '/proc')] });
    const exporterPods = ['x7k2p', 'q9d4s'].map((s) => podOf(exporter, s, { volumes: [hostPathVolume('proc', '/proc')] }));
    const api = deployment('shop', 'api', 2, { volumes: [hostPathVolume('data', '/var/lib/api')] });
    const apiRs = replicaSet(api, '6d5f7b9c4');
    const apiPods = ['h2kq9', 'm4xv7'].map((s) => podOf(apiRs, s, { volumes: [hostPathVolume('data', '/var/lib/api')] }));
    const workloads = [exporter, ...exporterPods, api, apiRs, ...apiPods];

    it('waives a finding on a workload by its workload: its pods follow it', () => {
      const run = audit(
        workloads,
        ['DIE-03'],
        'waivers:\n  - { check: DIE-03, kind: DaemonSet, namespace: monitoring, name: node-exporter, reason: reads /proc, expires: 2027-06-30 }\n',
      );
      expect(waivedNames(run, 'DIE-03')).toEqual(['DaemonSet/node-exporter']);
      expect(standing(run, 'DIE-03')).toEqual(['Deployment/api']);
      expect(result(run, 'DIE-03').outcome.status).toBe('fail');
      // The waived workload leaves the score: 1 of 1 scored workloads fails.
      expect(checkScore(result(run, 'DIE-03').outcome)).toBe(0);
      expect(checkScore(result(audit(workloads, ['DIE-03']), 'DIE-03').outcome)).toBe(0);
    });

    it('waives it by its pods when every one of them is covered (the annotation in the pod template)', () => {
      const note = 'DIE-03: node-exporter needs hostPath /proc; owner=sre; expires=2027-06-30';
      const annotated = (pod: K8sObject): K8sObject => ({ ...pod, metadata: { ...(pod.metadata as object), annotations: { [WAIVER_ANNOTATION]: note } } });
      const all = audit([exporter, ...exporterPods.map(annotated), api, apiRs, ...apiPods], ['DIE-03']);
      expect(waivedNames(all, 'DIE-03')).toEqual(['DaemonSet/node-exporter']);
      expect(all.waivers).toHaveLength(2);
      expect(all.unused).toEqual([]);
      const waiver = result(all, 'DIE-03').waived!.findings[0]!.waiver;
      expect(waiver.origin).toEqual({
        source: 'annotation',
        resource: expect.objectContaining({ kind: 'Pod', namespace: 'monitoring', name: 'node-exporter-q9d4s' }),
        line: 1,
      });
      expect([waiver.reason, waiver.owner]).toEqual(['node-exporter needs hostPath /proc', 'sre']);

      const one = audit([exporter, annotated(exporterPods[0]!), exporterPods[1]!, api, apiRs, ...apiPods], ['DIE-03']);
      expect(waivedNames(one, 'DIE-03')).toEqual([]);
      expect(one.unused.map((u) => u.waiver.origin.source)).toEqual(['annotation']);
    });

    it('waives it by an annotation on the workload itself; the same annotation on its pods is then redundant, not unused', () => {
      const value = 'DIE-03: reads /proc; expires=2027-06-30';
      const annotate = (obj: K8sObject): K8sObject => ({ ...obj, metadata: { ...(obj.metadata as object), annotations: { [WAIVER_ANNOTATION]: value } } });
      const run = audit([annotate(exporter), ...exporterPods, api, apiRs, ...apiPods], ['DIE-03']);
      expect(waivedNames(run, 'DIE-03')).toEqual(['DaemonSet/node-exporter']);
      expect(result(run, 'DIE-03').waived!.findings[0]!.waiver.origin).toMatchObject({ resource: { kind: 'DaemonSet', name: 'node-exporter' } });
      const everywhere = audit([annotate(exporter), ...exporterPods.map(annotate), api, apiRs, ...apiPods], ['DIE-03']);
      expect(everywhere.waivers).toHaveLength(3);
      expect(everywhere.unused).toEqual([]);
    });

    it('waives a namespace-level finding by its namespace, or when all the objects it lists are covered', () => {
      // DIE-02 groups the bare pods of a namespace into one finding on the namespace.
      const objects = [barePod('tenant-a', 'legacy'), barePod('tenant-a', 'batch'), deployment('tenant-a', 'db', 3)];
      const one = audit(objects, ['DIE-02'], 'waivers:\n  - { check: DIE-02, kind: Pod, name: legacy, reason: debug pod, expires: 2027-06-30 }\n');
      expect(waivedNames(one, 'DIE-02')).toEqual([]);
      // Still named by the finding that stands, legacy keeps counting.
      expect(result(one, 'DIE-02').waived).toBeUndefined();

      const both = audit(
        objects,
        ['DIE-02'],
        'waivers:\n  - { check: DIE-02, kind: Pod, namespace: tenant-a, name: "*", reason: debug pods, expires: 2027-06-30 }\n',
      );
      expect(waivedNames(both, 'DIE-02')).toEqual(['Namespace/tenant-a']);
      expect(result(both, 'DIE-02').outcome.status).toBe('pass');

      const byNamespace = audit(
        objects,
        ['DIE-02'],
        'waivers:\n  - { check: DIE-02, kind: Namespace, name: tenant-a, reason: dev tenant, expires: 2027-06-30 }\n',
      );
      expect(waivedNames(byNamespace, 'DIE-02')).toEqual(['Namespace/tenant-a']);
      expect(
        result(byNamespace, 'DIE-02')
          .waived!.subjects.map((s) => s.resource.name)
          .sort(),
      ).toEqual(['batch', 'legacy']);
    });
  });

  describe('unused waivers', () => {
    const unusedOf = (objects: K8sObject[], ids: string[], yaml: string): string[] => audit(objects, ids, yaml).unused.map((u) => u.waiver.checks.join(','));

    it('are those whose checks were evaluated and which waived nothing', () => {
      const yaml = 'waivers:\n  - { check: MT-05, name: gone, reason: x, expires: 2027-06-30 }\n';
      expect(unusedOf(BINDINGS, ['MT-05'], yaml)).toEqual(['MT-05']);
    });

    it('are not reported for a check that did not run or could not be evaluated', () => {
      const yaml = 'waivers:\n  - { check: NP-02, namespace: shop, reason: x, expires: 2027-06-30 }\n';
      // NP-02 not selected.
      expect(unusedOf(BINDINGS, ['MT-05'], yaml)).toEqual([]);
      // NP-02 selected but unknown: no pods, no policies in the inventory.
      expect(result(audit(BINDINGS, ['MT-05', 'NP-02'], yaml), 'NP-02').outcome.status).toBe('unknown');
      expect(unusedOf(BINDINGS, ['MT-05', 'NP-02'], yaml)).toEqual([]);
    });
  });

  it('changes nothing when there is no waiver at all', () => {
    const run = audit(BINDINGS, ['MT-05']);
    expect(run.waivers).toEqual([]);
    expect(result(run, 'MT-05').waived).toBeUndefined();
    expect(result(run, 'MT-05').outcome.status).toBe('fail');
  });
});
