/**
 * SARIF from a snapshot audit: every result points at a real file of the snapshot (code scanning
 * shows a result only where its file is), at the line its object starts on when the object has
 * one; info checks and categories outside the total are notes, whatever their severity.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSarif } from '../../src/report/sarif.js';
import { REPO_ROOT } from '../cli/run.js';
import { FIXTURES, fixtureReport } from './formats-support.js';

describe('SARIF of the fixture clusters', () => {
  it.each(FIXTURES)('%s: every location is a file of the snapshot, its line inside the file', async (name) => {
    const report = await fixtureReport(name);
    const run = buildSarif(report).runs[0]!;
    expect(run.results.length).toBeGreaterThan(0);
    for (const result of run.results) {
      const { artifactLocation, region } = result.locations[0]!.physicalLocation;
      const file = decodeURIComponent(artifactLocation.uri);
      expect(file.startsWith(`fixtures/clusters/${name}/snapshot/`)).toBe(true);
      expect(existsSync(path.join(REPO_ROOT, file))).toBe(true);
      expect(region.startLine).toBeLessThanOrEqual(readFileSync(path.join(REPO_ROOT, file), 'utf8').split('\n').length);
    }
  });

  it('gives info checks and the DIE category (not in the total) the level note, rules and results alike', async () => {
    const report = await fixtureReport('demo');
    const run = buildSarif(report).runs[0]!;
    const rule = (id: string) => run.tool.driver.rules.find((r) => r.id === id)!;
    for (const id of ['MT-01', 'NP-06', 'DIE-01', 'DIE-03']) {
      expect(rule(id).defaultConfiguration.level).toBe('note');
      const results = run.results.filter((r) => r.ruleId === id);
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) expect(r.level).toBe('note');
    }
    // Severity still says what it is: DIE-03 (hostPath) is high, and keeps its security-severity.
    expect(rule('DIE-03').properties).toMatchObject({ severity: 'high', 'security-severity': '8.0' });
    expect(rule('MT-05').defaultConfiguration.level).toBe('error');
  });

  it('points a finding whose object is no file of its own at one of its grouped objects or its kind', async () => {
    const report = await fixtureReport('demo');
    const unfiled = report.checks.flatMap((c) => c.findings).filter((f) => f.resource.name === '*' || f.resource.kind === 'PodIsolation');
    for (const f of unfiled) expect(f.location.uri).toMatch(/^fixtures\/clusters\/demo\/snapshot\/[^/]+\.(json|ya?ml)$/);
  });
});
