/**
 * A plugin check that ends its worker thread (process.exit, an error thrown from a timer) is
 * noticed at once: the check is unknown with a reason that says so, the audit goes on, and it
 * does not wait out --plugin-timeout. The reason is what is asserted, not the time: a check that
 * waited would be reported "did not finish within 60 s". (The main thread blocks while a plugin
 * check runs, so the test's own timeout cannot cut a wait short: the plugin timeout bounds it.)
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/report/model.js';
import { runMain } from '../support/fixture-cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-plugin-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const snapshot = path.join(dir, 'ns.yaml');
writeFileSync(snapshot, 'apiVersion: v1\nkind: NamespaceList\nitems:\n- metadata: {name: shop, labels: {owner: team-a}}\n- metadata: {name: blog}\n');

function check(id: string, evaluate: string): string {
  return `{ meta: { id: '${id}', title: 't', category: 'multitenancy', severity: 'low', rationale: 'r', remediation: 'f', references: [],
    reads: ['Namespace'], messages: { m: 'm' } }, evaluate(ctx) { ${evaluate} } }`;
}

const PASS = "return { status: 'pass', subjects: [], findings: [] };";
/** Far longer than the audit takes when the exit is noticed. */
const LONG_TIMEOUT = '60';

async function audit(name: string, checks: string[]): Promise<Report['checks']> {
  const file = path.join(dir, name);
  writeFileSync(file, `export default [${checks.join(',\n')}];`);
  const run = await runMain(['audit', '--snapshot', snapshot, '--plugin', file, '--plugin-timeout', LONG_TIMEOUT, '--format', 'json'], { cwd: dir });
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  return (JSON.parse(run.stdout) as Report).checks;
}

describe('a plugin check that ends its worker thread', () => {
  test.each([
    ['process.exit(0)', 'process.exit(0);', /ended its worker thread with process\.exit\(0\) before answering/],
    ['process.exit(7)', 'process.exit(7);', /ended its worker thread with process\.exit\(7\) before answering/],
    ['process.exit() after starting a timer', 'setTimeout(() => {}, 150_000); process.exit();', /process\.exit\(0\)/],
  ])(
    '%s: unknown with the reason at once, the other checks run',
    async (_what, body, reason) => {
      const checks = await audit('exits.mjs', [check('ACME-01', body), check('ACME-02', PASS)]);
      expect(checks.find((c) => c.id === 'ACME-01')).toMatchObject({ status: 'unknown', reason: expect.stringMatching(reason) });
      expect(checks.find((c) => c.id === 'ACME-02')).toMatchObject({ status: 'pass' });
      expect(checks.find((c) => c.id === 'MT-04')).toMatchObject({ status: 'fail' });
    },
    150_000,
  );

  test('an error thrown from a timer after the answer changes nothing, and does not end the audit', async () => {
    const checks = await audit('late.mjs', [check('ACME-01', `setTimeout(() => { throw new Error('late bug'); }, 0); ${PASS}`), check('ACME-02', PASS)]);
    expect(checks.find((c) => c.id === 'ACME-01')).toMatchObject({ status: 'pass' });
    expect(checks.find((c) => c.id === 'ACME-02')).toMatchObject({ status: 'pass' });
  }, 150_000);
});
