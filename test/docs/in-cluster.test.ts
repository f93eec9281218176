/**
 * The alert rules docs/in-cluster.md gives users, checked by Prometheus's own tools: the rule file
 * is valid (`promtool check rules`) and the alerts fire when they should and only then
 * (`promtool test rules`, on series of the metrics `--report prometheus` writes). promtool is in
 * the Debian package `prometheus` (.ci/run installs it); without it the tests say so and stop.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT, removeDir, tempDir } from '../cli/run.js';
import { findTool } from '../support/tools.js';

const PROMTOOL = findTool('promtool');
const DOC = readFileSync(path.join(REPO_ROOT, 'docs', 'in-cluster.md'), 'utf8');
const dir = tempDir('alert-rules');
const rules = path.join(dir, 'kposture-rules.yaml');
afterAll(() => removeDir(dir));

/** The YAML block of the "Alert rules" section. */
function alertRules(): string {
  const section = DOC.slice(DOC.indexOf('## Alert rules'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('docs/in-cluster.md: no yaml block under "## Alert rules"');
  return block[1]!;
}

function promtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync(PROMTOOL!, args, { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

beforeAll(() => writeFileSync(rules, alertRules()));

describe('the alert rules of docs/in-cluster.md', () => {
  it('name the metrics kposture writes', () => {
    const groups = (parse(alertRules()) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups;
    const alerts = groups.flatMap((g) => g.rules);
    expect(alerts.map((r) => r.alert)).toEqual(['KpostureScoreDropped', 'KpostureCoverageLow', 'KpostureAuditStale']);
    const metricNames = alerts.flatMap((r) => [...r.expr.matchAll(/kposture_[a-z_]+/g)].map((m) => m[0]));
    // Each one is a metric of the table in the same document.
    for (const name of metricNames) expect(DOC).toContain(`| \`${name}\` |`);
  });

  it('pass promtool check rules', () => {
    if (!PROMTOOL) return console.log('promtool is not installed (Debian: apt-get install prometheus): rules not checked');
    const run = promtool(['check', 'rules', rules]);
    expect(run.output).toContain('SUCCESS: 3 rules found');
    expect(run.status).toBe(0);
  });

  it('fire on a score drop, low coverage and a stale audit, and not before (promtool test rules)', () => {
    if (!PROMTOOL) return console.log('promtool is not installed (Debian: apt-get install prometheus): rules not tested');
    const labels = '{job="kposture",cluster="prod-eu1"}';
    const alertLabels = { severity: 'warning', job: 'kposture', cluster: 'prod-eu1' };
    // One sample a minute, as Prometheus scrapes the Pushgateway; the audit runs every 6 hours.
    // The score falls from 90 to 80 at minute 2000; coverage from 95% to 70% at minute 2000; the
    // audits stop after minute 2000 (the timestamp stays at the last run's).
    const tests = {
      rule_files: [path.basename(rules)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: `kposture_score${labels}`, values: '90x2000 80x1500' },
            { series: `kposture_coverage_ratio${labels}`, values: '0.95x2000 0.7x1500' },
            // The last run's time in seconds: a run every 360 minutes up to minute 1800.
            { series: `kposture_last_run_timestamp_seconds${labels}`, values: `0x359 21600x359 43200x359 64800x359 86400x359 108000x1500` },
          ],
          alert_rule_test: [
            { eval_time: '1990m', alertname: 'KpostureScoreDropped', exp_alerts: [] },
            { eval_time: '2005m', alertname: 'KpostureScoreDropped', exp_alerts: [] },
            {
              eval_time: '2100m',
              alertname: 'KpostureScoreDropped',
              exp_alerts: [
                {
                  exp_labels: alertLabels,
                  exp_annotations: {
                    summary: "kposture score dropped to 10.0 points below yesterday's",
                    description: 'Compare the last two reports (kposture diff) to see which findings are new.',
                  },
                },
              ],
            },
            { eval_time: '1990m', alertname: 'KpostureCoverageLow', exp_alerts: [] },
            { eval_time: '2020m', alertname: 'KpostureCoverageLow', exp_alerts: [] },
            {
              eval_time: '2040m',
              alertname: 'KpostureCoverageLow',
              exp_alerts: [
                {
                  exp_labels: alertLabels,
                  exp_annotations: {
                    summary: 'kposture evaluated only 70% of the checklist',
                    description: 'Kinds it could not read: kposture_inventory_kind_unreadable. Check its ClusterRole (kposture rbac).',
                  },
                },
              ],
            },
            { eval_time: '2500m', alertname: 'KpostureAuditStale', exp_alerts: [] },
            {
              eval_time: '2600m',
              alertname: 'KpostureAuditStale',
              exp_alerts: [
                {
                  exp_labels: alertLabels,
                  exp_annotations: {
                    summary: 'No kposture audit for 13h 20m 0s',
                    description: 'kubectl -n kposture get cronjob,jobs,pods shows why the CronJob does not run or fails.',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    writeFileSync(path.join(dir, 'tests.yaml'), stringify(tests));
    const run = promtool(['test', 'rules', 'tests.yaml']);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });
});
