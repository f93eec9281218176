import { describe, expect, it } from '@jest/globals';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { KINDS } from '../../src/k8s/kinds.js';
import type { K8sObject } from '../../src/k8s/object.js';
import { compareFindings, compareWithBaseline } from '../../src/report/baseline.js';
import { renderJson } from '../../src/report/json.js';
import type { Report } from '../../src/report/model.js';
import { parseReport } from '../../src/report/read.js';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import { inventoryOf, namespace } from '../support/inventory.js';
import { reportFor } from './reports.js';

const MT04 = BUILTIN_CHECKS.find((c) => c.meta.id === 'MT-04')!;
const PSA = 'pod-security.kubernetes.io/enforce';

/** MT-04 over these namespaces, or over a Namespace list RBAC refused (the check is then unknown). */
function audit(namespaces: K8sObject[] | 'forbidden', generatedAt = '2025-03-01T10:00:00.000Z'): Report {
  const inventory = namespaces === 'forbidden' ? inventoryOf([], { [KINDS.Namespace]: 'forbidden' }) : inventoryOf(namespaces);
  return reportFor(inventory, [MT04], { generatedAt });
}

const names = (findings: { resource: { name: string } }[]): string[] => findings.map((f) => f.resource.name);

describe('compareFindings', () => {
  const before = audit([namespace('kube-system'), namespace('blog'), namespace('legacy', { [PSA]: 'privileged' }), namespace('shop', { [PSA]: 'restricted' })]);

  it('marks findings by fingerprint: still there is unchanged, gone is fixed, appeared is new', () => {
    // blog got its label, shop lost its own, legacy is as it was.
    const after = audit([namespace('kube-system'), namespace('blog', { [PSA]: 'baseline' }), namespace('legacy', { [PSA]: 'privileged' }), namespace('shop')]);
    const result = compareFindings(before, after);
    const states = [...result.states].map(([f, state]) => [f.resource.name, state]);
    expect(states).toEqual([
      ['legacy', 'unchanged'],
      ['shop', 'new'],
    ]);
    expect(names(result.fixed)).toEqual(['blog']);
    expect(result.fixed[0]).toMatchObject({ checkId: 'MT-04', severity: 'high', message: 'Namespace blog has no Pod Security Admission enforce label' });
    expect(result.counts).toEqual({ new: 1, unchanged: 1, fixed: 1, unknown: 0 });
    expect(result.notCompared).toEqual([]);
  });

  it('matches on the cause, not the wording or the file: a changed message and location still match', () => {
    const after = structuredClone(before);
    for (const f of after.checks[0]!.findings) {
      f.message = `${f.message} (reworded)`;
      f.location = { uri: 'elsewhere.yaml', startLine: 99 };
    }
    expect(compareFindings(before, after).counts).toEqual({ new: 0, unchanged: 2, fixed: 0, unknown: 0 });
  });

  it('calls a changed cause on the same object one fixed and one new (missing label → weak level)', () => {
    const after = audit([namespace('blog', { [PSA]: 'privileged' }), namespace('legacy', { [PSA]: 'privileged' }), namespace('shop', { [PSA]: 'restricted' })]);
    const result = compareFindings(before, after);
    expect(result.counts).toEqual({ new: 1, unchanged: 1, fixed: 1, unknown: 0 });
  });

  it('does not call findings new when the baseline could not evaluate the check (unknown)', () => {
    const result = compareFindings(audit('forbidden'), before);
    expect([...result.states.values()]).toEqual(['unknown', 'unknown']);
    expect(result.counts).toEqual({ new: 0, unchanged: 0, fixed: 0, unknown: 2 });
    expect(result.notCompared).toEqual([{ checkId: 'MT-04', baselineStatus: 'unknown', status: 'fail', findings: 2, baselineFindings: 0 }]);
  });

  it('does not call findings fixed when this run could not evaluate the check (unknown)', () => {
    const result = compareFindings(before, audit('forbidden'));
    expect(result.fixed).toEqual([]);
    expect(result.counts).toEqual({ new: 0, unchanged: 0, fixed: 0, unknown: 0 });
    expect(result.notCompared).toEqual([{ checkId: 'MT-04', baselineStatus: 'fail', status: 'unknown', findings: 0, baselineFindings: 2 }]);
  });

  it('does not compare a check one run did not run at all (skipped, or new in this version)', () => {
    const notRun = reportFor(inventoryOf([namespace('blog')]), []);
    expect(compareFindings(notRun, before).notCompared).toEqual([
      { checkId: 'MT-04', baselineStatus: 'not-run', status: 'fail', findings: 2, baselineFindings: 0 },
    ]);
    expect(compareFindings(before, notRun).notCompared).toEqual([
      { checkId: 'MT-04', baselineStatus: 'fail', status: 'not-run', findings: 0, baselineFindings: 2 },
    ]);
    expect(compareFindings(before, notRun).fixed).toEqual([]);
  });

  it('treats not-applicable as evaluated: findings after it are new, findings before it fixed', () => {
    const nothingToCheck = audit([namespace('kube-system')]);
    expect(nothingToCheck.checks[0]!.status).toBe('not-applicable');
    expect(compareFindings(nothingToCheck, before).counts).toEqual({ new: 2, unchanged: 0, fixed: 0, unknown: 0 });
    expect(compareFindings(before, nothingToCheck).counts).toEqual({ new: 0, unchanged: 0, fixed: 2, unknown: 0 });
  });
});

