/**
 * Drift: where clusters of one fleet run differ in what should be alike. The clusters a user
 * audits together (`--contexts 'prod-*'`) are taken to be meant alike; each aspect groups them by
 * the value they have, and differs when the known ones do not all share one. A cluster whose fact
 * is unknown is listed apart, with the reason, and never counted as a difference.
 */
import type { ClusterFacts, Fact } from './facts.js';

export type AspectId = 'os-family' | 'os-image' | 'kubelet' | 'runtime' | 'cni' | 'policy-engine' | 'psa' | 'waivers';

export interface DriftAspect {
  id: AspectId;
  title: string;
  /** `psa` only: the namespace whose enforce level is compared (it exists in two clusters or more). */
  namespace?: string;
  differs: boolean;
  /** Clusters by value, the most common value first. */
  values: { value: string; clusters: string[] }[];
  unknown: { cluster: string; reason: string }[];
}

export interface Drift {
  /** How many aspects differ. */
  differing: number;
  aspects: DriftAspect[];
}

/** The value shown for a cluster that has none of something: no waiver, no policy engine. */
const NONE = '(none)';

const SET_ASPECTS: readonly { id: AspectId; title: string; fact: keyof Omit<ClusterFacts, 'psa'> }[] = [
  { id: 'os-family', title: 'Host OS families', fact: 'osFamilies' },
  { id: 'os-image', title: 'Host OS images', fact: 'osImages' },
  { id: 'kubelet', title: 'Kubelet versions', fact: 'kubeletVersions' },
  { id: 'runtime', title: 'Container runtime versions', fact: 'runtimeVersions' },
  { id: 'cni', title: 'CNI and whether it enforces NetworkPolicy', fact: 'cni' },
  { id: 'policy-engine', title: 'Policy engines and their mode', fact: 'policyEngines' },
  { id: 'waivers', title: 'Waivers in force', fact: 'waivers' },
];

/** Compares the audited clusters (those with facts); the others are not part of drift. */
export function findDrift(clusters: readonly { context: string; facts?: ClusterFacts }[]): Drift {
  const audited = clusters.flatMap((c) => (c.facts ? [{ context: c.context, facts: c.facts }] : []));
  const aspects: DriftAspect[] = [];
  for (const a of SET_ASPECTS) {
    if (a.id === 'waivers') continue;
    aspects.push(aspect(a.id, a.title, audited, (f) => valueOf(f[a.fact])));
  }
  aspects.push(...podSecurityAspects(audited));
  const waivers = SET_ASPECTS.find((a) => a.id === 'waivers')!;
  aspects.push(aspect(waivers.id, waivers.title, audited, (f) => valueOf(f.waivers)));
  return { differing: aspects.filter((a) => a.differs).length, aspects };
}

type Known = { value: string } | { unknown: string };

function valueOf(fact: Fact): Known {
  if ('unknown' in fact) return { unknown: fact.unknown };
  return { value: fact.values.length > 0 ? fact.values.join(', ') : NONE };
}

function aspect(
  id: AspectId,
  title: string,
  clusters: readonly { context: string; facts: ClusterFacts }[],
  read: (facts: ClusterFacts) => Known | undefined,
  namespace?: string,
): DriftAspect {
  const groups = new Map<string, string[]>();
  const unknown: DriftAspect['unknown'] = [];
  for (const c of clusters) {
    const known = read(c.facts);
    if (!known) continue;
    if ('unknown' in known) unknown.push({ cluster: c.context, reason: known.unknown });
    else groups.set(known.value, [...(groups.get(known.value) ?? []), c.context]);
  }
  const values = [...groups.entries()]
    .map(([value, members]) => ({ value, clusters: members }))
    .sort((a, b) => b.clusters.length - a.clusters.length || a.value.localeCompare(b.value, 'en'));
  return { id, title, ...(namespace !== undefined ? { namespace } : {}), differs: values.length > 1, values, unknown };
}

/** One aspect per namespace name that two clusters or more have: its Pod Security enforce level. */
function podSecurityAspects(clusters: readonly { context: string; facts: ClusterFacts }[]): DriftAspect[] {
  const seen = new Map<string, number>();
  for (const c of clusters) {
    if ('namespaces' in c.facts.psa) for (const ns of Object.keys(c.facts.psa.namespaces)) seen.set(ns, (seen.get(ns) ?? 0) + 1);
  }
  const shared = [...seen.entries()]
    .filter(([, n]) => n >= 2)
    .map(([ns]) => ns)
    .sort((a, b) => a.localeCompare(b, 'en'));
  return shared.map((ns) =>
    aspect(
      'psa',
      `Pod Security enforce level of namespace ${ns}`,
      clusters,
      (f) => {
        if ('unknown' in f.psa) return { unknown: f.psa.unknown };
        const level = f.psa.namespaces[ns];
        return level === undefined ? undefined : { value: level };
      },
      ns,
    ),
  );
}
