/**
 * The GitHub Action (action.yml, a composite action): its script, action/run.sh, run as the
 * runner runs it: the inputs in the environment through action.yml's own `env` mapping (defaults
 * from action.yml, `${{ inputs.x }}` resolved), GITHUB_ACTION_PATH at this checkout,
 * GITHUB_STEP_SUMMARY and GITHUB_OUTPUT as files. Asserts the kposture command line it runs, its
 * exit code, the step outputs and the job summary.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT, removeDir, tempDir } from '../cli/run.js';

interface Action {
  inputs: Record<string, { description: string; default: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: { id?: string; uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, string>; if?: string }[] };
}

const ACTION = parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as Action;
const AUDIT_STEP = ACTION.runs.steps.find((s) => s.id === 'audit')!;
const WEAK = path.join(REPO_ROOT, 'test', 'data', 'report-weak');
const dir = tempDir('action');
afterAll(() => removeDir(dir));

interface StepRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The arguments the script printed before running kposture, unquoted. */
  argv: string[];
  outputs: Record<string, string>;
  summary: string;
  cwd: string;
}

let runs = 0;
/** Runs the audit step with these inputs, as a runner would. */
function runStep(inputs: Record<string, string>): StepRun {
  for (const name of Object.keys(inputs)) if (!ACTION.inputs[name]) throw new Error(`action.yml has no input ${name}`);
  const value = (name: string): string => inputs[name] ?? ACTION.inputs[name]!.default;
  const env: Record<string, string> = {};
  for (const [key, expression] of Object.entries(AUDIT_STEP.env ?? {})) {
    env[key] = expression.replace(/\$\{\{\s*inputs\.([a-z-]+)\s*\}\}/g, (_, name: string) => value(name));
  }
  const cwd = path.join(dir, `workspace-${++runs}`);
  mkdirSync(cwd);
  const summaryFile = path.join(cwd, 'step-summary.md');
  const outputFile = path.join(cwd, 'github-output');
  writeFileSync(summaryFile, 'Output of an earlier step\n');
  const run = spawnSync('bash', [path.join(REPO_ROOT, 'action', 'run.sh')], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      PATH: process.env.PATH ?? '',
      ...env,
      GITHUB_ACTION_PATH: REPO_ROOT,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_OUTPUT: outputFile,
      RUNNER_TEMP: cwd,
    },
  });
  const echoed = run.stdout.split('\n').find((l) => l.startsWith('kposture '));
  // The script prints the arguments with bash's ${x[*]@Q}: each one single-quoted.
  const argv = [...(echoed ?? '').matchAll(/'((?:[^']|'\\'')*)'/g)].map((m) => m[1]!.replace(/'\\''/g, "'"));
  const outputs = Object.fromEntries(
    (existsSync(outputFile) ? readFileSync(outputFile, 'utf8') : '')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, argv, outputs, summary: readFileSync(summaryFile, 'utf8'), cwd };
}

describe('action.yml', () => {
  it('is a composite action whose audit step gets every input it uses from the environment', () => {
    expect(ACTION.runs.using).toBe('composite');
    expect(AUDIT_STEP.run).toBe('"$GITHUB_ACTION_PATH/action/run.sh"');
    // Inputs go through env, never spliced into the script text.
    expect(JSON.stringify(AUDIT_STEP.run)).not.toContain('${{');
    for (const [key, expression] of Object.entries(AUDIT_STEP.env!)) {
      const name = /^\$\{\{ inputs\.([a-z-]+) \}\}$/.exec(expression)?.[1];
      expect(name && `INPUT_${name.replace(/-/g, '_').toUpperCase()}`).toBe(key);
    }
    const mapped = Object.keys(AUDIT_STEP.env!).length;
    const usedElsewhere = ['node-version', 'upload-sarif', 'sarif-category'];
    expect(mapped + usedElsewhere.length).toBe(Object.keys(ACTION.inputs).length);
    const upload = ACTION.runs.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))!;
    expect(upload.if).toContain('always()');
    expect(upload.with).toEqual({ sarif_file: '${{ steps.audit.outputs.sarif }}', category: '${{ inputs.sarif-category }}' });
  });
});

