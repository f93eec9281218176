/** What every human fleet format says the same way: column names, one-line problems, drift wording. */
import type { Drift, DriftAspect } from './drift.js';
import type { FleetCluster, FleetReport } from './model.js';

/** Short column names of the checklist's categories; a category kposture does not know gets its id. */
const SHORT: Readonly<Record<string, string>> = {
  multitenancy: 'MT',
  'policy-engine': 'PE',
  'host-os': 'OS',
  'base-images': 'IMG',
  network: 'NP',
  die: 'DIE',
};

export function shortCategory(id: string): string {
  return SHORT[id] ?? id.slice(0, 4).toUpperCase();
}

/** The categories of the audited clusters, in report order (every cluster has the same ones). */
export function fleetCategories(report: FleetReport): { id: string; title: string; inTotal: boolean }[] {
  const seen = new Map<string, { id: string; title: string; inTotal: boolean }>();
  for (const c of report.clusters)
    for (const cat of c.categories ?? []) if (!seen.has(cat.id)) seen.set(cat.id, { id: cat.id, title: cat.title, inTotal: cat.inTotal });
  return [...seen.values()];
}

/** `5 clusters: 3 audited, 1 unreachable, 1 error; gate failed on 1` (zero counts left out). */
export function fleetHeadline(report: FleetReport): string {
  const s = report.summary;
  const parts = [
    `${s.audited} audited`,
    ...(s.unreachable > 0 ? [`${s.unreachable} unreachable`] : []),
    ...(s.errors > 0 ? [`${s.errors} not audited (error)`] : []),
  ];
  const gate = s.gateFailed > 0 ? `; gate failed on ${s.gateFailed}` : '';
  return `${s.clusters} cluster${s.clusters === 1 ? '' : 's'}: ${parts.join(', ')}${gate}; exit ${report.exitCode}`;
}

/**
 * What went wrong with a cluster, one line each: why it was not audited, what it could not read
 * (which is what lowers its coverage), why its gate failed. Empty for a cluster without a problem.
 */
export function clusterProblems(cluster: FleetCluster): string[] {
  if (cluster.error !== undefined) return [`${cluster.status === 'unreachable' ? 'unreachable' : 'not audited'} (exit ${cluster.exitCode}): ${cluster.error}`];
  const lines: string[] = [];
  const unread = cluster.unread ?? [];
  if (unread.length > 0) {
    const by = (status: string): string[] => unread.filter((k) => k.status === status).map((k) => k.kind);
    const forbidden = by('forbidden');
    const failed = by('error');
    const what = [...(forbidden.length > 0 ? [`forbidden by RBAC: ${listed(forbidden)}`] : []), ...(failed.length > 0 ? [`failed: ${listed(failed)}`] : [])];
    lines.push(`coverage ${cluster.coverage ?? 0}%: ${unread.length} kind${unread.length === 1 ? '' : 's'} not listed (${what.join('; ')})`);
  }
  if (cluster.gate && !cluster.gate.passed) lines.push(`gate failed: ${cluster.gate.reasons.join('; ')}`);
  return lines;
}

function listed(kinds: string[]): string {
  const shown = 6;
  return kinds.length > shown ? `${kinds.slice(0, shown).join(', ')} and ${kinds.length - shown} more` : kinds.join(', ');
}

/** The aspects that are alike, in one line: `Kubelet versions, CNI…; Pod Security level of 4 shared namespaces`. */
export function alikeSummary(aspects: readonly DriftAspect[]): string | undefined {
  // Alike means two clusters or more known to share the value.
  const alike = aspects.filter((a) => !a.differs && (a.values[0]?.clusters.length ?? 0) >= 2);
  const plain = alike.filter((a) => a.id !== 'psa').map((a) => a.title);
  const namespaces = alike.filter((a) => a.id === 'psa').length;
  const parts = [...plain, ...(namespaces > 0 ? [`Pod Security enforce level of ${namespaces} shared namespace${namespaces === 1 ? '' : 's'}`] : [])];
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** `Drift: 3 aspects differ between clusters`, or `Drift: none found`. */
export function driftHeadline(drift: Drift): string {
  if (drift.differing === 0) return 'Drift: none found';
  return `Drift: ${drift.differing} aspect${drift.differing === 1 ? ' differs' : 's differ'} between clusters`;
}
