/**
 * Microsoft's SARIF Multitool applies GitHub code scanning's ingestion rules (rule kind `Gh`)
 * and the SARIF spec's own rules (`Sarif`). Its npm wrapper runs the binary through a shell,
 * which splits `Gh;Sarif` at the `;`, so the binary is called directly, without a shell.
 * Argument order matters: `--rule-kind` takes a list and swallows the file if it comes first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { renderSarif } from '../../src/report/sarif.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { PARTIAL, REPO_ROOT, removeDir, tempDir, WEAK, runCli } from '../cli/run.js';
import { liveCluster, liveInventory, reportFor, snapshotReport, TEST_CHECKS } from './reports.js';

const MULTITOOL = path.join(REPO_ROOT, 'node_modules', '@microsoft', 'sarif-multitool-linux', 'Sarif.Multitool');

/** Whether the .NET single-file binary runs on this machine, and why not. */
function probe(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: `the Linux multitool does not run on ${process.platform}` };
  if (!existsSync(MULTITOOL)) return { ok: false, why: `${path.relative(REPO_ROOT, MULTITOOL)} is not installed (npm ci installs it)` };
  const run = spawnSync(MULTITOOL, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (run.error) return { ok: false, why: `it cannot start: ${run.error.message}` };
  if (run.status !== 0) return { ok: false, why: `it exits ${run.status}: ${(run.stderr || run.stdout).split('\n')[0]}` };
  return { ok: true };
}

interface ValidationResult {
  ruleId: string;
  level: string;
  message: string;
}

function multitoolValidate(sarifFile: string, dir: string): ValidationResult[] {
  const out = path.join(dir, `${path.basename(sarifFile)}.validation.sarif`);
  const run = spawnSync(MULTITOOL, ['validate', sarifFile, '--rule-kind', 'Gh;Sarif', '-o', out], { encoding: 'utf8', timeout: 120_000 });
  if (run.error) throw run.error;
  if (run.status !== 0 || !existsSync(out)) throw new Error(`multitool exited ${run.status}: ${run.stdout}\n${run.stderr}`);
  const log = JSON.parse(readFileSync(out, 'utf8')) as {
    runs: { results?: { ruleId: string; level?: string; message: { id?: string; text?: string; arguments?: string[] } }[] }[];
  };
  return (log.runs[0]!.results ?? []).map((r) => ({
    ruleId: r.ruleId,
    // SARIF: a result without a level is a warning.
    level: r.level ?? 'warning',
    message: r.message.text ?? `${r.message.id ?? ''} ${(r.message.arguments ?? []).join(' ')}`,
  }));
}

const available = probe();
const maybe = available.ok ? it : it.skip;
const suffix = available.ok ? '' : ` (skipped: SARIF Multitool unavailable — ${available.why})`;

