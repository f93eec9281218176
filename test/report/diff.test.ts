import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { KINDS } from '../../src/k8s/kinds.js';
import type { K8sObject } from '../../src/k8s/object.js';
import { DIFF_SCHEMA_VERSION, diffReports, gateOfDiff, type ReportDiff } from '../../src/report/diff.js';
import { renderDiffMarkdown, renderDiffTable } from '../../src/report/diff-render.js';
import { failOnRule, maxScoreDropRule } from '../../src/report/gate-rules.js';
import type { Report } from '../../src/report/model.js';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import { inventoryOf, namespace } from '../support/inventory.js';
import { REPO_ROOT } from '../cli/run.js';
import { reportFor } from './reports.js';
import { schemaFields } from '../support/schema-fields.js';

const CHECKS = BUILTIN_CHECKS.filter((c) => ['MT-04', 'PE-01'].includes(c.meta.id));
const PSA = 'pod-security.kubernetes.io/enforce';

/** MT-04 over the namespaces; PE-01 unknown unless the admission kinds are listed (empty). */
function audit(namespaces: K8sObject[], admissionListed: boolean): Report {
  const listed = [
    KINDS.CustomResourceDefinition,
    KINDS.ValidatingWebhookConfiguration,
    KINDS.ValidatingAdmissionPolicy,
    KINDS.ValidatingAdmissionPolicyBinding,
  ];
  const admission = admissionListed ? Object.fromEntries(listed.map((kind) => [kind, 'ok'])) : {};
  return reportFor(inventoryOf(namespaces, admission as never), CHECKS);
}

function validDiff(diff: ReportDiff): void {
  compileSchema('report.schema.json'); // diff.schema.json refers to its findings
  const validate = compileSchema('diff.schema.json');
  if (!validate(JSON.parse(JSON.stringify(diff)))) throw new Error(`diff does not match schemas/diff.schema.json: ${formatAjvError(validate.errors)}`);
}

describe('diffReports', () => {
  // Old: PE-01 could not be evaluated; blog and legacy fail MT-04. New: PE-01 evaluated (fails),
  // blog fixed, wiki added without a label.
  const before = audit([namespace('blog'), namespace('legacy', { [PSA]: 'privileged' }), namespace('shop', { [PSA]: 'restricted' })], false);
  const after = audit(
    [namespace('blog', { [PSA]: 'restricted' }), namespace('legacy', { [PSA]: 'privileged' }), namespace('shop', { [PSA]: 'restricted' }), namespace('wiki')],
    true,
  );
  const diff = diffReports(before, after, { old: 'main.json', new: 'pr.json' });

  it('gives score and coverage change overall and per category', () => {
    expect(diff.old).toMatchObject({ file: 'main.json', score: before.score, coverage: before.coverage });
    expect(diff.new).toMatchObject({ file: 'pr.json', score: after.score, coverage: after.coverage });
    expect(before.coverage).toBeLessThan(100);
    expect(diff.change.coverage).toBe(Math.round((after.coverage - before.coverage) * 10) / 10);
    const pe = diff.categories.find((c) => c.id === 'policy-engine')!;
    expect(pe.old).toEqual({ score: null, coverage: 0 });
    expect(pe.new.coverage).toBe(100);
    expect(pe.change.score).toBeNull();
    const mt = diff.categories.find((c) => c.id === 'multitenancy')!;
    expect(mt.old.score).toBe(33.3);
    expect(mt.new.score).toBe(50);
    expect(mt.change).toEqual({ score: 16.7, coverage: 0 });
    // No check of the category ran on either side: nothing to cover.
    expect(diff.categories.find((c) => c.id === 'host-os')!.old.coverage).toBeNull();
    validDiff(diff);
  });

  it('lists checks whose status changed, and only those', () => {
    expect(diff.checks.map((c) => [c.id, c.old, c.new])).toEqual([['PE-01', 'unknown', 'fail']]);
  });

  it('lists new and fixed findings; those of a check the old report could not evaluate are not compared', () => {
    expect(diff.findings.new.map((f) => [f.checkId, f.resource.name])).toEqual([['MT-04', 'wiki']]);
    expect(diff.findings.fixed.map((f) => [f.checkId, f.resource.name])).toEqual([['MT-04', 'blog']]);
    expect(diff.findings.counts).toEqual({ new: 1, unchanged: 1, fixed: 1, unknown: 1 });
    expect(diff.findings.notCompared).toEqual([{ checkId: 'PE-01', baselineStatus: 'unknown', status: 'fail', findings: 1, baselineFindings: 0 }]);
  });

  it('gates on new findings and on a score drop, with the old report as the baseline', () => {
    expect(gateOfDiff(diff, after, {})).toBeUndefined();
    expect(gateOfDiff(diff, after, { failOn: ['new'] })).toEqual({
      failOn: ['new'],
      passed: false,
      reasons: ['1 finding is new since the baseline main.json: MT-04 (1), --fail-on new'],
    });
    const same = diffReports(before, before, { old: 'a.json', new: 'a.json' });
    expect(gateOfDiff(same, before, { failOn: ['NEW'] })).toEqual({ failOn: ['new'], passed: true, reasons: [] });
  });

  it('renders a table no wider than 80 columns, with hostile text escaped', () => {
    const hostile = structuredClone(diff);
    hostile.findings.new[0]!.message = `Namespace ${'very-long-name-'.repeat(8)} has \u001b[2Jno label and a very long explanation that goes on`;
    hostile.findings.new[0]!.verify = `kubectl get namespace ${'x'.repeat(120)} --show-labels`;
    const table = renderDiffTable(hostile, { color: false });
    const lines = table.trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(table).not.toContain('\u001b');
    expect(table).toContain('\\x1b[2J');
    expect(table).toContain('New findings (1)');
    expect(table).toContain('Fixed findings (1)');
    expect(table).toContain('PE-01   unknown → fail');
    // Long lines wrap, each continuation indented under its first line.
    expect(table.replace(/\n +/g, ' ')).toContain('PE-01: unknown in the old report, fail in the new one: its 1 finding not called new');
    expect(table).toContain('1 new, 1 unchanged, 1 fixed, 1 not compared');
  });

  it('lists at most 50 findings per section in the table and in Markdown, and says how many more', () => {
    const many = structuredClone(diff);
    many.findings.new = Array.from({ length: 60 }, (_, i) => ({ ...diff.findings.new[0]!, message: `finding ${i}` }));
    const table = renderDiffTable(many, { color: false });
    const md = renderDiffMarkdown(many);
    expect(table).toContain('finding 49\n');
    expect(table).not.toContain('finding 50\n');
    expect(table).toContain('  … and 10 more (see --format json)');
    expect(md).toContain('| finding 49 |');
    expect(md).not.toContain('| finding 50 |');
    expect(md).toContain('… and 10 more (see `kposture diff --format json`).');
  });

  it('renders Markdown for a pull request: headline, new findings in view, the rest collapsed, cells escaped', () => {
    const hostile = structuredClone(diff);
    hostile.findings.new[0]!.message = 'a | b <script>alert(1)</script> *x*';
    hostile.findings.new[0]!.verify = 'kubectl get ns a | grep `x`';
    const md = renderDiffMarkdown(hostile);
    // MT-04 rose from 33.3 to 50, PE-01 is now evaluated and fails: the overall mean fell.
    expect(md.split('\n')[0]).toBe('### kposture: score 33.3 → 25.0 (−8.3), 1 new, 1 fixed');
    expect(md).toContain('#### New findings (1)');
    expect(md).toContain('<details><summary>Fixed findings (1)</summary>');
    expect(md).toContain('a \\| b &lt;script&gt;alert(1)&lt;/script&gt; \\*x\\*');
    expect(md).toContain('`` kubectl get ns a \\| grep `x` ``');
    expect(md).not.toContain('<script>');
  });
});

