import type { OsFamily } from '../catalog/catalogs.js';
import { asString, field, labelsOf, type K8sObject } from './object.js';
import { nodeInfoOf } from './nodes.js';

/**
 * Which OS family a node runs, from every signal the OS catalogue knows, read in this order:
 * 0. `spec.providerID` (`kind://docker/kind/kind-worker`): a provider that runs nodes in
 *    containers says so there, while the node image's os-release names an ordinary distro;
 * 1. labels of families marked `labelsOverrideOsImage` (a Kairos node reports its base distro's
 *    os-release, so only its `kairos.io/*` labels tell it apart);
 * 2. `status.nodeInfo.osImage` (the kubelet's PRETTY_NAME from /etc/os-release);
 * 3. `status.nodeInfo.kernelVersion` (`6.6.32-talos`, `6.1.85-flatcar`, `6.6.72+` on COS…);
 * 4. node labels set by the platform or by an operator (`cloud.google.com/gke-os-distribution`,
 *    `kubernetes.azure.com/os-sku`, `node.openshift.io/os_id`, Node Feature Discovery…).
 * Within a kind of signal the catalogue's first matching pattern answers (user entries come first).
 * A pattern several families list word for word is shared (a Fedora kernel runs on Fedora and on
 * Fedora CoreOS): it narrows the node to those families and decides none. The first signal that
 * names one family decides; every other signal that names something else is kept as a conflict,
 * so that a report can say the signals disagree.
 */
export interface OsSignal {
  /** `providerID`, `osImage`, `kernelVersion`, or `label:<key>` (`label:<key>,<key>` for a set of labels). */
  signal: string;
  /** What the node shows: the osImage or kernel string, `key=value` for labels. */
  value: string;
  /** The JSON path of the field, for findings: `status.nodeInfo.osImage`, `metadata.labels["<key>"]`. */
  field: string;
  /** The families the matching pattern names: one decides, several only narrow. */
  families: readonly OsFamily[];
}

export interface OsIdentity {
  family?: OsFamily;
  osImage?: string;
  kernelVersion?: string;
  /** The signal that decided (`providerID`, `osImage`, `kernelVersion`, `label:<key>`). */
  signal?: string;
  /** How the family was recognised, e.g. `osImage "Talos (v1.7.6)"` or `label kubernetes.azure.com/os-sku=AzureLinux`. */
  evidence?: string;
  /** The field that showed it: `status.nodeInfo.osImage`, `status.nodeInfo.kernelVersion` or `metadata.labels["<key>"]`. */
  field?: string;
  /** Signals that name none of the deciding family: the signals disagree. */
  conflicts?: OsSignal[];
  /** When nothing decides: the shared signals, which narrow the node to several families. */
  ambiguous?: OsSignal[];
}

export const OS_IMAGE_FIELD = 'status.nodeInfo.osImage';
const KERNEL_VERSION_FIELD = 'status.nodeInfo.kernelVersion';
const PROVIDER_ID_FIELD = 'spec.providerID';

type RuleKind = 'providerID' | 'osImage' | 'kernelVersion' | 'labels';

/** One pattern (or set of label patterns) and the families that list it. */
interface Rule {
  kind: RuleKind;
  /** For labels: [key, pattern] pairs that must all match. */
  labels: [string, RegExp][];
  pattern?: RegExp;
  /** The signal name: `providerID`, `osImage`, `kernelVersion`, `label:<key>[,<key>…]`. */
  signal: string;
  families: OsFamily[];
  /** A label rule of a family whose labels win over the osImage. */
  overrides: boolean;
}

interface CompiledCatalogue {
  providerID: Rule[];
  overriding: Rule[];
  osImage: Rule[];
  kernelVersion: Rule[];
  labels: Rule[];
}

/** Catalogue patterns are validated as regular expressions at load; a bad one never matches. */
function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'iu');
  } catch {
    return undefined;
  }
}

function compile(families: readonly OsFamily[]): CompiledCatalogue {
  const rules = new Map<string, Rule>();
  const add = (kind: RuleKind, family: OsFamily, parts: [string, string][]): void => {
    const id = `${kind}\u0000${JSON.stringify(parts)}`;
    const known = rules.get(id);
    if (known) {
      if (!known.families.includes(family)) known.families.push(family);
      return;
    }
    const compiled = parts.map(([key, p]) => [key, safeRegExp(p)] as const);
    if (compiled.some(([, re]) => re === undefined)) return;
    const pairs = compiled as [string, RegExp][];
    rules.set(id, {
      kind,
      labels: kind === 'labels' ? pairs : [],
      ...(kind === 'labels' ? {} : { pattern: pairs[0]![1] }),
      signal: kind === 'labels' ? `label:${pairs.map(([key]) => key).join(',')}` : kind,
      families: [family],
      overrides: kind === 'labels' && family.labelsOverrideOsImage === true,
    });
  };
  for (const family of families) {
    for (const p of family.providerID ?? []) add('providerID', family, [['', p]]);
    for (const p of family.osImage ?? []) add('osImage', family, [['', p]]);
    for (const p of family.kernelVersion ?? []) add('kernelVersion', family, [['', p]]);
    for (const [key, p] of Object.entries(family.labels ?? {})) add('labels', family, [[key, p]]);
    for (const set of family.labelSets ?? []) add('labels', family, Object.entries(set));
  }
  const all = [...rules.values()];
  return {
    providerID: all.filter((r) => r.kind === 'providerID'),
    overriding: all.filter((r) => r.overrides),
    osImage: all.filter((r) => r.kind === 'osImage'),
    kernelVersion: all.filter((r) => r.kind === 'kernelVersion'),
    labels: all.filter((r) => r.kind === 'labels' && !r.overrides),
  };
}

