/**
 * Waivers end to end, in-process, on the hardened fixture: its one failure is Capsule's
 * controller holding cluster-admin (MT-05). A `.kposture.yaml` waiver makes it pass and every
 * report shows it waived; an expired one brings it back with a warning; an unused one warns and
 * fails the gate under --strict-waivers; the file is found from a subdirectory and ignored with
 * --no-config; a bad entry is exit 2 naming the field; annotations waive too, and a bad one is
 * reported, never silent.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import type { Report } from '../../src/report/model.js';
import type { SarifLog } from '../../src/report/sarif.js';
import { sarifValidator } from '../report/reports.js';
import { REPO_ROOT, removeDir, runCli, tempDir, type CliResult } from './run.js';
import { CAPSULE_WAIVER } from '../support/waivers.js';
import { unwrapped } from '../support/table.js';

const HARDENED = path.join(REPO_ROOT, 'fixtures', 'clusters', 'hardened', 'snapshot');
/** A day the example waiver is in force, and the day after it expires. */
const BEFORE = new Date('2026-12-06T21:00:00Z');
const AFTER = new Date('2027-07-01T08:00:00Z');
const at = (date: Date) => () => date;

const validateReport = compileSchema('report.schema.json');
const validateSarif = sarifValidator();

function report(run: CliResult): Report {
  const parsed = JSON.parse(run.stdout) as Report;
  if (!validateReport(parsed)) throw new Error(`report does not match schemas/report.schema.json: ${formatAjvError(validateReport.errors)}`);
  return parsed;
}

function mt05(r: Report) {
  return r.checks.find((c) => c.id === 'MT-05')!;
}

let dir: string;
beforeEach(() => {
  dir = tempDir('waivers');
});
afterEach(() => removeDir(dir));

function project(config: string | undefined): string {
  if (config !== undefined) writeFileSync(path.join(dir, '.kposture.yaml'), config);
  return dir;
}

const audit = (args: string[], cwd: string, now = BEFORE): Promise<CliResult> => runCli(['audit', '--snapshot', HARDENED, ...args], { cwd, now: at(now) });

