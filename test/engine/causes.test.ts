/**
 * One root cause, one finding (src/engine/causes.ts, CheckMeta.explainedBy and requires in
 * run.ts): a finding whose causes a check where they belong reports already is folded into that
 * finding; a check whose premise fails is not applicable.
 */
import { describe, expect, it } from '@jest/globals';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { explainResults } from '../../src/engine/causes.js';
import { defineCheck, type Check, type CheckMeta, type Finding, type Outcome } from '../../src/engine/check.js';
import { runChecks, type CheckResult } from '../../src/engine/run.js';
import { checkScore } from '../../src/engine/score.js';
import { KINDS } from '../../src/k8s/kinds.js';
import type { ResourceRef } from '../../src/k8s/object.js';
import { inventoryOf } from '../support/inventory.js';

const admission: ResourceRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kyverno', name: 'kyverno-admission-controller' };
const reports: ResourceRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kyverno', name: 'kyverno-reports-controller' };
const blog: ResourceRef = { apiVersion: 'v1', kind: 'Namespace', name: 'blog' };

function fakeCheck(id: string, extra: Partial<CheckMeta>, outcome: () => Outcome): Check {
  return defineCheck({
    meta: {
      id,
      title: id,
      category: 'die',
      severity: 'medium',
      rationale: 'r',
      remediation: 'r',
      references: ['https://example.org/'],
      reads: [],
      messages: { m: '{what}' },
      ...extra,
    },
    evaluate: () => outcome(),
  });
}

function finding(resource: ResourceRef, field: string, what: string, causes?: Finding['causes']): Finding {
  return { messageId: 'm', data: { what }, resource, field, evidence: '1', verify: 'kubectl get x', ...(causes ? { causes } : {}) };
}

function failing(...findings: Finding[]): Outcome {
  return { status: 'fail', subjects: findings.map((f) => ({ resource: f.resource, verdict: 'fail' as const })), findings };
}

function run(checks: Check[]): CheckResult[] {
  return runChecks({ inventory: inventoryOf([]), checks, catalogs: loadBuiltinCatalogs(), systemNamespaces: new Set() });
}

const byId = (results: CheckResult[], id: string): CheckResult => results.find((r) => r.check.meta.id === id)!;
const standing = (r: CheckResult): Finding[] => (r.outcome.status === 'fail' || r.outcome.status === 'pass' ? r.outcome.findings : []);

describe('explainResults: one root cause, one finding', () => {
  // PE-04 and DIE-01 as they meet on the demo fixture: the same Deployment's spec.replicas.
  const replicas = (ref: ResourceRef): Finding['causes'] => [{ resource: ref, key: 'spec.replicas' }];
  const pe04 = fakeCheck('PE-04', {}, () => failing(finding(admission, 'spec.replicas', 'admission controller has 1 replica', replicas(admission))));
  const die01 = fakeCheck('DIE-01', { explainedBy: ['PE-04'] }, () =>
    failing(
      finding(admission, 'spec.replicas', 'admission runs 1 replica', replicas(admission)),
      finding(reports, 'spec.replicas', 'reports runs 1 replica', replicas(reports)),
    ),
  );

  it('folds the finding whose cause the declared check reports, keeps the others, and scores the subject as before', () => {
    const results = explainResults(run([die01, pe04]));
    const die = byId(results, 'DIE-01');
    expect(standing(die).map((f) => f.resource.name)).toEqual(['kyverno-reports-controller']);
    expect(die.explained?.map((e) => [e.finding.resource.name, e.by])).toEqual([['kyverno-admission-controller', ['PE-04']]]);
    expect(die.outcome.status).toBe('fail');
    expect(checkScore(die.outcome)).toBe(0);
    const pe = byId(results, 'PE-04');
    expect([...(pe.explains?.values() ?? [])]).toEqual([['DIE-01']]);
  });

  it('shares no cause a finding does not name: two facts about one field stay two findings', () => {
    const image: ResourceRef = { kind: 'Deployment', namespace: 'shop', name: 'web' };
    const img01 = fakeCheck('IMG-01', { severity: 'high' }, () => failing(finding(image, 'spec.template.spec.containers[0].image', 'full base image')));
    const img02 = fakeCheck('IMG-02', { explainedBy: ['IMG-01'] }, () => failing(finding(image, 'spec.template.spec.containers[0].image', 'tag latest')));
    const results = explainResults(run([img01, img02]));
    expect(standing(byId(results, 'IMG-02'))).toHaveLength(1);
  });

  it('leaves every finding standing when the check where the cause belongs did not run', () => {
    const results = explainResults(run([die01]));
    expect(standing(byId(results, 'DIE-01'))).toHaveLength(2);
    expect(byId(results, 'DIE-01').explained).toBeUndefined();
  });

  it('explains nothing by a finding that does not stand (waived, or the check passed)', () => {
    const passing = fakeCheck('PE-04', {}, () => ({ status: 'pass', subjects: [{ resource: admission, verdict: 'pass' }], findings: [] }));
    const results = explainResults(run([die01, passing]));
    expect(standing(byId(results, 'DIE-01'))).toHaveLength(2);
  });

  it('folds a finding only when every one of its causes is reported; a partly explained one stands whole', () => {
    const np02 = fakeCheck('NP-02', { severity: 'high' }, () =>
      failing(finding(blog, 'networkpolicies', 'no policy for Ingress', [{ resource: blog, key: 'networkpolicy:none:Ingress' }])),
    );
    const np04 = fakeCheck('NP-04', { explainedBy: ['NP-02'] }, () =>
      failing(
        finding(blog, 'networkpolicies', 'pods open', [
          { resource: blog, key: 'networkpolicy:none:Ingress' },
          { resource: blog, key: 'networkpolicy:pods-not-isolated:Egress' },
        ]),
      ),
    );
    const results = explainResults(run([np02, np04]));
    expect(standing(byId(results, 'NP-04'))).toHaveLength(1);
    expect(byId(results, 'NP-02').explains).toBeUndefined();
  });

  it('follows the checks a declared check names in turn: NP-04 → NP-03 → NP-02', () => {
    const none = (d: string): { resource: ResourceRef; key: string } => ({ resource: blog, key: `networkpolicy:none:${d}` });
    const np02 = fakeCheck('NP-02', { severity: 'high' }, () => failing(finding(blog, 'f', 'no policy at all', [none('Ingress'), none('Egress')])));
    const np03 = fakeCheck('NP-03', { explainedBy: ['NP-02'] }, () => failing(finding(blog, 'f', 'no egress policy', [none('Egress')])));
    const np04 = fakeCheck('NP-04', { explainedBy: ['NP-03'] }, () => failing(finding(blog, 'f', 'egress open', [none('Egress')])));
    const results = explainResults(run([np04, np03, np02]));
    expect(byId(results, 'NP-03').explained?.[0]?.by).toEqual(['NP-02']);
    expect(byId(results, 'NP-04').explained?.[0]?.by).toEqual(['NP-02']);
    expect([...(byId(results, 'NP-02').explains?.values() ?? [])]).toEqual([['NP-03', 'NP-04']]);
  });
});

