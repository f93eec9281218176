/**
 * Table-driven check tests: a folder per case, `test/checks/cases/<CHECK-ID>/<case-name>/`, with
 * `input.yaml` (a snapshot) and `expected.json` (the outcome), run by case-runner.ts. Adding a
 * case is adding those two files. Unit tests beside the check (`<CHECK-ID>.test.ts`) keep what a
 * case cannot say: statuses a snapshot cannot give (forbidden), details, grouped objects.
 */
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { CASES, caseFolders, differences, runCase, type Expected } from './case-runner.js';

const BY_ID = new Map(BUILTIN_CHECKS.map((c) => [c.meta.id, c]));
const folders = caseFolders();

describe('check cases (test/checks/cases/<CHECK-ID>/<case>/)', () => {
  it('finds the cases', () => {
    expect(new Set(folders.map(([id]) => id)).size).toBeGreaterThanOrEqual(3);
  });

  it.each(folders)('%s/%s', (id, name) => {
    const check = BY_ID.get(id);
    if (!check) throw new Error(`test/checks/cases/${id}: no built-in check ${id} (the folder is named after the check id)`);
    runCase(check, path.join(CASES, id, name));
  });
});

describe('the case runner', () => {
  it('says what differs, one line each', () => {
    const actual: Expected = {
      status: 'fail',
      score: 50,
      findings: [{ resource: 'Namespace blog', field: 'metadata.labels', message: 'no label', evidence: 'label absent', verify: 'kubectl get namespace blog' }],
      subjects: ['Namespace blog: fail', 'Namespace shop: pass'],
    };
    expect(differences(actual, actual)).toEqual([]);
    expect(
      differences({ status: 'fail', score: 50, findings: [{ resource: 'Namespace blog', field: 'metadata.labels', message: 'no label' }] }, actual),
    ).toEqual([]);
    expect(
      differences(
        {
          status: 'pass',
          score: 100,
          findings: [{ resource: 'Namespace shop', field: 'metadata.labels', message: 'no label' }],
          subjects: ['Namespace blog: fail'],
        },
        actual,
      ),
    ).toEqual([
      'status: expected pass, got fail',
      'score: expected 100, got 50',
      'finding expected, not reported: {"resource":"Namespace shop","field":"metadata.labels","message":"no label"}',
      'finding reported, not expected: {"resource":"Namespace blog","field":"metadata.labels","message":"no label","evidence":"label absent","verify":"kubectl get namespace blog"}',
      'subject reported, not expected: Namespace shop: pass',
    ]);
    expect(
      differences({ status: 'unknown', reason: 'the snapshot contains no Namespace list' }, { status: 'unknown', reason: 'listing Namespace was forbidden' }),
    ).toEqual(['reason: expected "the snapshot contains no Namespace list", got "listing Namespace was forbidden"']);
  });
});
