import type { OsFamily } from '../catalog/catalogs.js';
import { labelsOf, type K8sObject } from './object.js';
import { nodeInfoOf } from './nodes.js';

/**
 * Which OS family a node runs, from the OS catalogue. Order of evidence:
 * 1. families whose labels override the osImage (a Kairos node reports its base distro's
 *    os-release, so only its `kairos.io/managed` label tells it apart);
 * 2. `status.nodeInfo.osImage` (the kubelet's PRETTY_NAME from /etc/os-release);
 * 3. node labels set by the platform (`cloud.google.com/gke-os-distribution`,
 *    `kubernetes.azure.com/os-sku`, …), for nodes whose osImage is missing or unrecognised.
 * Within each step, catalogue order decides.
 */
export interface OsIdentity {
  family?: OsFamily;
  osImage?: string;
  /** How the family was recognised, e.g. `osImage "Talos (v1.7.6)"` or `label kubernetes.azure.com/os-sku=AzureLinux`. */
  evidence?: string;
  /** The field that showed it: `status.nodeInfo.osImage` or `metadata.labels["<key>"]`. */
  field?: string;
}

export const OS_IMAGE_FIELD = 'status.nodeInfo.osImage';

interface CompiledFamily {
  family: OsFamily;
  osImage: RegExp[];
  labels: [string, RegExp][];
}

function compile(families: readonly OsFamily[]): CompiledFamily[] {
  return families.map((family) => ({
    family,
    osImage: (family.osImage ?? []).flatMap((p) => safeRegExp(p)),
    labels: Object.entries(family.labels ?? {}).flatMap(([key, p]) => safeRegExp(p).map((re) => [key, re] as [string, RegExp])),
  }));
}

/** Catalogue patterns are validated as regular expressions at load; a bad one never matches. */
function safeRegExp(pattern: string): RegExp[] {
  try {
    return [new RegExp(pattern, 'iu')];
  } catch {
    return [];
  }
}

function labelMatch(c: CompiledFamily, labels: Record<string, string>): { evidence: string; field: string } | undefined {
  for (const [key, re] of c.labels) {
    const value = labels[key];
    if (value !== undefined && re.test(value)) return { evidence: `label ${key}=${value}`, field: `metadata.labels["${key}"]` };
  }
  return undefined;
}

/** Identifies nodes against the catalogue, its patterns compiled once: make one per evaluation, not per node. */
export function osIdentifier(families: readonly OsFamily[]): (node: K8sObject) => OsIdentity {
  const compiled = compile(families);
  return (node) => identify(node, compiled);
}

export function identifyOs(node: K8sObject, families: readonly OsFamily[]): OsIdentity {
  return identify(node, compile(families));
}

function identify(node: K8sObject, compiled: readonly CompiledFamily[]): OsIdentity {
  const { osImage } = nodeInfoOf(node);
  const labels = labelsOf(node);
  const base: OsIdentity = osImage !== undefined ? { osImage } : {};

  for (const c of compiled) {
    if (!c.family.labelsOverrideOsImage) continue;
    const match = labelMatch(c, labels);
    if (match) return { ...base, family: c.family, ...match };
  }
  if (osImage !== undefined) {
    const hit = compiled.find((c) => c.osImage.some((re) => re.test(osImage)));
    if (hit) return { ...base, family: hit.family, evidence: `osImage "${osImage}"`, field: OS_IMAGE_FIELD };
  }
  for (const c of compiled) {
    const match = labelMatch(c, labels);
    if (match) return { ...base, family: c.family, ...match };
  }
  return base;
}

/** Identifies an osImage string alone (no labels): for catalogue tests and explanations. */
export function identifyOsImage(osImage: string, families: readonly OsFamily[]): OsFamily | undefined {
  return identifyOs({ status: { nodeInfo: { osImage } } }, families).family;
}