describe('action/run.sh', () => {
  it('maps the gate and report inputs to the CLI, exits with the gate, writes the outputs and the summary', () => {
    const step = runStep({ args: `--snapshot ${WEAK}`, 'fail-under': '90', 'fail-on': 'critical, high' });
    expect(step.stderr).toContain('gate failed: score 16.7 < 90');
    expect(step.code).toBe(1);
    const scratch = path.dirname(step.argv.find((a) => a.startsWith('json='))!.slice('json='.length));
    expect(step.argv).toEqual([
      'audit',
      '--snapshot',
      WEAK,
      '--fail-under',
      '90',
      '--fail-on',
      'critical',
      '--fail-on',
      'high',
      '--report',
      `json=${scratch}/kposture.json`,
      '--report',
      `markdown=${scratch}/kposture.md`,
      '--report',
      'sarif=kposture.sarif',
    ]);
    expect(step.outputs).toEqual({ 'exit-code': '1', score: '16.7', grade: 'F', coverage: '13.3', sarif: 'kposture.sarif' });
    const sarif = JSON.parse(readFileSync(path.join(step.cwd, 'kposture.sarif'), 'utf8')) as { version: string };
    expect(sarif.version).toBe('2.1.0');
    // Appended after what earlier steps wrote; the temporary reports are gone.
    expect(step.summary).toMatch(/^Output of an earlier step\n## kposture: score 16\.7\/100, grade F\n/);
    expect(step.summary).toContain('❌ **Gate failed: score 16.7 &lt; 90; 3 findings at or above high (MT-04, PE-01)');
    expect(existsSync(scratch)).toBe(false);
  });

  it('splits args on whitespace and lines, keeps a --name= line whole, and expands nothing', () => {
    const step = runStep({
      args: `  --snapshot ${WEAK}\n\n--namespace-selector=env in (prod,stage)\n--check   MT-04\t--check PE-01\n--exclude-namespace $HOME\n`,
      sarif: '',
      summary: 'false',
      json: 'out/report.json',
    });
    expect(step.argv).toEqual([
      'audit',
      '--snapshot',
      WEAK,
      '--namespace-selector=env in (prod,stage)',
      '--check',
      'MT-04',
      '--check',
      'PE-01',
      '--exclude-namespace',
      '$HOME',
      '--report',
      'json=out/report.json',
    ]);
    // `$HOME` reached kposture as it was written, and is no namespace name.
    expect(step.stderr).toContain('kposture: --exclude-namespace $HOME: not a namespace name');
    expect(step.code).toBe(2);
    expect(step.summary).toBe('Output of an earlier step\n');
    expect(step.outputs).toEqual({ 'exit-code': '2' });
  });

  it('keeps the reports asked for, and says in the summary when kposture wrote none', () => {
    const kept = runStep({ args: `--snapshot ${WEAK}`, json: 'kposture.json', markdown: 'kposture.md', sarif: '' });
    expect(kept.code).toBe(0);
    expect(kept.outputs).toEqual({ 'exit-code': '0', score: '16.7', grade: 'F', coverage: '13.3', json: 'kposture.json' });
    expect(readFileSync(path.join(kept.cwd, 'kposture.md'), 'utf8')).toBe(kept.summary.slice('Output of an earlier step\n'.length));
    expect(existsSync(path.join(kept.cwd, 'kposture.sarif'))).toBe(false);

    const failed = runStep({ args: '--snapshot no/such/folder' });
    expect(failed.code).toBe(2);
    expect(failed.outputs).toEqual({ 'exit-code': '2' });
    expect(failed.summary).toBe(
      'Output of an earlier step\n## kposture: no report\n\nkposture exited with code 2 before writing a report: the step log says why.\n',
    );
  });
});
