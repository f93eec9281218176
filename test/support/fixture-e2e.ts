/** Shared pieces of the end-to-end tests: data sets, report comparison, which kind to forbid. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { kindsToCollect } from '../../src/engine/run.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import { kindSpec, type KindId } from '../../src/k8s/kinds.js';
import type { Report } from '../../src/report/model.js';
import type { FixtureServerOptions, ServedResource } from './fixture-server.js';
import { REPO_ROOT } from './fixture-server.js';
import { writeSyntheticCluster } from './fixture-cluster.js';

export interface DataSet {
  name: string;
  /** What the fixture server serves. */
  serve: string[];
  /** The same data as `audit --snapshot` reads. */
  snapshot: string[];
  /** Kinds the checks read that the data lacks: served as 403 so both sides say unknown. */
  lacking: KindId[];
}

export function nodeLabel(node: string): string {
  return `Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}`;
}

export interface DataSource {
  name: string;
  paths: string[];
  /** Loads the data and works out what the server and the snapshot side need (cached). */
  prepare(): DataSet;
}

/**
 * The synthetic cluster, then each fixtures/clusters/<name>/snapshot folder (demo first). Nothing is loaded until a test asks, so a broken data set fails its tests,
 * not the whole suite.
 */
export function dataSets(): DataSource[] {
  const source = (name: string, paths: () => string[]): DataSource => {
    let cached: DataSet | undefined;
    let resolved: string[] | undefined;
    return {
      name,
      get paths() {
        return (resolved ??= paths());
      },
      prepare() {
        return (cached ??= prepare(name, this.paths));
      },
    };
  };
  const sets = [source('synthetic cluster', () => [writeSyntheticCluster({ namespaces: 4, podsPerNamespace: 6 })])];
  const clusters = path.join(REPO_ROOT, 'fixtures', 'clusters');
  const names = existsSync(clusters) ? readdirSync(clusters).sort((a, b) => (a === 'demo' ? -1 : b === 'demo' ? 1 : a.localeCompare(b))) : [];
  for (const name of names) {
    const dir = path.join(clusters, name, 'snapshot');
    if (existsSync(dir) && readdirSync(dir, { recursive: true }).some((f) => /\.(json|ya?ml)$/.test(String(f)))) {
      sets.push(source(path.relative(REPO_ROOT, dir), () => [dir]));
    }
  }
  return sets;
}

function prepare(name: string, paths: string[]): DataSet {
  const inventory = loadSnapshot(paths);
  const lacking = kindsToCollect(BUILTIN_CHECKS).filter((id) => {
    const spec = kindSpec(id);
    const status = inventory.kinds.get(id)?.status ?? 'missing';
    return status === 'missing' && spec !== undefined && !spec.dynamic;
  });
  return { name, serve: paths, snapshot: paths, lacking };
}

/** Server options that mirror what the data lacks: such kinds answer 403, so live says unknown too. */
export function mirrorLacking(set: DataSet): Pick<FixtureServerOptions, 'extra' | 'forbidden'> {
  const extra: ServedResource[] = set.lacking.map((id) => {
    const spec = kindSpec(id)!;
    return { group: spec.group, version: spec.versions[0]!, resource: spec.resource, kind: spec.kind, namespaced: spec.namespaced };
  });
  return { extra, forbidden: [...set.lacking] };
}

/**
 * A report without what differs by source: target, generatedAt, finding locations, the wording of
 * unknown reasons (a snapshot says "the snapshot contains no X", live says "forbidden"),
 * inventory entries (kept separately, by kind), and the version in an object's apiVersion (a
 * live read uses the server's preferred version; a snapshot keeps the one it was written at).
 */
export function comparable(report: Report): unknown {
  const text = JSON.stringify(report).replace(/"apiVersion":"([^"/]+)\/v[0-9a-z]+"/g, '"apiVersion":"$1/*"');
  const r = JSON.parse(text) as Record<string, unknown> & { checks: Record<string, unknown>[] };
  delete r.target;
  delete r.generatedAt;
  delete r.inventory;
  for (const c of r.checks) {
    for (const f of c.findings as Record<string, unknown>[]) delete f.location;
    if (c.status === 'unknown') delete c.reason;
  }
  return r;
}

export function inventoryByKind(report: Report): Map<string, { status: string; count: number }> {
  return new Map(report.inventory.map((k) => [k.kind, { status: k.status, count: k.count }]));
}

/**
 * A kind whose 403 should turn some checks unknown and leave others alone: required by the
 * fewest checks, optional for none (an optional read changes a check's result, not its status).
 */
export function kindToForbid(): { kind: KindId; readers: string[] } {
  const optional = new Set(BUILTIN_CHECKS.flatMap((c) => c.meta.optionalReads ?? []));
  const readers = new Map<KindId, string[]>();
  for (const c of BUILTIN_CHECKS) for (const k of c.meta.reads) readers.set(k, [...(readers.get(k) ?? []), c.meta.id]);
  const [kind, ids] = [...readers.entries()]
    .filter(([k]) => !optional.has(k) && !kindSpec(k)?.dynamic)
    .sort(([a, x], [b, y]) => x.length - y.length || a.localeCompare(b))[0]!;
  return { kind, readers: ids };
}
