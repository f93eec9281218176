/**
 * The Markdown report for a pull-request comment or GitHub's step summary: summary first, a
 * collapsible section per category, every finding with its object, evidence and command in code
 * spans — and no string from the cluster able to break a table, end a code span or add markup.
 */
import { describe, expect, it } from '@jest/globals';
import { codeSpan, markdownText } from '../../src/report/escape.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { runCli } from '../cli/run.js';
import { FIXTURES, fixtureArgs, fixtureReport, HOSTILE, hostileReport } from './formats-support.js';

/** The cells of a GFM table row: split on `|` not escaped by a backslash. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** What a code span shows: its body without the fence and the one padding space on each side. */
function codeSpanBody(span: string, inTable: boolean): string {
  const fence = /^`+/.exec(span)![0];
  expect(span.endsWith(fence)).toBe(true);
  let body = span.slice(fence.length, -fence.length);
  if (body.startsWith(' ') && body.endsWith(' ') && body.trim() !== '') body = body.slice(1, -1);
  // A longer or equal run of backticks inside would end the span early.
  for (const run of body.match(/`+/g) ?? []) expect(run.length).not.toBe(fence.length);
  return inTable ? body.replaceAll('\\|', '|') : body;
}

describe('the Markdown report', () => {
  it.each(FIXTURES)('%s: summary first, then one <details> per category with its checks', async (name) => {
    const run = await runCli([...fixtureArgs(name), '--format', 'markdown', '--fail-under', '80']);
    const report = await fixtureReport(name);
    const md = run.stdout;
    expect(md.startsWith(`## kposture: score ${report.score ?? '—'}/100`)).toBe(true);
    expect(md.indexOf('| Score | Grade | Coverage | Checks |')).toBeLessThan(md.indexOf('### Categories'));
    expect(md.indexOf('### Categories')).toBeLessThan(md.indexOf('<details>'));
    const categories = report.categories.filter((c) => report.checks.some((ch) => ch.category === c.id));
    expect(md.match(/^<details>$/gm)).toHaveLength(categories.length);
    expect(md.match(/^<\/details>$/gm)).toHaveLength(categories.length);
    for (const check of report.checks.filter((c) => c.status === 'fail')) expect(md).toContain(`${check.id} ${markdownText(check.title)}`);
    // Every findings row has its four cells, whatever the evidence holds.
    for (const row of md.split('\n').filter((l) => l.startsWith('| `'))) expect(cells(row)).toHaveLength(4);
  });

  it('writes info and unscored checks as notes, unknown checks with their reason', async () => {
    const md = renderMarkdown(await fixtureReport('no-netpol'));
    expect(md).toMatch(/#### ℹ️ MT-01 .*\n\ninfo, not scored · score [\d.]+ \(a note, not a failure\)/);
    expect(md).not.toMatch(/#### ❌ MT-01 /);
    expect(md).toMatch(/#### ❔ NP-02 .*\n\nUnknown, excluded from the score: /);
  });

  it('escapes hostile object names, evidence and commands: no markup, no broken table, exact code spans', async () => {
    const report = hostileReport(await fixtureReport('demo'));
    const md = renderMarkdown(report);
    // The hostile finding's row: four cells, and code spans that show exactly the original text
    // (in a code span, Markdown shows `<script>` as text).
    const row = md.split('\n').find((l) => l.includes('onerror'))!;
    const [object, message, evidence, verify] = cells(row);
    // Outside code spans, markup from the cluster never appears raw.
    const outside = md.replace(row, message!);
    expect(outside).not.toContain('<script>');
    expect(outside).not.toContain('<img');
    expect(outside).not.toContain('</code>');
    expect(outside).not.toMatch(/(?<!\\)\*\*bold/);
    expect(outside).not.toMatch(/(?<!\\)\[link\]/);
    expect(outside).not.toMatch(/(?<!\\)@admins/);
    expect(outside).toContain('Fix: Fix &lt;b&gt;it&lt;/b&gt; &amp; \\]\\]&gt; done');
    expect(codeSpanBody(object!, true)).toMatch(/^[A-Za-z]+\//);
    expect(codeSpanBody(object!, true).endsWith(`/${HOSTILE.namespace}/${HOSTILE.name}`)).toBe(true);
    expect(message).toContain('Namespace a\\|b runs &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(message).toContain('line one\\\\nline two\\\\x1b\\[2J\\\\x07');
    const [field, value] = evidence!.split(/(?<=`): (?=`)/);
    expect(codeSpanBody(field!, true)).toBe(HOSTILE.field);
    expect(codeSpanBody(value!, true)).toBe(HOSTILE.evidence);
    expect(codeSpanBody(verify!, true)).toBe(HOSTILE.verify);
  });

  it('makes code spans that hold any run of backticks and spaces', () => {
    for (const text of ['plain', '`', '``', 'a`b``c', ' lead', 'trail ', '`edge`', '```\n|']) {
      const span = codeSpan(text);
      expect(codeSpanBody(span, false)).toBe(text.replace('\n', '\\n'));
    }
    expect(codeSpan('a|b', true)).toBe('`a\\|b`');
    expect(codeSpan('')).toBe('*(empty)*');
  });
});
