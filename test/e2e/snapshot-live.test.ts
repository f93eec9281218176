/**
 * End to end: `kposture snapshot -o FILE` against the fixture API server, then
 * `kposture audit --snapshot FILE`, must give the checks the live audit gives.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSnapshot, SNAPSHOT_ANNOTATIONS } from '../../src/inventory/snapshot.js';
import type { Report } from '../../src/report/model.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer } from '../support/fixture-server.js';
import { e2eNodes, expectExit, runBuiltCli } from '../support/fixture-cli.js';
import { FIXTURE_MARKER } from '../support/fixture-cluster.js';
import { dataSets, kindToForbid, mirrorLacking, nodeLabel } from '../support/fixture-e2e.js';

const servers: FixtureServer[] = [];
const nodes = e2eNodes().map((bin) => ({ bin, label: nodeLabel(bin) }));
// The synthetic cluster and the demo: snapshot writing does not depend on the data's posture.
const sets = dataSets().slice(0, 2);

afterAll(async () => {
  const all = servers.flatMap((s) => s.requests);
  expect(all.filter((r) => r.method !== 'GET' || /secrets/i.test(r.path))).toEqual([]);
  await Promise.all(servers.map((s) => s.close()));
});

function verdicts(report: Report): { id: string; status: string; score: number | null; findings: number; subjects: number }[] {
  return report.checks.map((c) => ({ id: c.id, status: c.status, score: c.score, findings: c.findings.length, subjects: c.subjects.length }));
}

describe.each(nodes)('$label', ({ bin }) => {
  describe.each(sets)('$name', (source) => {
    test('snapshot -o FILE, then audit --snapshot FILE, gives the live audit’s statuses and scores', async () => {
      const set = source.prepare();
      const server = await startFixtureServer({ snapshot: set.serve, ...mirrorLacking(set) });
      servers.push(server);
      const kc = writeKubeconfig(server, { context: 'snap-ctx' });
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'kposture-e2e-snap-')), 'cluster.json');

      const snap = await runBuiltCli(bin, ['snapshot', '-o', file], { KUBECONFIG: kc.file });
      expectExit(snap, 0);
      expect(snap.stdout).toBe('');
      expect(snap.stderr).toContain(`wrote ${file}:`);
      for (const id of set.lacking) expect(snap.stderr).toContain(`left out ${id}: forbidden`);

      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain(FIXTURE_MARKER);
      expect(text).not.toContain(server.token);
      const annotations = (JSON.parse(text) as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
      expect(annotations[SNAPSHOT_ANNOTATIONS.context]).toBe('snap-ctx');
      expect(loadSnapshot([file]).serverVersion).toBe(annotations[SNAPSHOT_ANNOTATIONS.serverVersion]);

      const live = await runBuiltCli(bin, ['audit', '--format', 'json'], { KUBECONFIG: kc.file });
      const fromFile = await runBuiltCli(bin, ['audit', '--format', 'json', '--snapshot', file], {});
      expectExit(live, 0);
      expectExit(fromFile, 0);
      const l = JSON.parse(live.stdout) as Report;
      const f = JSON.parse(fromFile.stdout) as Report;
      expect(verdicts(f)).toEqual(verdicts(l));
      expect([f.score, f.grade, f.coverage]).toEqual([l.score, l.grade, l.coverage]);
      expect(f.target).toMatchObject({ source: 'snapshot', serverVersion: l.target.serverVersion });
    });

    test('a kind forbidden while snapshotting stays unknown in the audit of the file, never empty', async () => {
      const { kind, readers } = kindToForbid();
      const set = source.prepare();
      const mirror = mirrorLacking(set);
      const server = await startFixtureServer({ snapshot: set.serve, extra: mirror.extra ?? [], forbidden: [...(mirror.forbidden ?? []), kind] });
      servers.push(server);
      const kc = writeKubeconfig(server);
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'kposture-e2e-snap-')), 'cluster.json');
      const snap = await runBuiltCli(bin, ['snapshot', '-o', file], { KUBECONFIG: kc.file });
      expectExit(snap, 0);
      expect(snap.stderr).toContain(`left out ${kind}: forbidden:`);
      const audit = await runBuiltCli(bin, ['audit', '--format', 'json', '--snapshot', file], {});
      const report = JSON.parse(audit.stdout) as Report;
      for (const id of readers) {
        const check = report.checks.find((c) => c.id === id)!;
        expect({ id, status: check.status }).toEqual({ id, status: 'unknown' });
        expect(check.reason).toContain(kind);
      }
    });
  });
});
