import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deriveDynamicKinds } from '../../src/inventory/dynamic-kinds.js';
import type { KindCollection } from '../../src/k8s/inventory.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import { KINDS, kindSpec, type KindId } from '../../src/k8s/kinds.js';
import type { K8sObject } from '../../src/k8s/object.js';
import { readOnlyRules } from '../../src/inventory/rbac-policy.js';
import { constraint, constraintTemplate, crd } from '../checks/policy-engine/objects.js';

const ok = (items: K8sObject[]): KindCollection => ({ status: 'ok', items });

function derive(entries: [KindId, KindCollection][]): KindCollection | undefined {
  const map = new Map<KindId, KindCollection>(entries);
  deriveDynamicKinds(map);
  return map.get(KINDS.GatekeeperConstraint);
}

describe('Gatekeeper constraints as one dynamic kind', () => {
  it('is declared as every kind of constraints.gatekeeper.sh, defined by ConstraintTemplates', () => {
    expect(kindSpec(KINDS.GatekeeperConstraint)).toMatchObject({
      group: 'constraints.gatekeeper.sh',
      kind: '*',
      resource: '*',
      dynamic: { definedBy: KINDS.GatekeeperConstraintTemplate, kindPath: ['spec', 'crd', 'spec', 'names', 'kind'] },
    });
  });

  it('merges every constraint kind the templates name, once each was listed', () => {
    const c = derive([
      [KINDS.GatekeeperConstraintTemplate, ok([constraintTemplate('K8sRequiredLabels'), constraintTemplate('K8sAllowedRepos')])],
      ['K8sRequiredLabels.constraints.gatekeeper.sh', ok([constraint('K8sRequiredLabels', 'ns-must-have-owner')])],
      ['K8sAllowedRepos.constraints.gatekeeper.sh', ok([])],
      ['ClusterPolicy.kyverno.io', ok([{ kind: 'ClusterPolicy', metadata: { name: 'unrelated' } }])],
    ]);
    expect(c?.status).toBe('ok');
    expect(c?.items.map((o) => (o.metadata as { name: string }).name)).toEqual(['ns-must-have-owner']);
  });

  it('is missing, naming the kind, when a template’s constraint kind was not listed', () => {
    const c = derive([
      [KINDS.GatekeeperConstraintTemplate, ok([constraintTemplate('K8sRequiredLabels'), constraintTemplate('K8sAllowedRepos')])],
      ['K8sRequiredLabels.constraints.gatekeeper.sh', ok([])],
    ]);
    expect(c).toEqual({ status: 'missing', items: [], reason: 'K8sAllowedRepos.constraints.gatekeeper.sh was not listed' });
  });

  it('takes the worst status of a failed list, with its reason', () => {
    const c = derive([
      [KINDS.GatekeeperConstraintTemplate, ok([constraintTemplate('K8sRequiredLabels')])],
      ['K8sRequiredLabels.constraints.gatekeeper.sh', { status: 'forbidden', items: [], reason: 'k8srequiredlabels is forbidden' }],
    ]);
    expect(c).toMatchObject({ status: 'forbidden', reason: 'K8sRequiredLabels.constraints.gatekeeper.sh forbidden (k8srequiredlabels is forbidden)' });
  });

  it('learns constraint kinds from the CRDs when templates were not listed', () => {
    const c = derive([
      [
        KINDS.CustomResourceDefinition,
        ok([crd('constraints.gatekeeper.sh', 'K8sRequiredLabels', 'k8srequiredlabels'), crd('kyverno.io', 'ClusterPolicy', 'clusterpolicies')]),
      ],
    ]);
    expect(c?.status).toBe('missing');
    expect(c?.reason).toBe('K8sRequiredLabels.constraints.gatekeeper.sh was not listed');
  });

  it('is not served when Gatekeeper is not installed, and ok-empty when it has no template', () => {
    expect(
      derive([
        [KINDS.GatekeeperConstraintTemplate, { status: 'not-served', items: [] }],
        [KINDS.CustomResourceDefinition, ok([])],
      ])?.status,
    ).toBe('not-served');
    expect(derive([[KINDS.GatekeeperConstraintTemplate, ok([])]])).toEqual({ status: 'ok', items: [] });
  });

  it('stays missing with a reason when nothing shows which kinds exist', () => {
    const c = derive([['K8sRequiredLabels.constraints.gatekeeper.sh', ok([constraint('K8sRequiredLabels', 'x')])]]);
    expect(c?.status).toBe('missing');
    expect(c?.reason).toMatch(/neither ConstraintTemplate.templates.gatekeeper.sh nor CustomResourceDefinitions were listed/);
  });

  it('keeps a status already known (a snapshot annotation) when nothing else says more', () => {
    const map = new Map<KindId, KindCollection>([[KINDS.GatekeeperConstraint, { status: 'not-served', items: [] }]]);
    deriveDynamicKinds(map);
    expect(map.get(KINDS.GatekeeperConstraint)?.status).toBe('not-served');
  });

  it('needs list on every resource of the one group in the generated ClusterRole', () => {
    expect(readOnlyRules([KINDS.GatekeeperConstraint])).toContainEqual({ apiGroups: ['constraints.gatekeeper.sh'], resources: ['*'], verbs: ['list'] });
  });
});

