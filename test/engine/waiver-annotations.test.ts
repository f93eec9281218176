/**
 * The `kposture.io/waive` annotation: its grammar, read strictly (a line that does not follow it
 * waives nothing and is a problem naming the object and line), and its reading from the
 * inventory, through the slim projection that live audits and snapshots use.
 */
import { describe, expect, it } from '@jest/globals';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { annotationWaivers, parseWaiverAnnotation } from '../../src/engine/waiver-annotations.js';
import { WAIVER_ANNOTATION } from '../../src/engine/waiver-model.js';
import { KINDS } from '../../src/k8s/kinds.js';
import type { K8sObject, ResourceRef } from '../../src/k8s/object.js';
import { LAST_APPLIED_ANNOTATION, slimProjection } from '../../src/k8s/slim.js';
import { inventoryOf } from '../support/inventory.js';
import { daemonSet, podOf } from '../checks/die/objects.js';

const KNOWN = BUILTIN_CHECKS.map((c) => c.meta.id);
const EXPORTER: ResourceRef = { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'monitoring', name: 'node-exporter' };
const parse = (value: string, allowPermanent = false) => parseWaiverAnnotation(value, EXPORTER, { knownChecks: KNOWN, allowPermanent });

describe('the waiver annotation grammar', () => {
  it('reads the documented example', () => {
    const { waivers, problems } = parse('DIE-03: node-exporter needs hostPath /proc; owner=sre; expires=2027-06-30');
    expect(problems).toEqual([]);
    expect(waivers).toEqual([
      {
        checks: ['DIE-03'],
        reason: 'node-exporter needs hostPath /proc',
        owner: 'sre',
        expires: '2027-06-30',
        origin: { source: 'annotation', resource: EXPORTER, line: 1 },
        subject: { type: 'object', ref: EXPORTER },
      },
    ]);
  });

  it('reads one waiver per line, skipping blank lines and counting lines as written (CRLF too)', () => {
    const value =
      '\nDIE-03: reads /proc; expires=2027-06-30\r\n\n  img-02 , IMG-03 : vendor chart pins tags: see upstream; link=https://github.com/prometheus/node_exporter/issues/1; expires=2027-01-31  \n';
    const { waivers, problems } = parse(value);
    expect(problems).toEqual([]);
    expect(waivers.map((w) => [w.origin.source === 'annotation' && w.origin.line, w.checks, w.reason, w.link ?? null])).toEqual([
      [2, ['DIE-03'], 'reads /proc', null],
      [4, ['IMG-02', 'IMG-03'], 'vendor chart pins tags: see upstream', 'https://github.com/prometheus/node_exporter/issues/1'],
    ]);
  });

  it('accepts a line without expires only when permanent waivers are allowed', () => {
    expect(parse('DIE-03: reads /proc; owner=sre').problems.map((p) => p.problem)).toEqual([
      'expires=YYYY-MM-DD is required (or run with --allow-permanent-waivers)',
    ]);
    expect(parse('DIE-03: reads /proc; owner=sre', true).waivers.map((w) => w.expires ?? 'permanent')).toEqual(['permanent']);
  });

  it.each([
    ['no colon', 'DIE-03 reads /proc; expires=2027-06-30', /no check id before a colon/],
    ['an empty check id', 'DIE-03,: reads /proc; expires=2027-06-30', /an empty check id/],
    ['an unknown check id', 'DIE-3: reads /proc; expires=2027-06-30', /unknown check id "DIE-3"/],
    ['an empty reason', 'DIE-03: ; expires=2027-06-30', /the reason is empty/],
    ['an attribute without =', 'DIE-03: reads /proc; sre', /expected key=value after ";", got "sre"/],
    ['a trailing semicolon', 'DIE-03: reads /proc; expires=2027-06-30;', /expected key=value after ";", got ""/],
    ['an unknown key', 'DIE-03: reads /proc; until=2027-06-30', /unknown key "until" \(owner, expires or link\)/],
    ['a key given twice', 'DIE-03: reads /proc; owner=sre; owner=ops; expires=2027-06-30', /owner is given twice/],
    ['a key without a value', 'DIE-03: reads /proc; owner=; expires=2027-06-30', /owner has no value/],
    ['a date that does not exist', 'DIE-03: reads /proc; expires=2027-02-30', /expires "2027-02-30" is not a date YYYY-MM-DD/],
    ['a date in another format', 'DIE-03: reads /proc; expires=30.06.2027', /expires "30.06.2027" is not a date/],
  ])('rejects %s, naming the object and line, and waives nothing', (_name, value, problem) => {
    const { waivers, problems } = parse(`DIE-02: fine; expires=2027-06-30\n${value}`);
    expect(waivers.map((w) => w.checks)).toEqual([['DIE-02']]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ resource: EXPORTER, line: 2, text: value.trim() });
    expect(problems[0]!.problem).toMatch(problem);
  });

  it('quotes at most 120 characters of a line it rejects', () => {
    const { problems } = parse(`${'X'.repeat(5000)}: y`);
    expect(problems[0]!.text.length).toBeLessThanOrEqual(120);
    expect(problems[0]!.problem.length).toBeLessThan(200);
  });
});

describe('waiver annotations in the inventory', () => {
  const annotated = (obj: K8sObject, value: string): K8sObject => ({
    ...obj,
    metadata: { ...(obj.metadata as object), annotations: { [WAIVER_ANNOTATION]: value } },
  });

  it('are read from every kind, with the object named by its kind, sorted by object', () => {
    const ds = daemonSet('monitoring', 'node-exporter');
    const objects = [
      annotated(podOf(ds, 'x7k2p'), 'DIE-03: reads /proc; expires=2027-06-30'),
      annotated(ds, 'DIE-03: reads /proc; expires=2027-06-30\nnot a waiver'),
      annotated(
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'capsule-manager-rolebinding' } },
        'MT-05: Capsule; expires=2027-06-30',
      ),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring', annotations: { other: 'x' } } },
    ];
    const { waivers, problems } = annotationWaivers(inventoryOf(objects), { knownChecks: KNOWN, allowPermanent: false });
    expect(waivers.map((w) => (w.subject.type === 'object' ? `${w.subject.ref.kind}/${w.subject.ref.name}` : '?'))).toEqual([
      'ClusterRoleBinding/capsule-manager-rolebinding',
      'DaemonSet/node-exporter',
      'Pod/node-exporter-x7k2p',
    ]);
    expect(problems.map((p) => [p.resource.kind, p.line])).toEqual([['DaemonSet', 2]]);
  });

  it('survive the slim projection of every kind, where last-applied-configuration does not', () => {
    const value = 'MT-05: accepted; expires=2027-06-30';
    const project = slimProjection();
    for (const id of [
      KINDS.Pod,
      KINDS.Deployment,
      KINDS.ReplicaSet,
      KINDS.StatefulSet,
      KINDS.DaemonSet,
      KINDS.Job,
      KINDS.CronJob,
      KINDS.Node,
      KINDS.Namespace,
      KINDS.NetworkPolicy,
      KINDS.ClusterRoleBinding,
      KINDS.ValidatingWebhookConfiguration,
    ]) {
      const obj = { metadata: { name: 'x', namespace: 'y', annotations: { [WAIVER_ANNOTATION]: value, [LAST_APPLIED_ANNOTATION]: '{}' } }, spec: {} };
      const annotations = (project(id, obj).metadata as { annotations?: Record<string, string> }).annotations;
      expect([id, annotations]).toEqual([id, { [WAIVER_ANNOTATION]: value }]);
    }
  });
});
