import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPlugins } from '../../src/engine/plugins.js';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kposture-plugins-'));

function plugin(name: string, source: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return file;
}

function captureIo(): Io & { out: string; err: string } {
  const io = { out: '', err: '', stdoutIsTTY: false, stderrIsTTY: false, env: {}, cwd: dir } as Io & { out: string; err: string };
  io.stdout = (t) => void (io.out += t);
  io.stderr = (t) => void (io.err += t);
  return io;
}

const META = `{ id: 'ACME-01', title: 'Namespaces carry an owner label', category: 'multitenancy', severity: 'low',
  rationale: 'r', remediation: 'f', references: [], reads: ['Namespace'], messages: { noOwner: 'Namespace {ns} has no owner label' } }`;

const GOOD = `export default { meta: ${META}, evaluate(ctx) {
  const subjects = [], findings = [];
  for (const ns of ctx.items('Namespace')) {
    const name = ns.metadata.name;
    if (ctx.isSystemNamespace(name)) continue;
    const ok = Boolean(ns.metadata.labels && ns.metadata.labels.owner);
    const resource = { kind: 'Namespace', name };
    subjects.push({ resource, verdict: ok ? 'pass' : 'fail' });
    if (!ok) findings.push({ messageId: 'noOwner', data: { ns: name }, resource, field: 'metadata.labels.owner', evidence: 'absent', verify: 'kubectl get ns ' + name + ' --show-labels' });
  }
  return { status: findings.length ? 'fail' : 'pass', subjects, findings };
} };`;

const snapshot = path.join(dir, 'ns.yaml');
writeFileSync(snapshot, 'apiVersion: v1\nkind: NamespaceList\nitems:\n- metadata: {name: shop, labels: {owner: team-a}}\n- metadata: {name: blog}\n');

describe('plugins', () => {
  it('loads a plugin check and runs it in the audit like a built-in one', async () => {
    const io = captureIo();
    const code = await main(['audit', '--snapshot', snapshot, '--plugin', plugin('good.mjs', GOOD), '--check', 'ACME-01', '--format', 'json'], io);
    expect(code).toBe(0);
    const report = JSON.parse(io.out) as { checks: { id: string; status: string; score: number; findings: { message: string }[] }[] };
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ id: 'ACME-01', status: 'fail', score: 50 });
    expect(report.checks[0]!.findings.map((f) => f.message)).toEqual(['Namespace blog has no owner label']);
  });

  it.each([
    ['no-export.mjs', 'export const x = 1;', /exports no checks/],
    ['no-evaluate.mjs', `export default { meta: ${META} };`, /must be an object with meta and an evaluate/],
    ['bad-meta.mjs', `export default { meta: { id: 'X' }, evaluate() {} };`, /meta field \w+: required/],
    ['bad-category.mjs', `export default { meta: { ...${META}, category: 'vibes' }, evaluate() {} };`, /meta field category: must be one of/],
    ['syntax.mjs', 'export default {', /cannot be loaded/],
    ['missing.mjs', null, /no such file/],
  ])('rejects a malformed plugin %s with one line and exit 2', async (name, source, message) => {
    const file = source === null ? path.join(dir, name) : plugin(name, source);
    await expect(loadPlugins([file], dir)).rejects.toThrow(message);
    const io = captureIo();
    const code = await main(['audit', '--snapshot', snapshot, '--plugin', file], io);
    expect(code).toBe(2);
    expect(io.err.trim().split('\n')).toHaveLength(1);
    expect(io.err).toMatch(message);
    expect(io.out).toBe('');
  });

  it('turns a plugin that throws at evaluation into unknown, and the rest of the audit completes', async () => {
    const file = plugin('throws.mjs', `export default { meta: ${META}, evaluate() { throw new Error('plugin bug'); } };`);
    const io = captureIo();
    const code = await main(['audit', '--snapshot', snapshot, '--plugin', file, '--format', 'json'], io);
    expect(code).toBe(0);
    const report = JSON.parse(io.out) as { checks: { id: string; status: string; reason?: string }[] };
    expect(report.checks.find((c) => c.id === 'ACME-01')).toMatchObject({ status: 'unknown', reason: expect.stringContaining('plugin bug') });
    expect(report.checks.find((c) => c.id === 'MT-04')).toMatchObject({ status: 'fail' });
  });

  it.each([
    ['loops.mjs', 'evaluate() { for (;;) {} }', /did not finish within 0\.5 s and was stopped/],
    ['function.mjs', "evaluate() { return { status: 'pass', subjects: [], findings: [], extra: () => 1 }; }", /not plain data/],
    ['undeclared.mjs', "evaluate(ctx) { return ctx.items('Pod'); }", /reads Pod without declaring it/],
  ])('stops or contains a misbehaving plugin (%s): it turns unknown, the audit completes', async (name, body, reason) => {
    const file = plugin(name, `export default { meta: ${META}, ${body} };`);
    const io = captureIo();
    const code = await main(['audit', '--snapshot', snapshot, '--plugin', file, '--plugin-timeout', '0.5', '--format', 'json'], io);
    expect(code).toBe(0);
    const report = JSON.parse(io.out) as { checks: { id: string; status: string; reason?: string }[] };
    expect(report.checks.find((c) => c.id === 'ACME-01')).toMatchObject({ status: 'unknown', reason: expect.stringMatching(reason) });
    expect(report.checks.find((c) => c.id === 'MT-04')).toMatchObject({ status: 'fail' });
  });

  it("gives a plugin check a memo of its worker's own", async () => {
    const body = `evaluate(ctx) {
      const key = { name: 'acme/names', reads: ['Namespace'] };
      const names = ctx.memo(key, () => ctx.items('Namespace').map((n) => n.metadata.name));
      if (ctx.memo(key, () => []) !== names || names.length !== 2) throw new Error('memo lost its value');
      return { status: 'pass', subjects: names.map((name) => ({ resource: { kind: 'Namespace', name }, verdict: 'pass' })), findings: [] };
    }`;
    const io = captureIo();
    const code = await main(
      ['audit', '--snapshot', snapshot, '--plugin', plugin('memo.mjs', `export default { meta: ${META}, ${body} };`), '--check', 'ACME-01', '--format', 'json'],
      io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(io.out) as { checks: { id: string; status: string }[] };
    expect(report.checks).toEqual([expect.objectContaining({ id: 'ACME-01', status: 'pass' })]);
  });

  it('refuses a plugin check whose id collides with a built-in one', async () => {
    const file = plugin('dup.mjs', GOOD.replace("'ACME-01'", "'MT-04'"));
    const io = captureIo();
    expect(await main(['audit', '--snapshot', snapshot, '--plugin', file], io)).toBe(2);
    expect(io.err).toMatch(/check id MT-04 is defined twice/);
  });
});