describe('snapshot loader derives the constraint aggregate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kposture-constraints-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('from `kubectl get constrainttemplates,constraints,crd -o yaml` style lists, locating each constraint', () => {
    writeFileSync(
      path.join(dir, 'gatekeeper.yaml'),
      [
        'apiVersion: v1',
        'kind: List',
        'items:',
        '- apiVersion: apiextensions.k8s.io/v1',
        '  kind: CustomResourceDefinition',
        '  metadata: {name: constrainttemplates.templates.gatekeeper.sh}',
        '  spec: {group: templates.gatekeeper.sh, names: {kind: ConstraintTemplate, plural: constrainttemplates}}',
        '- apiVersion: apiextensions.k8s.io/v1',
        '  kind: CustomResourceDefinition',
        '  metadata: {name: k8srequiredlabels.constraints.gatekeeper.sh}',
        '  spec: {group: constraints.gatekeeper.sh, names: {kind: K8sRequiredLabels, plural: k8srequiredlabels}}',
        '- apiVersion: templates.gatekeeper.sh/v1',
        '  kind: ConstraintTemplate',
        '  metadata: {name: k8srequiredlabels}',
        '  spec: {crd: {spec: {names: {kind: K8sRequiredLabels}}}}',
        '- apiVersion: constraints.gatekeeper.sh/v1beta1',
        '  kind: K8sRequiredLabels',
        '  metadata: {name: ns-must-have-owner}',
        '  spec: {enforcementAction: dryrun}',
        '',
      ].join('\n'),
    );
    const inv = loadSnapshot([dir]);
    const c = inv.kinds.get(KINDS.GatekeeperConstraint);
    expect(c?.status).toBe('ok');
    expect(c?.items.map((o) => o.kind)).toEqual(['K8sRequiredLabels']);
    expect(inv.locate({ kind: 'K8sRequiredLabels', name: 'ns-must-have-owner' })?.uri).toMatch(/gatekeeper\.yaml$/);
    // Kyverno's CRDs are absent from the complete CRD list: its kinds are not served.
    expect(inv.kinds.get(KINDS.KyvernoClusterPolicy)?.status).toBe('not-served');
  });

  it('as missing when a template’s constraints are not in the snapshot', () => {
    writeFileSync(
      path.join(dir, 'templates.json'),
      JSON.stringify({ apiVersion: 'templates.gatekeeper.sh/v1', kind: 'ConstraintTemplateList', items: [constraintTemplate('K8sAllowedRepos')] }),
    );
    const inv = loadSnapshot([dir]);
    expect(inv.kinds.get(KINDS.GatekeeperConstraint)).toMatchObject({ status: 'missing', reason: 'K8sAllowedRepos.constraints.gatekeeper.sh was not listed' });
  });
});