describe('CheckMeta.requires: a check whose premise fails is not applicable', () => {
  const cni = (status: 'pass' | 'fail') =>
    fakeCheck('NP-01', { category: 'network', severity: 'critical', messages: { m: '{what}' } }, () =>
      status === 'fail'
        ? failing(finding({ kind: 'DaemonSet', namespace: 'kube-flannel', name: 'kube-flannel-ds' }, 'metadata.name', 'Flannel does not enforce NetworkPolicy'))
        : { status: 'pass', subjects: [{ resource: { kind: 'DaemonSet', name: 'cilium' }, verdict: 'pass' }], findings: [] },
    );
  let evaluated = 0;
  const np02 = fakeCheck('NP-02', { category: 'network', requires: { check: 'NP-01', because: 'NetworkPolicy has no effect' } }, () => {
    evaluated++;
    return failing(finding(blog, 'f', 'no default deny'));
  });

  it('is not applicable with the premise check and its finding as the reason, without being evaluated', () => {
    evaluated = 0;
    const outcome = byId(run([np02, cni('fail')]), 'NP-02').outcome;
    expect(outcome).toEqual({
      status: 'not-applicable',
      reason: 'NetworkPolicy has no effect (NP-01 fails: Flannel does not enforce NetworkPolicy)',
    });
    expect(evaluated).toBe(0);
  });

  it('decides the premise with a required check that was not selected, without reporting it', () => {
    const results = runChecks({
      inventory: inventoryOf([]),
      checks: [np02],
      premises: [cni('fail')],
      catalogs: loadBuiltinCatalogs(),
      systemNamespaces: new Set(),
    });
    expect(results.map((r) => [r.check.meta.id, r.outcome.status, r.failedPremise?.check])).toEqual([['NP-02', 'not-applicable', 'NP-01']]);
  });

  it('stays unknown when its own kinds could not be read, premise or not', () => {
    const reader = fakeCheck(
      'NP-02',
      { category: 'network', reads: [KINDS.NetworkPolicy], requires: { check: 'NP-01', because: 'NetworkPolicy has no effect' } },
      () => failing(finding(blog, 'f', 'no default deny')),
    );
    const results = runChecks({
      inventory: inventoryOf([], { [KINDS.NetworkPolicy]: 'forbidden' }),
      checks: [reader, cni('fail')],
      catalogs: loadBuiltinCatalogs(),
      systemNamespaces: new Set(),
    });
    expect(byId(results, 'NP-02').outcome.status).toBe('unknown');
    expect(byId(results, 'NP-02').failedPremise).toBeUndefined();
  });

  it('is evaluated when the premise passes or did not run, and results keep the id order', () => {
    const results = run([np02, cni('pass')]);
    expect(results.map((r) => r.check.meta.id)).toEqual(['NP-01', 'NP-02']);
    expect(byId(results, 'NP-02').outcome.status).toBe('fail');
    expect(byId(run([np02]), 'NP-02').outcome.status).toBe('fail');
  });
});