describe('waivers from .kposture.yaml on the hardened fixture', () => {
  it('makes MT-05 pass and raises the score; the JSON report shows the waived finding with its waiver', async () => {
    const without = report(await audit(['--format', 'json'], project(undefined)));
    expect(mt05(without).status).toBe('fail');

    const run = await audit(['--format', 'json'], project(CAPSULE_WAIVER));
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const r = report(run);
    expect(r.schemaVersion).toBe('1.3');
    expect(r.config).toBe('.kposture.yaml');
    expect(mt05(r).status).toBe('pass');
    expect(mt05(r).score).toBe(100);
    expect(r.score!).toBeGreaterThan(without.score!);
    expect(r.summary.findings).toBe(without.summary.findings - 1);
    expect(r.summary.waived).toBe(1);
    const [finding] = mt05(r).findings;
    expect(finding!.resource.name).toBe('capsule-manager-rolebinding');
    expect(finding!.fingerprint).toBe(mt05(without).findings[0]!.fingerprint);
    expect(finding!.waived).toEqual({
      source: 'config',
      file: '.kposture.yaml',
      index: 0,
      match: { kind: 'ClusterRoleBinding', name: 'capsule-manager-rolebinding' },
      checks: ['MT-05'],
      reason: "Capsule's controller needs cluster-admin to manage tenants",
      owner: 'platform-team',
      expires: '2027-06-30',
    });
    expect(
      mt05(r)
        .subjects.filter((s) => s.waived)
        .map((s) => s.resource.name),
    ).toEqual(['capsule-manager-rolebinding']);
    expect(r.waivers).toEqual({ count: 1, expired: [], unused: [], problems: [] });

    // The gate uses the waived score: the score with the waiver passes, the one without does not.
    const gate = ['--fail-under', String(r.score)];
    expect((await audit(gate, project(CAPSULE_WAIVER))).code).toBe(0);
    expect((await audit([...gate, '--no-config'], dir)).code).toBe(1);
  });

  it('shows the waived count in the table, and lists the finding with its waiver under --show-waived', async () => {
    const run = await audit([], project(CAPSULE_WAIVER));
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('Failing checks');
    expect(unwrapped(run.stdout)).toContain('1 finding waived, not scored (config .kposture.yaml) — --show-waived lists them');
    expect(run.stdout).not.toContain('waived by');

    const shown = await audit(['--show-waived'], dir);
    expect(unwrapped(shown.stdout)).toContain('~ MT-05 ClusterRoleBinding capsule-manager-rolebinding grants cluster-admin');
    expect(unwrapped(shown.stdout)).toContain(
      "waived by .kposture.yaml waivers.0: Capsule's controller needs cluster-admin to manage tenants (owner platform-team, expires 2027-06-30)",
    );
  });

  it('writes the waived finding into SARIF as an external, accepted suppression with the reason', async () => {
    const run = await audit(['--format', 'sarif'], project(CAPSULE_WAIVER));
    const log = JSON.parse(run.stdout) as SarifLog;
    expect(validateSarif(log)).toBe(true);
    const results = log.runs[0]!.results;
    const waived = results.filter((res) => res.suppressions.length > 0);
    expect(waived.map((res) => res.ruleId)).toEqual(['MT-05']);
    expect(waived[0]!.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: "Capsule's controller needs cluster-admin to manage tenants (owner platform-team, until 2027-06-30; .kposture.yaml waivers.0)",
        properties: { waiver: '.kposture.yaml waivers.0', owner: 'platform-team', expires: '2027-06-30' },
      },
    ]);
    // Every result carries the array (SARIF: on all results of a run or on none).
    expect(results.every((res) => Array.isArray(res.suppressions))).toBe(true);
  });

  it('stops applying after its expires day: the finding is back and a warning names the waiver', async () => {
    const run = await audit(['--format', 'json'], project(CAPSULE_WAIVER), AFTER);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('warning: waiver .kposture.yaml waivers.0 (MT-05) expired on 2027-06-30: its findings count again\n');
    const r = report(run);
    expect(mt05(r).status).toBe('fail');
    expect(mt05(r).findings.map((f) => f.waived)).toEqual([undefined]);
    expect(r.waivers!.expired).toMatchObject([{ source: 'config', index: 0, expires: '2027-06-30' }]);
  });

  it('a waived finding does not fail --fail-on: the gate judges the findings that stand', async () => {
    // MT-05 is high: without the waiver the Capsule binding fails --fail-on high, with it nothing does.
    const without = await audit(['--format', 'json', '--fail-on', 'high'], project(undefined));
    expect(without.code).toBe(1);
    expect(report(without).gate!.reasons).toEqual([expect.stringMatching(/^1 finding at or above high \(MT-05\)$/)]);
    const waived = await audit(['--format', 'json', '--fail-on', 'high'], project(CAPSULE_WAIVER));
    expect(waived.code).toBe(0);
    expect(report(waived).gate).toMatchObject({ failOn: ['high'], passed: true, reasons: [] });
    expect(waived.stderr.trimEnd().split('\n').at(-1)).toMatch(/^gate passed: no finding at or above high; coverage [\d.]+%$/);
  });

  it('warns about a waiver that matched nothing, and --strict-waivers fails the gate on it', async () => {
    const unused = CAPSULE_WAIVER.replace('name: capsule-manager-rolebinding', 'name: capsule-controller');
    const run = await audit(['--format', 'json'], project(unused));
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('warning: waiver .kposture.yaml waivers.0 (MT-05) matched no finding\n');
    expect(report(run).waivers!.unused).toMatchObject([{ source: 'config', index: 0 }]);

    const strict = await audit(['--format', 'json', '--strict-waivers'], dir);
    expect(strict.code).toBe(1);
    expect(report(strict).gate).toEqual({
      strictWaivers: true,
      passed: false,
      reasons: ['1 waiver matched no finding (--strict-waivers): .kposture.yaml waivers.0'],
      verdict: 'gate failed: 1 waiver matched no finding (--strict-waivers): .kposture.yaml waivers.0',
    });
    // The verdict is also the one gate line on stderr, after the warning.
    expect(strict.stderr.trimEnd().split('\n').at(-1)).toBe('gate failed: 1 waiver matched no finding (--strict-waivers): .kposture.yaml waivers.0');

    const expired = await audit(['--strict-waivers'], project(CAPSULE_WAIVER), AFTER);
    expect(expired.code).toBe(1);
    expect(unwrapped(expired.stdout)).toContain('Gate failed: 1 waiver expired (--strict-waivers): .kposture.yaml waivers.0');

    const fine = await audit(['--format', 'json', '--strict-waivers'], project(CAPSULE_WAIVER));
    expect(fine.code).toBe(0);
    expect(report(fine).gate).toEqual({ strictWaivers: true, passed: true, reasons: [], verdict: 'gate passed: waivers in order' });
  });

  it('finds the file from a subdirectory, up to the repository root and no further; --no-config ignores it', async () => {
    const sub = path.join(project(CAPSULE_WAIVER), 'clusters', 'prod');
    mkdirSync(sub, { recursive: true });
    const found = report(await audit(['--format', 'json'], sub));
    expect(found.config).toBe(path.join('..', '..', '.kposture.yaml'));
    expect(mt05(found).status).toBe('pass');
    expect(mt05(found).findings[0]!.waived).toMatchObject({ source: 'config', file: path.join('..', '..', '.kposture.yaml') });

    const ignored = report(await audit(['--format', 'json', '--no-config'], sub));
    expect(ignored.config).toBeUndefined();
    expect(mt05(ignored).status).toBe('fail');

    // A repository inside the directory: its root bounds the walk.
    const repo = path.join(dir, 'repo');
    mkdirSync(path.join(repo, '.git', 'objects'), { recursive: true });
    mkdirSync(path.join(repo, 'deploy'));
    const bounded = report(await audit(['--format', 'json'], path.join(repo, 'deploy')));
    expect(bounded.config).toBeUndefined();
    expect(mt05(bounded).status).toBe('fail');
  });

  it('finds .kposture.yml too, and refuses two project files in one directory', async () => {
    writeFileSync(path.join(dir, '.kposture.yml'), CAPSULE_WAIVER);
    expect(report(await audit(['--format', 'json'], dir)).config).toBe('.kposture.yml');
    writeFileSync(path.join(dir, '.kposture.yaml'), CAPSULE_WAIVER);
    const both = await audit([], dir);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe(`kposture: config: both .kposture.yaml and .kposture.yml in ${dir} (keep one of them)\n`);
  });

  it('says which file it read with --debug', async () => {
    const sub = path.join(project(CAPSULE_WAIVER), 'ci');
    mkdirSync(sub);
    const run = await audit(['--format', 'json', '--debug'], sub);
    expect(run.stderr.split('\n')).toContain(`config: ${path.join('..', '.kposture.yaml')} (found from the working directory)`);
  });

  it('reads --config relative to the working directory, and names the file as given', async () => {
    mkdirSync(path.join(dir, 'conf'));
    writeFileSync(path.join(dir, 'conf', 'waivers.yaml'), CAPSULE_WAIVER);
    const r = report(await audit(['--format', 'json', '--config', 'conf/waivers.yaml'], dir));
    expect(r.config).toBe('conf/waivers.yaml');
    expect(mt05(r).findings[0]!.waived).toMatchObject({ file: 'conf/waivers.yaml', index: 0 });
  });

  describe('an invalid waiver is exit 2, one line naming the file and the field', () => {
    const entry = (lines: string): string => `waivers:\n  - ${lines.trim().split('\n').join('\n    ')}\n`;
    it.each([
      ['no reason', entry('check: MT-05\nname: x\nexpires: 2027-06-30'), 'field waivers.0.reason: required'],
      ['an empty reason', entry('check: MT-05\nname: x\nreason: "  "\nexpires: 2027-06-30'), 'field waivers.0.reason: must match pattern'],
      ['an unknown check id', entry('check: MT-50\nname: x\nreason: r\nexpires: 2027-06-30'), 'field waivers.0.check: unknown check id MT-50'],
      ['an unknown id in checks', entry('checks: [MT-05, XX-1]\nname: x\nreason: r\nexpires: 2027-06-30'), 'field waivers.0.checks.1: unknown check id XX-1'],
      ['no check', entry('name: x\nreason: r\nexpires: 2027-06-30'), 'field waivers.0: needs one of check, checks'],
      ['check and checks', entry('check: MT-05\nchecks: [MT-04]\nname: x\nreason: r\nexpires: 2027-06-30'), 'field waivers.0: give only one of check, checks'],
      ['nothing to match', entry('check: MT-05\nreason: r\nexpires: 2027-06-30'), 'field waivers.0: needs one of kind, namespace, name, selector'],
      [
        'no expiry',
        entry('check: MT-05\nname: x\nreason: r'),
        'field waivers.0.expires: required (give the last day the waiver applies, YYYY-MM-DD, or run with --allow-permanent-waivers)',
      ],
      ['a date that does not exist', entry('check: MT-05\nname: x\nreason: r\nexpires: 2027-02-30'), 'field waivers.0.expires: must match format "date"'],
      ['an unknown field', entry('check: MT-05\nname: x\nreason: r\nexpires: 2027-06-30\nuntil: 2027-06-30'), 'field waivers.0: has unknown field "until"'],
      [
        'a selector operator',
        entry('check: MT-05\nselector: { matchExpressions: [{ key: a, operator: in, values: [b] }] }\nreason: r\nexpires: 2027-06-30'),
        'field waivers.0.selector.matchExpressions.0.operator: must be one of In, NotIn, Exists, DoesNotExist',
      ],
      [
        'a selector In without values',
        entry('check: MT-05\nselector: { matchExpressions: [{ key: a, operator: In }] }\nreason: r\nexpires: 2027-06-30'),
        'field waivers.0.selector: matchExpressions[0]: In needs at least one value',
      ],
    ])('%s', async (_name, yaml, message) => {
      const run = await audit([], project(yaml));
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`kposture: config .kposture.yaml: ${message}`);
    });

    it('accepts a waiver without expiry with --allow-permanent-waivers', async () => {
      const permanent = CAPSULE_WAIVER.replace('    expires: 2027-06-30\n', '');
      expect((await audit([], project(permanent))).code).toBe(2);
      const r = report(await audit(['--format', 'json', '--allow-permanent-waivers'], dir, AFTER));
      expect(mt05(r).status).toBe('pass');
      expect(mt05(r).findings[0]!.waived!.expires).toBeUndefined();
    });
  });
});

