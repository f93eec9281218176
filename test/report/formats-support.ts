/**
 * Reports for the format tests: the fixture clusters as the CLI audits them, and a report whose
 * cluster text was written to attack each format (a `|` that splits a table cell, backticks that
 * end a code span, markup, a line feed, an escape sequence).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../src/report/model.js';
import { renderJson } from '../../src/report/json.js';
import { fixtureNames } from '../fixtures/load.js';
import { REPO_ROOT, runCli } from '../cli/run.js';

/** The arguments that audit a fixture as its README says (with its config when it has one). */
export function fixtureArgs(name: string): string[] {
  const dir = path.join('fixtures', 'clusters', name);
  const config = path.join(dir, 'kposture.yaml');
  return ['audit', '--snapshot', path.join(dir, 'snapshot'), ...(existsSync(path.join(REPO_ROOT, config)) ? ['--config', config] : [])];
}

export const FIXTURES = fixtureNames();

export async function fixtureReport(name: string, extra: string[] = []): Promise<Report> {
  const run = await runCli([...fixtureArgs(name), '--format', 'json', ...extra]);
  if (run.stdout === '') throw new Error(`no report for ${name}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Report;
}

export const HOSTILE = {
  message: 'Namespace a|b runs <script>alert(1)</script> and **bold** [link](https://evil.example) @admins',
  name: '"><img src=x onerror=alert(1)>|x',
  namespace: 'team`s|ns',
  field: 'metadata.annotations["a|b"]',
  evidence: 'value ``` with `backticks` and </code></td><script>alert(2)</script>',
  verify: "kubectl get ns 'a|b' -o jsonpath='{.metadata.annotations.`x`}' && echo </details>",
  remediation: 'Fix <b>it</b> & ]]> done',
  control: 'line one\nline two\u001b[2J\u0007',
};

/** A copy of `report` whose first failing check's first finding carries every hostile string. */
export function hostileReport(report: Report): Report {
  const copy = JSON.parse(renderJson(report)) as Report;
  const check = copy.checks.find((c) => c.status === 'fail' && c.findings.length > 0 && c.weight > 0)!;
  const finding = check.findings[0]!;
  finding.message = `${HOSTILE.message} ${HOSTILE.control}`;
  finding.resource = { ...finding.resource, name: HOSTILE.name, namespace: HOSTILE.namespace };
  finding.namespace = HOSTILE.namespace;
  finding.field = HOSTILE.field;
  finding.evidence = HOSTILE.evidence;
  finding.verify = HOSTILE.verify;
  check.remediation = HOSTILE.remediation;
  check.reason = HOSTILE.control;
  return copy;
}