describe('gate rules', () => {
  const report = (score: number | null, coverage = 100): Report => ({ score, coverage }) as Report;
  const baseline = (score: number | null) => ({ file: 'main.json', score, newFindings: [] });

  it('--fail-on takes new (any case) and refuses other values, or new without a baseline', () => {
    expect(typeof failOnRule('New', true)).toBe('function');
    expect(() => failOnRule('critical-ish', true)).toThrow('--fail-on critical-ish: expected one of new');
    expect(() => failOnRule('new', false)).toThrow('--fail-on new needs --baseline FILE');
  });

  it('--max-score-drop compares the printed one-decimal scores: a drop equal to N passes, a tenth more fails', () => {
    const rule = maxScoreDropRule(0.2);
    // 80.3 − 80.1 is 0.19999999999998863 in floating point, 0.2 as printed.
    expect(rule({ report: report(80.1), baseline: baseline(80.3) })).toEqual([]);
    expect(rule({ report: report(80), baseline: baseline(80.3) })).toEqual([
      "score 80 is 0.3 points below the baseline's 80.3, more than --max-score-drop 0.2",
    ]);
    expect(rule({ report: report(90), baseline: baseline(80.3) })).toEqual([]);
  });

  it('--max-score-drop fails when no score could be computed now, and cannot fail against a baseline without one', () => {
    const rule = maxScoreDropRule(5);
    expect(rule({ report: report(null, 0), baseline: baseline(70) })).toEqual([
      "no score could be computed (coverage 0%), the baseline's was 70, --max-score-drop 5",
    ]);
    expect(rule({ report: report(10), baseline: baseline(null) })).toEqual([]);
  });
});

describe('schemas/diff.schema.json', () => {
  it('documents every field of the schema in docs/diff.md', () => {
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'diff.schema.json'), 'utf8')) as unknown;
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'diff.md'), 'utf8');
    const fields = schemaFields(schema);
    expect([...fields].filter((f) => !doc.includes(`\`${f}\``))).toEqual([]);
  });

  it('keeps the diff version in step with its schema', () => {
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'diff.schema.json'), 'utf8')) as {
      properties: { schemaVersion: { pattern: string } };
    };
    expect(DIFF_SCHEMA_VERSION).toMatch(new RegExp(schema.properties.schemaVersion.pattern));
  });
});
