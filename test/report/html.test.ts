/**
 * The HTML report: one self-contained file (no network), readable without JavaScript, escaped
 * against hostile names — and, when Chromium is installed (Debian package `chromium`, installed by
 * .ci/run), loaded in a real headless browser: its DOM checked after its script ran, and
 * screenshots at desktop and phone widths asserted non-blank and kept under test-artifacts/.
 * That it reads without JavaScript is checked in the file (headless Chromium's --dump-dom and
 * --screenshot do nothing with scripts disabled): every finding is there, none hidden.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderHtml } from '../../src/report/html.js';
import { REPO_ROOT } from '../cli/run.js';
import { decodePng, lumaVariance } from '../support/png.js';
import { findTool } from '../support/tools.js';
import { FIXTURES, fixtureReport, HOSTILE, hostileReport } from './formats-support.js';

const CHROMIUM = findTool('chromium', ['/usr/bin/chromium']);
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'html-report');
const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function between(html: string, open: string, close: string): string {
  const start = html.indexOf(open) + open.length;
  return html.slice(start, html.indexOf(close, start));
}

describe('the HTML report as a file', () => {
  it.each(FIXTURES)('%s: self-contained, every finding with its evidence and command', async (name) => {
    const report = await fixtureReport(name, ['--fail-under', '80']);
    const html = renderHtml(report);
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    // Nothing is loaded from anywhere: no external script, style, font, image or frame.
    expect(html).not.toMatch(/<(link|img|iframe|object|embed|base)\b/i);
    expect(html).not.toMatch(/\ssrc=|@import|url\(/i);
    expect(html.match(/<script>/g)).toHaveLength(1);
    for (const check of report.checks.filter((c) => c.status === 'fail')) {
      for (const f of check.findings)
        expect(html).toContain(
          `<code class="cmd">${f.verify.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')}</code>`,
        );
    }
    for (const check of report.checks.filter((c) => c.status === 'unknown')) expect(html).toContain(`id="check-${check.id}"`);
    // Readable without JavaScript: every finding is in the file and shown; only the filter form,
    // useless without its script, starts hidden.
    expect(html.match(/<li class="finding"/g) ?? []).toHaveLength(report.checks.reduce((n, c) => n + c.findings.length, 0));
    expect(html.match(/\shidden\b/g)).toHaveLength(1);
    expect(html).toContain('<form id="filters" class="filters" hidden>');
  });

  it('allows only its own style and script, by hash, and no network at all', async () => {
    const html = renderHtml(await fixtureReport('demo'));
    const csp = between(html, '<meta http-equiv="Content-Security-Policy" content="', '">').replaceAll('&#39;', "'");
    const hash = (text: string): string => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src '${hash(between(html, '<style>', '</style>'))}'`);
    expect(csp).toContain(`script-src '${hash(between(html, '<script>', '</script>'))}'`);
  });

  it('escapes hostile names, evidence and commands', async () => {
    const html = renderHtml(hostileReport(await fixtureReport('demo')));
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>it</b>');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;|x');
    expect(html).toContain('&lt;/code&gt;&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain('line one\\nline two\\x1b[2J\\x07');
    expect(html).toContain(`data-namespace="team\`s|ns"`);
    expect(HOSTILE.name).toContain('"');
  });
});

/** Runs headless Chromium on a file; returns stdout. */
function chromium(args: string[]): string {
  const profile = mkdtempSync(path.join(dir, 'profile-'));
  const sandbox = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  const run = spawnSync(
    CHROMIUM!,
    ['--headless', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--no-default-browser-check', `--user-data-dir=${profile}`, ...sandbox, ...args],
    { encoding: 'utf8', timeout: 90_000 },
  );
  if (run.status !== 0) throw new Error(`chromium exited ${run.status}: ${run.stderr}`);
  return run.stdout;
}

const withChromium = CHROMIUM ? describe : describe.skip;
withChromium(`the HTML report in headless Chromium${CHROMIUM ? '' : ' (skipped: /usr/bin/chromium is not installed; Debian package chromium)'}`, () => {
  let file = '';
  let url = '';
  it('writes the report of the demo cluster, with hostile text in one finding', async () => {
    file = path.join(dir, 'kposture.html');
    writeFileSync(file, renderHtml(hostileReport(await fixtureReport('demo', ['--fail-under', '80']))));
    url = pathToFileURL(file).href;
  });

  it('runs its script: the filters appear and count the findings; hostile text stays text', () => {
    const dom = chromium(['--virtual-time-budget=3000', '--dump-dom', url]);
    expect(dom).toContain('Failing checks, most severe and costliest first');
    expect(dom).toMatch(/<form id="filters" class="filters">/);
    expect(dom).toMatch(/\d+ of \d+ findings shown/);
    expect(dom.match(/<script>/g)).toHaveLength(1);
    expect(dom).not.toMatch(/<img/);
    expect(dom).toContain('onerror=alert(1)');
  });

  it.each([
    ['desktop', 1280, 900],
    ['phone', 390, 844],
  ])('takes a non-blank screenshot at %s width (%d×%d), kept in test-artifacts/', (name, width, height) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, `demo-${name}.png`);
    rmSync(shot, { force: true });
    chromium([`--screenshot=${shot}`, `--window-size=${width},${height}`, '--virtual-time-budget=3000', url]);
    const png = decodePng(readFileSync(shot));
    expect([png.width, png.height]).toEqual([width, height]);
    // A blank page has no variance; text, cards and borders give plenty.
    expect(lumaVariance(png)).toBeGreaterThan(100);
  });
});
