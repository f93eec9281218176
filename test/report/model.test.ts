import { describe, expect, it } from '@jest/globals';
import { defineCheck, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { nameOf, refOf } from '../../src/k8s/object.js';
import { inventoryOf, namespace } from '../support/inventory.js';
import { reportFor } from './reports.js';

/** One subject per namespace, in the three shapes a check may return. */
const SHAPES_CHECK = defineCheck({
  meta: {
    id: 'T-SHAPES',
    title: 'Namespaces, scored in several ways',
    category: 'multitenancy',
    severity: 'low',
    rationale: 'Test check.',
    remediation: 'None.',
    references: [],
    reads: [KINDS.Namespace],
    messages: {},
  },
  evaluate(ctx) {
    const subjects = ctx.items(KINDS.Namespace).map((ns): Subject => {
      const resource = refOf(ns, 'Namespace');
      switch (nameOf(ns)) {
        case 'partial':
          return { resource, verdict: 'partial', credit: 0.5, details: { why: 'half' } };
        case 'extra':
          // A plugin may add fields of its own: the report shows only its own three.
          return Object.assign({ resource, verdict: 'pass' as const }, { note: 'not shown' });
        case 'null-details':
          // …or empty details, which the report leaves out.
          return { resource, verdict: 'pass', details: null as unknown as Record<string, unknown> };
        default:
          return { resource, verdict: 'pass', details: { pods: 3 } };
      }
    });
    return { status: 'pass', subjects, findings: [] };
  },
});

describe('report subjects', () => {
  const inventory = inventoryOf([namespace('extra'), namespace('null-details'), namespace('partial'), namespace('plain')], { [KINDS.Namespace]: 'ok' });
  const subjects = reportFor(inventory, [SHAPES_CHECK]).checks[0]!.subjects;

  it('show resource, verdict and details only: no credit, nothing a check added', () => {
    expect(subjects.map((s) => ({ ...s }))).toEqual([
      { resource: { apiVersion: 'v1', kind: 'Namespace', name: 'extra' }, verdict: 'pass' },
      { resource: { apiVersion: 'v1', kind: 'Namespace', name: 'null-details' }, verdict: 'pass' },
      { resource: { apiVersion: 'v1', kind: 'Namespace', name: 'partial' }, verdict: 'partial', details: { why: 'half' } },
      { resource: { apiVersion: 'v1', kind: 'Namespace', name: 'plain' }, verdict: 'pass', details: { pods: 3 } },
    ]);
    expect(JSON.stringify(subjects)).not.toMatch(/credit|note|"details":null/);
  });
});
