/**
 * The Prometheus metrics of a report: every fixture cluster's metrics pass Prometheus's own
 * checker (`promtool check metrics`, Debian package `prometheus`, installed by .ci/run) and, read
 * back, carry the report's numbers. Without promtool the numbers are still checked.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../src/report/model.js';
import { renderPrometheus } from '../../src/report/prometheus.js';
import { removeDir, runCli, tempDir } from '../cli/run.js';
import { findTool } from '../support/tools.js';
import { FIXTURES, fixtureArgs, fixtureReport } from './formats-support.js';

const PROMTOOL = findTool('promtool');
const dir = tempDir('prometheus');
afterAll(() => removeDir(dir));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of the text format (label values unescaped); promtool checks the syntax itself. */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function promtool(text: string): { status: number | null; output: string } {
  const run = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function one(all: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(hits.length).toBeLessThanOrEqual(1);
  return hits[0]?.value;
}

function expectNumbers(report: Report, text: string): void {
  const all = samples(text);
  expect(one(all, 'kposture_score')).toBe(report.score ?? undefined);
  expect(one(all, 'kposture_coverage_ratio')).toBeCloseTo(report.coverage / 100, 10);
  expect(one(all, 'kposture_last_run_timestamp_seconds')).toBe(Date.parse(report.generatedAt) / 1000);
  for (const c of report.categories) expect(one(all, 'kposture_category_score', { category: c.id })).toBe(c.score ?? undefined);
  for (const c of report.checks) {
    expect(one(all, 'kposture_check_score', { check: c.id })).toBe(c.score ?? undefined);
    expect(all.filter((s) => s.name === 'kposture_check_status' && s.labels.check === c.id && s.value === 1).map((s) => s.labels.status)).toEqual([c.status]);
  }
  const standing = all.filter((s) => s.name === 'kposture_findings').reduce((n, s) => n + s.value, 0);
  expect(standing).toBe(report.summary.findings);
  const waived = all.filter((s) => s.name === 'kposture_waived_findings').reduce((n, s) => n + s.value, 0);
  expect(waived).toBe(report.summary.waived ?? 0);
  const unreadable = all.filter((s) => s.name === 'kposture_inventory_kind_unreadable').map((s) => `${s.labels.kind} ${s.labels.status}`);
  expect(unreadable).toEqual(report.inventory.filter((k) => ['forbidden', 'error', 'missing'].includes(k.status)).map((k) => `${k.kind} ${k.status}`));
  expect(all.filter((s) => s.name === 'kposture_inventory_kinds').reduce((n, s) => n + s.value, 0)).toBe(report.inventory.length);
  // No process or default metrics: they would describe the audit process, not the cluster.
  expect(all.every((s) => s.name.startsWith('kposture_'))).toBe(true);
}

describe('the Prometheus metrics', () => {
  it.each(FIXTURES)('of fixture %s pass promtool and carry the report numbers', async (name) => {
    const report = await fixtureReport(name);
    const text = await renderPrometheus(report, { durationSeconds: 1.25 });
    expectNumbers(report, text);
    expect(one(samples(text), 'kposture_audit_duration_seconds')).toBe(1.25);
    if (!PROMTOOL) return console.log('promtool is not installed (Debian: apt-get install prometheus): syntax not checked');
    const checked = promtool(text);
    expect(checked.output).toBe('');
    expect(checked.status).toBe(0);
  });

  it('escape label values that came from a kubeconfig', async () => {
    const report = await fixtureReport(FIXTURES[0]!);
    const context = 'prod "eu"\\1\nx';
    const text = await renderPrometheus({ ...report, target: { ...report.target, context } }, { durationSeconds: 0 });
    expect(samples(text).find((s) => s.name === 'kposture_info')?.labels.context).toBe(context);
    if (PROMTOOL) expect(promtool(text).status).toBe(0);
  });

  it('leave out the score of an audit that could evaluate nothing instead of writing 0', async () => {
    const file = path.join(dir, 'unknown.prom');
    const run = await runCli(['audit', '--snapshot', 'test/data/report-unknown', '--report', `prometheus=${file}`, '--format', 'json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.score).toBeNull();
    const text = readFileSync(file, 'utf8');
    expect(samples(text).some((s) => s.name === 'kposture_score')).toBe(false);
    expect(one(samples(text), 'kposture_coverage_ratio')).toBe(0);
    expectNumbers(report, text);
  });

  it('are written by --report prometheus=FILE from the same run as the other reports, with the gate', async () => {
    const file = path.join(dir, 'weak.prom');
    const name = FIXTURES[0]!;
    const gated = await runCli([...fixtureArgs(name), '--format', 'json', '--report', `prometheus=${file}`, '--fail-under', '100', '--min-coverage', '0']);
    const report = JSON.parse(gated.stdout) as Report;
    const text = readFileSync(file, 'utf8');
    expectNumbers(report, text);
    expect(one(samples(text), 'kposture_gate_passed')).toBe(report.gate!.passed ? 1 : 0);
    expect(one(samples(text), 'kposture_audit_duration_seconds')).toBeGreaterThan(0);
    expect(gated.stderr).toContain(`wrote ${file}`);
  });

  it('name prometheus among the --report formats when a format is misspelled', async () => {
    const run = await runCli(['audit', '--snapshot', 'test/data/report-weak', '--report', 'prom=x.prom']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--report prom=x\.prom: expected FORMAT=FILE with FORMAT one of .*prometheus/);
  });
});