describe('compareWithBaseline', () => {
  const validate = compileSchema('report.schema.json');

  it('marks each finding, adds the baseline entry, and the result validates against the schema', () => {
    const baseline = audit([namespace('blog'), namespace('legacy', { [PSA]: 'privileged' })], '2025-02-01T10:00:00.000Z');
    const report = compareWithBaseline(audit([namespace('legacy', { [PSA]: 'privileged' }), namespace('wiki')]), baseline, 'main.json');
    expect(report.checks[0]!.findings.map((f) => [f.resource.name, f.baseline])).toEqual([
      ['legacy', 'unchanged'],
      ['wiki', 'new'],
    ]);
    expect(report.baseline).toMatchObject({
      file: 'main.json',
      generatedAt: '2025-02-01T10:00:00.000Z',
      score: baseline.score,
      coverage: 100,
      counts: { new: 1, unchanged: 1, fixed: 1, unknown: 0 },
      notCompared: [],
    });
    expect(names(report.baseline!.fixed)).toEqual(['blog']);
    const json = JSON.parse(renderJson(report)) as unknown;
    if (!validate(json)) throw new Error(formatAjvError(validate.errors));
  });
});

describe('parseReport', () => {
  const report = audit([namespace('blog'), namespace('legacy', { [PSA]: 'privileged' })]);
  const text = renderJson(report);

  it('reads back a report as it was written', () => {
    expect(parseReport(text, 'r.json')).toEqual(report);
  });

  it('computes the fingerprints of a 1.0 report, which had none, exactly as audit does', () => {
    const old = JSON.parse(text) as { schemaVersion: string; checks: { findings: Record<string, unknown>[] }[] };
    old.schemaVersion = '1.0';
    for (const f of old.checks[0]!.findings) {
      delete f.fingerprint;
      delete f.checkId;
      delete f.severity;
      delete f.namespace;
    }
    const read = parseReport(JSON.stringify(old), 'old.json');
    expect(read.checks[0]!.findings).toEqual(report.checks[0]!.findings);
    expect(compareFindings(read, report).counts).toEqual({ new: 0, unchanged: 2, fixed: 0, unknown: 0 });
  });

  const refused: [string, string, RegExp][] = [
    ['not JSON', '{"schemaVersion": ', /^r\.json: not a kposture JSON report: invalid JSON: /],
    ['JSON that is not a report', '{"hello": "world"}', /^r\.json: not a kposture JSON report \(no tool "kposture" and schemaVersion\)$/],
    ['a report of another tool', '{"schemaVersion": "1.1", "tool": {"name": "kubescape"}}', /not a kposture JSON report/],
    [
      'an unknown major version',
      text.replace('"schemaVersion": "1.3"', '"schemaVersion": "2.0"'),
      /^r\.json: report schemaVersion 2\.0 is not supported \(this kposture reads 1\.x\)$/,
    ],
    [
      'a report with a wrong field',
      text.replace('"status": "fail"', '"status": "failed"'),
      /^r\.json: not a valid kposture JSON report: field checks\.0\.status: must be one of /,
    ],
    [
      'a newer minor version with a field this kposture does not know',
      text.replace('"schemaVersion": "1.3"', '"schemaVersion": "1.9"').replace('"coverage": 100,', '"coverage": 100, "later": true,'),
      /^r\.json: not a valid kposture JSON report \(schemaVersion 1\.9 is newer than this kposture's 1\.3\): field \(top level\): has unknown field "later"$/,
    ],
  ];
  it.each(refused)('refuses %s with one line naming the file', (_name, input, message) => {
    expect(() => parseReport(input, 'r.json')).toThrow(message);
    try {
      parseReport(input, 'r.json');
    } catch (err) {
      expect((err as { kind: string }).kind).toBe('input');
      expect((err as Error).message).not.toContain('\n');
    }
  });
});
