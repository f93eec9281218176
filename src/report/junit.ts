import type { Report, ReportCheck, ReportFinding } from './model.js';
import { escapeXml, escapeXmlLines } from './escape.js';
import { visible } from '../util/terminal.js';
import { checkFacts, checksOf, findingTags, groupChecks, isScored, notScoredReason, objectName, scoreText } from './view.js';

/**
 * JUnit XML for GitLab, Jenkins and Azure DevOps test reports: one test suite per category, one
 * test case per check (`classname` the category id, `name` `ID title`). A failing scored check
 * is a failure carrying its findings; unknown and not-applicable checks are skipped with the
 * reason; a check that is not scored (info, or a category outside the total) passes and carries
 * its findings in `system-out`, so that a note never marks a build unstable. The document
 * validates against the JUnit schema the Jenkins xUnit plugin uses (test/data/junit).
 */
export function renderJunit(report: Report): string {
  const groups = groupChecks(report);
  const notes = new Set(groups.notes.map((c) => c.id));
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  for (const cat of report.categories) {
    const checks = [...checksOf(report, cat.id)].sort((a, b) => a.id.localeCompare(b.id, 'en'));
    if (checks.length === 0) continue;
    const failed = checks.filter((c) => c.status === 'fail' && isScored(report, c)).length;
    const skipped = checks.filter((c) => c.status === 'unknown' || c.status === 'not-applicable').length;
    tests += checks.length;
    failures += failed;
    const attrs = attributes({
      name: cat.title,
      tests: checks.length,
      failures: failed,
      errors: 0,
      skipped,
      timestamp: report.generatedAt,
    });
    suites.push(`  <testsuite ${attrs}>`);
    suites.push('    <properties>');
    suites.push(`      <property ${attributes({ name: 'category', value: cat.id })}/>`);
    suites.push(`      <property ${attributes({ name: 'score', value: scoreText(cat.score) })}/>`);
    suites.push(`      <property ${attributes({ name: 'inTotal', value: String(cat.inTotal) })}/>`);
    suites.push('    </properties>');
    for (const check of checks) suites.push(...testCase(report, check, notes.has(check.id)));
    suites.push('  </testsuite>');
  }
  const root = attributes({ name: `kposture: score ${scoreText(report.score)}/100, coverage ${report.coverage}%`, tests, failures, errors: 0 });
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites ${root}>`, ...suites, '</testsuites>', ''].join('\n');
}

function testCase(report: Report, check: ReportCheck, note: boolean): string[] {
  const open = `    <testcase ${attributes({ classname: check.category, name: `${check.id} ${check.title}` })}`;
  switch (check.status) {
    case 'pass':
      return [`${open}/>`];
    case 'unknown':
      return [
        `${open}>`,
        `      <skipped ${attributes({ message: `unknown, excluded from the score: ${check.reason ?? 'no reason given'}` })}/>`,
        '    </testcase>',
      ];
    case 'not-applicable':
      return [`${open}>`, `      <skipped ${attributes({ message: `not applicable: ${check.reason ?? 'nothing to check'}` })}/>`, '    </testcase>'];
    case 'fail': {
      const body = escapeXmlLines(findingsText(report, check));
      if (note) return [`${open}>`, `      <system-out>${notScoredReason(check)}: a note, not a failure\n${body}</system-out>`, '    </testcase>'];
      const count = check.findings.length;
      const message = `${count} finding${count === 1 ? '' : 's'}${check.findings[0] ? `: ${check.findings[0].message}` : ''}`;
      return [`${open}>`, `      <failure ${attributes({ type: check.severity, message })}>${body}</failure>`, '    </testcase>'];
    }
  }
}

/** The check's facts, then each finding: sentence, object, evidence, command, location. */
function findingsText(report: Report, check: ReportCheck): string {
  const lines = [checkFacts(report, check), ''];
  for (const f of check.findings) lines.push(...findingText(f), '');
  lines.push(visible(`Fix: ${check.remediation} (kposture explain ${check.id})`));
  return lines.join('\n');
}

function findingText(f: ReportFinding): string[] {
  return [
    `- ${[...findingTags(f).map((t) => `[${t}]`), f.message].join(' ')}`,
    `  object:   ${objectName(f.resource)}${f.affected ? ` (${f.affected.length} objects)` : ''}`,
    `  evidence: ${f.field}: ${f.evidence}`,
    `  verify:   ${f.verify}`,
    `  location: ${f.location.uri}:${f.location.startLine}`,
  ].map(visible);
}

/** `a="1" b="x"` with every value escaped; values keep to one line. */
function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}="${escapeXml(String(value))}"`)
    .join(' ');
}