describe('waiver annotations on the hardened fixture', () => {
  /** The fixture with the annotation set on Capsule's ClusterRoleBinding, as the platform team would. */
  function annotatedSnapshot(value: string): string {
    const snapshot = path.join(dir, 'snapshot');
    cpSync(HARDENED, snapshot, { recursive: true });
    const file = path.join(snapshot, 'clusterrolebindings.json');
    const list = JSON.parse(readFileSync(file, 'utf8')) as { items: { metadata: { name: string; annotations?: Record<string, string> } }[] };
    const binding = list.items.find((b) => b.metadata.name === 'capsule-manager-rolebinding')!;
    binding.metadata.annotations = { ...binding.metadata.annotations, 'kposture.io/waive': value };
    writeFileSync(file, JSON.stringify(list, null, 2));
    return snapshot;
  }
  const run = (snapshot: string, args: string[] = [], now = BEFORE) =>
    runCli(['audit', '--snapshot', snapshot, '--no-config', ...args], { cwd: dir, now: at(now) });

  it('waive the finding on the annotated object, in source: JSON and SARIF say so', async () => {
    const snapshot = annotatedSnapshot('MT-05: Capsule manages tenants and needs cluster-admin; owner=platform-team; expires=2027-06-30');
    const json = await run(snapshot, ['--format', 'json']);
    expect(json.stderr).toBe('');
    const r = report(json);
    expect(mt05(r).status).toBe('pass');
    expect(mt05(r).findings[0]!.waived).toEqual({
      source: 'annotation',
      resource: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: 'capsule-manager-rolebinding' },
      line: 1,
      checks: ['MT-05'],
      reason: 'Capsule manages tenants and needs cluster-admin',
      owner: 'platform-team',
      expires: '2027-06-30',
    });
    const sarif = JSON.parse((await run(snapshot, ['--format', 'sarif'])).stdout) as SarifLog;
    const suppressed = sarif.runs[0]!.results.find((res) => res.suppressions.length > 0)!;
    expect(suppressed.suppressions[0]).toMatchObject({ kind: 'inSource', status: 'accepted' });
    expect(suppressed.suppressions[0]!.justification).toContain('kposture.io/waive on ClusterRoleBinding/capsule-manager-rolebinding line 1');
  });

  it('report an invalid annotation in the table, the JSON report and on stderr, and waive nothing by it', async () => {
    const snapshot = annotatedSnapshot('MT-05: Capsule needs it; expires=2027-06-31');
    const table = await run(snapshot);
    expect(table.code).toBe(0);
    const problem =
      'invalid kposture.io/waive annotation on ClusterRoleBinding/capsule-manager-rolebinding line 1: expires "2027-06-31" is not a date YYYY-MM-DD';
    expect(table.stderr).toBe(`warning: ${problem}\n`);
    expect(unwrapped(table.stdout)).toContain(`! ${problem}`);
    expect(table.stdout).toContain('Failing checks');
    const r = report(await run(snapshot, ['--format', 'json']));
    expect(mt05(r).status).toBe('fail');
    expect(r.waivers!.problems).toEqual([
      {
        resource: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: 'capsule-manager-rolebinding' },
        line: 1,
        text: 'MT-05: Capsule needs it; expires=2027-06-31',
        problem: 'expires "2027-06-31" is not a date YYYY-MM-DD',
      },
    ]);
    expect((await run(snapshot, ['--strict-waivers'])).code).toBe(1);
  });

  it('do not flood stderr: a cluster of broken annotations gives 20 warnings and a count, the JSON report all of them', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `MT-05: line ${i}\u001b[2J; expires=never`).join('\n');
    const snapshot = annotatedSnapshot(lines);
    const table = await run(snapshot);
    const warnings = table.stderr.split('\n').filter(Boolean);
    expect(warnings).toHaveLength(21);
    expect(warnings[20]).toBe("warning: … and 480 more waiver warnings (the JSON report's waivers lists them all)");
    // eslint-disable-next-line no-control-regex
    expect(table.stderr + table.stdout).not.toMatch(/\u001b\[2J/);
    expect(report(await run(snapshot, ['--format', 'json'])).waivers!.problems).toHaveLength(500);
  });
});
