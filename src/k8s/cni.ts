/**
 * Recognises the CNI plugins (and policy agents) a cluster runs from its DaemonSets, with the
 * catalogue in catalog/cnis.json, and decides for each whether it enforces NetworkPolicy:
 * `yes` and `no` come from the entry; `conditional` entries are decided by their rules on the
 * DaemonSet's containers (an argument, an image, a container that exists), first match wins.
 */
import type { CniEntry, CniEnforcementRule } from '../catalog/catalogs.js';
import { asArray, asString, field, isRecord, nameOf, namespaceOf, refOf, type K8sObject, type ResourceRef } from './object.js';

export type Enforcement = 'yes' | 'no' | 'unknown';

export interface CniDetection {
  entry: CniEntry;
  daemonSet: ResourceRef;
  enforcement: Enforcement;
  /** YAML path of the evidence in the DaemonSet, e.g. `spec.template.spec.containers[1].args[1]`. */
  path: string;
  evidence: string;
  /** false when the DaemonSet schedules no pod (status.desiredNumberScheduled is 0). */
  running: boolean;
}

interface Container {
  name: string;
  image: string;
  args: string[];
  path: string;
}

function containersOf(ds: K8sObject): Container[] {
  return asArray(field(ds, 'spec', 'template', 'spec', 'containers')).flatMap((c, i) => {
    if (!isRecord(c)) return [];
    const args = [...asArray(c.command), ...asArray(c.args)].filter((a): a is string => typeof a === 'string');
    return [{ name: asString(c.name) ?? '', image: asString(c.image) ?? '', args, path: `spec.template.spec.containers[${i}]` }];
  });
}

/** Regular expressions from a catalogue (or a user's config); a bad one never matches. */
function regex(source: string, anchored = false): RegExp | undefined {
  try {
    return new RegExp(anchored ? `^(?:${source})$` : source);
  } catch {
    return undefined;
  }
}

function matchesEntry(entry: CniEntry, ds: K8sObject, containers: Container[]): boolean {
  const name = nameOf(ds);
  if (!entry.daemonSets.some((p) => regex(p, true)?.test(name))) return false;
  if (entry.namespaces && !entry.namespaces.includes(namespaceOf(ds) ?? '')) return false;
  if (entry.images && !containers.some((c) => entry.images!.some((p) => regex(p)?.test(c.image)))) return false;
  return true;
}

function decide(entry: CniEntry, containers: Container[]): Pick<CniDetection, 'enforcement' | 'path' | 'evidence'> {
  if (entry.enforcesNetworkPolicy !== 'conditional') {
    return {
      enforcement: entry.enforcesNetworkPolicy,
      path: 'metadata.name',
      evidence: `${entry.name} ${entry.enforcesNetworkPolicy === 'yes' ? 'enforces' : 'does not enforce'} NetworkPolicy`,
    };
  }
  for (const rule of entry.enforcement ?? []) {
    const hit = ruleMatch(rule, containers);
    if (hit) return { enforcement: rule.enforces ? 'yes' : 'no', path: hit.path, evidence: `${hit.value}: ${rule.because}` };
  }
  return {
    enforcement: entry.otherwise ?? 'unknown',
    path: 'spec.template.spec.containers',
    evidence: entry.condition ?? `${entry.name}: enforcement depends on its configuration`,
  };
}

function ruleMatch(rule: CniEnforcementRule, containers: Container[]): { path: string; value: string } | undefined {
  const name = regex(rule.container);
  const arg = rule.arg === undefined ? undefined : regex(rule.arg);
  const image = rule.image === undefined ? undefined : regex(rule.image);
  if (!name || (rule.arg !== undefined && !arg) || (rule.image !== undefined && !image)) return undefined;
  for (const c of containers) {
    if (!name.test(c.name)) continue;
    if (image && !image.test(c.image)) continue;
    if (arg) {
      // command and args are concatenated; report the index within whichever list holds it.
      const i = c.args.findIndex((a) => arg.test(a));
      if (i < 0) continue;
      return { path: `${c.path}.args`, value: `container ${c.name} ${c.args[i]}` };
    }
    return image ? { path: `${c.path}.image`, value: `container ${c.name} image ${c.image}` } : { path: `${c.path}.name`, value: `container ${c.name}` };
  }
  return undefined;
}

/** Every catalogue entry recognised in the DaemonSets, one detection per DaemonSet and entry. */
export function detectCnis(daemonSets: readonly K8sObject[], catalog: readonly CniEntry[]): CniDetection[] {
  const out: CniDetection[] = [];
  for (const ds of daemonSets) {
    const containers = containersOf(ds);
    for (const entry of catalog) {
      if (!matchesEntry(entry, ds, containers)) continue;
      const desired = field(ds, 'status', 'desiredNumberScheduled');
      out.push({ entry, daemonSet: refOf(ds, 'DaemonSet'), running: desired !== 0, ...decide(entry, containers) });
      break;
    }
  }
  return out;
}

/** Catalogue entries whose CRDs exist, for explaining an unrecognised cluster. */
export function cnisWithCrds(crdNames: ReadonlySet<string>, catalog: readonly CniEntry[]): CniEntry[] {
  return catalog.filter((e) => (e.crds ?? []).some((c) => crdNames.has(c)));
}
