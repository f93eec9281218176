/**
 * Recognises the CNI plugins (and policy agents) a cluster runs from its DaemonSets, with the
 * catalogue in catalog/cnis.json, and decides for each whether it enforces NetworkPolicy:
 * `yes` and `no` come from the entry; `conditional` entries are decided by their rules, on the
 * DaemonSet's containers (an argument, an image, a container that exists or not) and on the
 * ConfigMaps the CNI is configured by (Cilium's `enable-policy`), first rule that holds wins. A
 * rule whose ConfigMap cannot be read (forbidden, not listed, absent) cannot be decided, and
 * neither can the rules after it: enforcement is then `unknown`, with that reason.
 */
import type { CniConfigMapCondition, CniEntry, CniEnforcementRule } from '../catalog/catalogs.js';
import type { KindCollection } from './inventory.js';
import { asArray, asString, field, isRecord, nameOf, namespaceOf, refOf, type K8sObject, type ResourceRef } from './object.js';

export type Enforcement = 'yes' | 'no' | 'unknown';

export interface CniDetection {
  entry: CniEntry;
  daemonSet: ResourceRef;
  enforcement: Enforcement;
  /** YAML path of the evidence in `object` (the DaemonSet unless said), e.g. `spec.template.spec.containers[1].args`. */
  path: string;
  evidence: string;
  /** The object the evidence is in when it is not the DaemonSet: the ConfigMap that decided. */
  object?: ResourceRef;
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

type Decision = Pick<CniDetection, 'enforcement' | 'path' | 'evidence' | 'object'>;

function decide(entry: CniEntry, ds: K8sObject, containers: Container[], configMaps: KindCollection | undefined): Decision {
  if (entry.enforcesNetworkPolicy !== 'conditional') {
    return {
      enforcement: entry.enforcesNetworkPolicy,
      path: 'metadata.name',
      evidence: `${entry.name} ${entry.enforcesNetworkPolicy === 'yes' ? 'enforces' : 'does not enforce'} NetworkPolicy`,
    };
  }
  for (const rule of entry.enforcement ?? []) {
    const result = ruleResult(rule, ds, containers, configMaps);
    if (result === undefined) continue;
    if ('undecidable' in result) {
      return { enforcement: 'unknown', path: result.path, evidence: result.undecidable, ...(result.object ? { object: result.object } : {}) };
    }
    return {
      enforcement: rule.enforces ? 'yes' : 'no',
      path: result.path,
      evidence: `${result.value}: ${rule.because}`,
      ...(result.object ? { object: result.object } : {}),
    };
  }
  const otherwise = entry.otherwise ?? 'unknown';
  const evidence =
    otherwise === 'unknown'
      ? (entry.condition ?? `${entry.name}: enforcement depends on its configuration`)
      : (entry.otherwiseBecause ?? `${entry.name} ${otherwise === 'yes' ? 'enforces' : 'does not enforce'} NetworkPolicy`);
  return { enforcement: otherwise, path: 'spec.template.spec.containers', evidence };
}

interface Hit {
  path: string;
  value: string;
  object?: ResourceRef;
}

/** A rule that holds (a hit), does not hold (undefined), or cannot be decided from what was read. */
function ruleResult(
  rule: CniEnforcementRule,
  ds: K8sObject,
  containers: Container[],
  configMaps: KindCollection | undefined,
): Hit | { undecidable: string; path: string; object?: ResourceRef } | undefined {
  let hit: Hit | undefined;
  if (rule.container !== undefined) {
    hit = containerMatch(rule, containers);
    if (!hit) return undefined;
  } else if (rule.configMap === undefined) {
    return undefined;
  }
  if (!rule.configMap) return hit;
  const value = configMapValue(rule.configMap, namespaceOf(ds) ?? '', configMaps);
  if ('unreadable' in value) return { undecidable: value.unreadable, path: value.path, ...(value.object ? { object: value.object } : {}) };
  const wanted = rule.configMap.values.some((v) => v.trim().toLowerCase() === value.value.trim().toLowerCase());
  if (!wanted) return undefined;
  const shown = `ConfigMap ${value.object.namespace ?? ''}/${value.object.name} ${rule.configMap.key}=${value.value}${value.defaulted ? ' (the default: the key is absent)' : ''}`;
  return { path: value.path, value: hit ? `${hit.value}; ${shown}` : shown, object: value.object };
}

function containerMatch(rule: CniEnforcementRule, containers: Container[]): Hit | undefined {
  const name = regex(rule.container ?? '');
  const arg = rule.arg === undefined ? undefined : regex(rule.arg);
  const image = rule.image === undefined ? undefined : regex(rule.image);
  if (!name || (rule.arg !== undefined && !arg) || (rule.image !== undefined && !image)) return undefined;
  if (rule.absent) {
    if (containers.some((c) => name.test(c.name))) return undefined;
    return { path: 'spec.template.spec.containers', value: `no container named like ${rule.container ?? ''}` };
  }
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

/** The value of a ConfigMap key, or why it cannot be known. */
function configMapValue(
  cond: CniConfigMapCondition,
  dsNamespace: string,
  configMaps: KindCollection | undefined,
): { value: string; defaulted: boolean; path: string; object: ResourceRef } | { unreadable: string; path: string; object?: ResourceRef } {
  const namespace = cond.namespace ?? dsNamespace;
  const path = `data["${cond.key}"]`;
  const ref: ResourceRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: cond.name };
  const label = `ConfigMap ${namespace}/${cond.name}`;
  if (!configMaps || configMaps.status !== 'ok') {
    const why = !configMaps ? 'ConfigMaps were not read' : `ConfigMaps are ${configMaps.status}${configMaps.reason ? ` (${configMaps.reason})` : ''}`;
    return { unreadable: `${label} decides, and it could not be read: ${why}`, path, object: ref };
  }
  const cm = configMaps.items.find((c) => nameOf(c) === cond.name && namespaceOf(c) === namespace);
  if (!cm) return { unreadable: `${label} decides, and it does not exist`, path, object: ref };
  const object = refOf(cm, 'ConfigMap');
  const raw = field(cm, 'data', cond.key);
  if (typeof raw === 'string') return { value: raw, defaulted: false, path, object };
  if (raw === undefined && cond.default !== undefined) return { value: cond.default, defaulted: true, path, object };
  return { unreadable: `${label} has ${raw === undefined ? `no key ${cond.key}` : `a ${cond.key} that is not a string`}`, path, object };
}

/**
 * Every catalogue entry recognised in the DaemonSets, one detection per DaemonSet and entry.
 * `configMaps` is the ConfigMap collection conditional entries may be decided by; without it
 * (not read) such an entry is `unknown`.
 */
export function detectCnis(daemonSets: readonly K8sObject[], catalog: readonly CniEntry[], configMaps?: KindCollection): CniDetection[] {
  const out: CniDetection[] = [];
  for (const ds of daemonSets) {
    const containers = containersOf(ds);
    for (const entry of catalog) {
      if (!matchesEntry(entry, ds, containers)) continue;
      const desired = field(ds, 'status', 'desiredNumberScheduled');
      out.push({ entry, daemonSet: refOf(ds, 'DaemonSet'), running: desired !== 0, ...decide(entry, ds, containers, configMaps) });
      break;
    }
  }
  return out;
}

/** Catalogue entries whose CRDs exist, for explaining an unrecognised cluster. */
export function cnisWithCrds(crdNames: ReadonlySet<string>, catalog: readonly CniEntry[]): CniEntry[] {
  return catalog.filter((e) => (e.crds ?? []).some((c) => crdNames.has(c)));
}