/** Identifies nodes against the catalogue, its patterns compiled once: make one per evaluation, not per node. */
export function osIdentifier(families: readonly OsFamily[]): (node: K8sObject) => OsIdentity {
  const compiled = compile(families);
  return (node) => identify(node, compiled);
}

export function identifyOs(node: K8sObject, families: readonly OsFamily[]): OsIdentity {
  return identify(node, compile(families));
}

/** Identifies an osImage string alone (no labels, no kernel): for catalogue tests and explanations. */
export function identifyOsImage(osImage: string, families: readonly OsFamily[]): OsFamily | undefined {
  return identifyOs({ status: { nodeInfo: { osImage } } }, families).family;
}

function identify(node: K8sObject, catalogue: CompiledCatalogue): OsIdentity {
  const { osImage, kernelVersion } = nodeInfoOf(node);
  const labels = labelsOf(node);
  const signals: OsSignal[] = [
    ...stringSignal(catalogue.providerID, providerIdOf(node), PROVIDER_ID_FIELD),
    ...labelSignals(catalogue.overriding, labels),
    ...stringSignal(catalogue.osImage, osImage, OS_IMAGE_FIELD),
    ...stringSignal(catalogue.kernelVersion, kernelVersion, KERNEL_VERSION_FIELD),
    ...labelSignals(catalogue.labels, labels),
  ];
  const base: OsIdentity = { ...(osImage !== undefined ? { osImage } : {}), ...(kernelVersion !== undefined ? { kernelVersion } : {}) };

  const deciding = signals.find((s) => s.families.length === 1);
  if (!deciding) return signals.length > 0 ? { ...base, ambiguous: signals } : base;
  const family = deciding.families[0]!;
  const conflicts = signals.filter((s) => !s.families.includes(family));
  return {
    ...base,
    family,
    signal: deciding.signal,
    evidence: evidenceOf(deciding),
    field: deciding.field,
    ...(conflicts.length > 0 ? { conflicts } : {}),
  };
}

/** The first rule that matches the value, as a signal; none when the value is absent or unmatched. */
function stringSignal(rules: readonly Rule[], value: string | undefined, field: string): OsSignal[] {
  if (value === undefined) return [];
  const rule = rules.find((r) => r.pattern!.test(value));
  return rule ? [{ signal: rule.signal, value, field, families: rule.families }] : [];
}

/** One signal per label key (or set of keys): the first rule for it that matches. */
function labelSignals(rules: readonly Rule[], labels: Record<string, string>): OsSignal[] {
  const seen = new Set<string>();
  const out: OsSignal[] = [];
  for (const rule of rules) {
    if (seen.has(rule.signal)) continue;
    const values = rule.labels.map(([key]) => labels[key]);
    if (values.some((v) => v === undefined)) continue;
    if (!rule.labels.every(([, re], i) => re.test(values[i]!))) continue;
    seen.add(rule.signal);
    out.push({
      signal: rule.signal,
      value: rule.labels.map(([key], i) => `${key}=${values[i]!}`).join(', '),
      field: `metadata.labels["${rule.labels[0]![0]}"]`,
      families: rule.families,
    });
  }
  return out;
}

function providerIdOf(node: K8sObject): string | undefined {
  const id = asString(field(node, 'spec', 'providerID'));
  return id?.trim() || undefined;
}

function evidenceOf(s: OsSignal): string {
  if (!s.signal.startsWith('label:')) return `${s.signal} "${s.value}"`;
  return `${s.signal.includes(',') ? 'labels' : 'label'} ${s.value}`;
}

/** A signal as plain JSON for a subject's details: `{ signal, value, family }` or `{ …, families }` when shared. */
export function describeSignal(s: OsSignal): Record<string, unknown> {
  const ids = s.families.map((f) => f.id);
  return { signal: s.signal, value: s.value, ...(ids.length === 1 ? { family: ids[0] } : { families: ids }) };
}
