/**
 * Two audits of one cluster a week apart, for the baseline and diff tests. Before: the no-netpol
 * fixture as it is (its snapshot has no NetworkPolicies, so NP-02 … NP-06 are unknown). After:
 * the same snapshot with an empty NetworkPolicyList added (the NP checks now run, and fail),
 * namespace `jobs` labelled `restricted` (its MT-04 finding is fixed) and a namespace `billing`
 * created without a label (a new MT-04 finding).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../src/report/model.js';
import { REPO_ROOT, runCli, tempDir } from './run.js';

const FIXTURE = 'fixtures/clusters/no-netpol/snapshot';

export interface TwoAudits {
  dir: string;
  /** The reports' paths, inside `dir`. */
  before: string;
  after: string;
  /** The snapshot folder of the later audit. */
  afterSnapshot: string;
  beforeReport: Report;
  afterReport: Report;
}

export async function twoAudits(prefix: string): Promise<TwoAudits> {
  const dir = tempDir(prefix);
  const afterSnapshot = path.join(dir, 'after-snapshot');
  cpSync(path.join(REPO_ROOT, FIXTURE), afterSnapshot, { recursive: true });
  const file = path.join(afterSnapshot, 'namespaces.json');
  const list = JSON.parse(readFileSync(file, 'utf8')) as {
    items: { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } }[];
  };
  const jobs = list.items.find((ns) => ns.metadata.name === 'jobs')!;
  jobs.metadata.labels = { ...jobs.metadata.labels, 'pod-security.kubernetes.io/enforce': 'restricted' };
  list.items.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'billing', labels: { 'kubernetes.io/metadata.name': 'billing' } } });
  writeFileSync(file, JSON.stringify(list, null, 2));
  writeFileSync(path.join(afterSnapshot, 'networkpolicies.json'), JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicyList', items: [] }));

  const before = path.join(dir, 'before.json');
  const after = path.join(dir, 'after.json');
  for (const [snapshot, out] of [
    [FIXTURE, before],
    [afterSnapshot, after],
  ] as const) {
    const run = await runCli(['audit', '--snapshot', snapshot, '--format', 'json', '-o', out]);
    if (run.code !== 0) throw new Error(`audit of ${snapshot} exited ${run.code}: ${run.stderr}`);
  }
  const read = (f: string): Report => JSON.parse(readFileSync(f, 'utf8')) as Report;
  return { dir, before, after, afterSnapshot, beforeReport: read(before), afterReport: read(after) };
}
