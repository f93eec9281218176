/**
 * The JUnit XML report for GitLab, Jenkins and Azure DevOps: one test case per check, failures
 * carrying their findings, unknown and not-applicable checks skipped with the reason. Validated
 * with xmllint against a JUnit schema written from what the CI servers document (test/data/junit), when
 * xmllint is installed (Debian: libxml2-utils); the structure is checked either way.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderJunit } from '../../src/report/junit.js';
import type { Report } from '../../src/report/model.js';
import { REPO_ROOT } from '../cli/run.js';
import { findTool } from '../support/tools.js';
import { FIXTURES, fixtureReport, hostileReport } from './formats-support.js';

const XMLLINT = findTool('xmllint');
const SCHEMA = path.join(REPO_ROOT, 'test', 'data', 'junit', 'junit.xsd');
const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-junit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function validate(xml: string, name: string): { ok: boolean; output: string } {
  const file = path.join(dir, `${name}.xml`);
  writeFileSync(file, xml);
  const run = spawnSync(XMLLINT!, ['--noout', '--schema', SCHEMA, file], { encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

/** The attributes of every element named `tag`, in document order (values unescaped). */
function elements(xml: string, tag: string): Record<string, string>[] {
  const unescape = (v: string): string =>
    v
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  return [...xml.matchAll(new RegExp(`<${tag}((?:\\s+[a-zA-Z]+="[^"]*")*)\\s*/?>`, 'g'))].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([a-zA-Z]+)="([^"]*)"/g)].map((a) => [a[1]!, unescape(a[2]!)])),
  );
}

function expectStructure(report: Report, xml: string): void {
  const cases = elements(xml, 'testcase');
  expect(cases.map((c) => `${c.classname} ${c.name}`).sort()).toEqual(report.checks.map((c) => `${c.category} ${c.id} ${c.title}`).sort());
  const scoredFailures = report.checks.filter((c) => c.status === 'fail' && c.weight > 0 && report.categories.find((k) => k.id === c.category)!.inTotal);
  expect(elements(xml, 'failure')).toHaveLength(scoredFailures.length);
  const skipped = elements(xml, 'skipped');
  expect(skipped).toHaveLength(report.checks.filter((c) => c.status === 'unknown' || c.status === 'not-applicable').length);
  for (const check of report.checks.filter((c) => c.status === 'unknown')) {
    expect(skipped.map((s) => s.message)).toContain(`unknown, excluded from the score: ${check.reason!}`);
  }
  const [root] = elements(xml, 'testsuites');
  expect(Number(root!.tests)).toBe(report.checks.length);
  expect(Number(root!.failures)).toBe(scoredFailures.length);
}

describe('the JUnit report', () => {
  it.each(FIXTURES)('%s: one test case per check, failures and skipped where they belong', async (name) => {
    const report = await fixtureReport(name, ['--fail-under', '80']);
    const xml = renderJunit(report);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expectStructure(report, xml);
    // Each failure names its findings with object, evidence and command.
    for (const check of report.checks.filter((c) => c.status === 'fail')) {
      for (const f of check.findings) expect(xml).toContain(`  verify:   ${f.verify.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}`);
    }
  });

  it('keeps notes (info checks, the DIE category) from failing the build: they pass with their findings in system-out', async () => {
    const xml = renderJunit(await fixtureReport('demo'));
    const mt01 = xml.slice(xml.indexOf('name="MT-01 '), xml.indexOf('</testcase>', xml.indexOf('name="MT-01 ')));
    expect(mt01).toContain('<system-out>info, not scored: a note, not a failure');
    expect(mt01).not.toContain('<failure');
  });

  it('escapes hostile text so that the document stays well-formed', async () => {
    const xml = renderJunit(hostileReport(await fixtureReport('demo')));
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('<img');
    // XML 1.0 allows no C0 control character but tab, line feed and carriage return.
    expect(Array.from(xml).filter((ch) => ch.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(ch))).toEqual([]);
    expect(xml).toContain('&lt;/code&gt;&lt;/td&gt;&lt;script&gt;');
  });

  const withXmllint = XMLLINT ? it : it.skip;
  withXmllint(
    `validates against the JUnit schema CI servers read (test/data/junit/junit.xsd) on every fixture and with hostile text${XMLLINT ? '' : ' (skipped: xmllint is not installed; Debian package libxml2-utils)'}`,
    async () => {
      for (const name of FIXTURES) {
        const result = validate(renderJunit(await fixtureReport(name, ['--fail-under', '80'])), name);
        expect(result.output).toMatch(/validates/);
        expect(result.ok).toBe(true);
      }
      const hostile = validate(renderJunit(hostileReport(await fixtureReport('demo'))), 'hostile');
      expect(hostile.ok).toBe(true);
      // The schema is not a formality: a test case without its name is refused.
      const broken = validate(renderJunit(await fixtureReport('demo')).replace(/ name="MT-05 [^"]*"/, ''), 'broken');
      expect(broken.ok).toBe(false);
    },
  );
});