describe('SARIF Multitool validation with GitHub ingestion rules', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('multitool');
  });
  afterAll(() => removeDir(dir));

  maybe(`finds no error or warning in the SARIF of a weak snapshot audit${suffix}`, async () => {
    const file = path.join(dir, 'weak.sarif');
    const run = await runCli(['audit', '--snapshot', WEAK, '--snapshot', PARTIAL, '--format', 'sarif', '-o', file, '--fail-under', '90']);
    expect(run.code).toBe(1);
    const results = multitoolValidate(file, dir);
    expect(results.filter((r) => r.level === 'error')).toEqual([]);
    expect(results.filter((r) => r.level === 'warning')).toEqual([]);
  });

  maybe(`finds no error or warning in the SARIF of a live audit with pseudo-paths, grouped findings and unknown checks${suffix}`, () => {
    const file = path.join(dir, 'live.sarif');
    const report = reportFor(liveInventory(liveCluster(), { [KINDS.Deployment]: 'forbidden' }), [...BUILTIN_CHECKS, ...TEST_CHECKS]);
    writeFileSync(file, renderSarif(report));
    const results = multitoolValidate(file, dir);
    expect(results.filter((r) => r.level === 'error')).toEqual([]);
    expect(results.filter((r) => r.level === 'warning')).toEqual([]);
  });

  maybe(`finds no error or warning in the SARIF of an audit against a baseline (baselineState new, unchanged, and none)${suffix}`, async () => {
    // The baseline: the partial snapshot (PE-01 unknown there), less one MT-04 finding.
    const baseline = path.join(dir, 'baseline.json');
    expect((await runCli(['audit', '--snapshot', PARTIAL, '--format', 'json', '-o', baseline])).code).toBe(0);
    const json = JSON.parse(readFileSync(baseline, 'utf8')) as { checks: { id: string; findings: unknown[] }[] };
    json.checks.find((c) => c.id === 'MT-04')!.findings.shift();
    writeFileSync(baseline, JSON.stringify(json));
    const file = path.join(dir, 'baseline.sarif');
    expect((await runCli(['audit', '--snapshot', WEAK, '--baseline', baseline, '--format', 'sarif', '-o', file])).code).toBe(0);
    const states = (JSON.parse(readFileSync(file, 'utf8')) as { runs: { results: { baselineState?: string }[] }[] }).runs[0]!.results.map(
      (r) => r.baselineState ?? 'none',
    );
    expect(new Set(states)).toEqual(new Set(['new', 'unchanged', 'none']));
    const results = multitoolValidate(file, dir);
    expect(results.filter((r) => r.level === 'error')).toEqual([]);
    expect(results.filter((r) => r.level === 'warning')).toEqual([]);
  });

  maybe(`finds no error or warning in the SARIF of an audit with waived findings (suppressions) and waiver notifications${suffix}`, async () => {
    const file = path.join(dir, 'waived.sarif');
    const config = path.join(dir, 'kposture.yaml');
    writeFileSync(
      config,
      [
        'waivers:',
        '  - { check: MT-05, kind: ClusterRoleBinding, name: capsule-manager-rolebinding, reason: Capsule needs it, owner: platform, expires: 2099-12-31 }',
        '  - { check: NP-02, namespace: gone, reason: unused on purpose, expires: 2099-12-31 }',
        '',
      ].join('\n'),
    );
    const run = await runCli(['audit', '--snapshot', 'fixtures/clusters/hardened/snapshot', '--config', config, '--format', 'sarif', '-o', file]);
    expect(run.code).toBe(0);
    const log = JSON.parse(readFileSync(file, 'utf8')) as { runs: { results: { suppressions: unknown[] }[] }[] };
    expect(log.runs[0]!.results.filter((r) => r.suppressions.length > 0)).toHaveLength(1);
    const results = multitoolValidate(file, dir);
    expect(results.filter((r) => r.level === 'error')).toEqual([]);
    expect(results.filter((r) => r.level === 'warning')).toEqual([]);
  });

  maybe(`finds no error or warning in the SARIF of a scoped audit with skipped checks${suffix}`, async () => {
    const file = path.join(dir, 'scoped.sarif');
    const run = await runCli(['audit', '--snapshot', 'fixtures/clusters/demo/snapshot', '-n', 'shop', '--skip', 'NP-06', '--format', 'sarif', '-o', file]);
    expect(run.code).toBe(0);
    const results = multitoolValidate(file, dir);
    expect(results.filter((r) => r.level === 'error')).toEqual([]);
    expect(results.filter((r) => r.level === 'warning')).toEqual([]);
  });

  maybe(`reports errors for a result GitHub cannot ingest, so a clean run means something${suffix}`, () => {
    const file = path.join(dir, 'broken.sarif');
    const log = JSON.parse(renderSarif(snapshotReport(WEAK))) as { runs: { results: Record<string, unknown>[] }[] };
    delete log.runs[0]!.results[0]!.locations;
    (log.runs[0]!.results[1]!.message as Record<string, unknown>) = { id: 'default' };
    writeFileSync(file, JSON.stringify(log));
    const errors = multitoolValidate(file, dir).filter((r) => r.level === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.map((e) => e.ruleId).some((id) => id.startsWith('GH'))).toBe(true);
  });
});
