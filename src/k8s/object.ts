/**
 * Kubernetes objects as they arrive from a snapshot or the API: untrusted JSON.
 * Every accessor here tolerates wrong shapes (labels: 5, metadata: null) so that
 * checks never throw on odd data; a wrong shape reads as absent.
 */
export type K8sObject = {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: unknown;
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
};

export interface ResourceRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Reads a nested field, `field(obj, 'status', 'nodeInfo', 'osImage')`, as unknown. */
export function field(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (let i = 0; i < path.length; i++) {
    if (!isRecord(current)) return undefined;
    current = current[path[i]!];
  }
  return current;
}

export function metadata(obj: K8sObject): Record<string, unknown> {
  return asRecord(obj.metadata);
}

export function nameOf(obj: K8sObject): string {
  return asString(metadata(obj).name) ?? '';
}

export function namespaceOf(obj: K8sObject): string | undefined {
  const ns = asString(metadata(obj).namespace);
  return ns === '' ? undefined : ns;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The labels to read, not to change: the object's own map when every value is a string (as
 * the API guarantees), a filtered copy otherwise. Saves a copy per pod where checks keep labels
 * for the whole audit (NetworkPolicy pod facts, docs/performance.md#what-the-heap-holds).
 */
export function labelsView(obj: K8sObject): Readonly<Record<string, string>> {
  const labels = metadata(obj).labels;
  if (!isRecord(labels)) return NO_LABELS;
  for (const key in labels) if (typeof labels[key] !== 'string') return stringMap(labels);
  return labels as Record<string, string>;
}

export function labelsOf(obj: K8sObject): Record<string, string> {
  return stringMap(metadata(obj).labels);
}

export function annotationsOf(obj: K8sObject): Record<string, string> {
  return stringMap(metadata(obj).annotations);
}

/** One label's value, without copying the labels (hot paths: once per pod and check). */
export function labelOf(obj: K8sObject, key: string): string | undefined {
  return stringEntry(metadata(obj).labels, key);
}

/** One annotation's value, without copying the annotations. */
export function annotationOf(obj: K8sObject, key: string): string | undefined {
  return stringEntry(metadata(obj).annotations, key);
}

function stringEntry(map: unknown, key: string): string | undefined {
  if (!isRecord(map) || !Object.prototype.hasOwnProperty.call(map, key)) return undefined;
  const v = map[key];
  return typeof v === 'string' ? v : undefined;
}

export function refOf(obj: K8sObject, kind?: string): ResourceRef {
  const ref: ResourceRef = { kind: kind ?? asString(obj.kind) ?? '', name: nameOf(obj) };
  const apiVersion = asString(obj.apiVersion);
  if (apiVersion) ref.apiVersion = apiVersion;
  const ns = namespaceOf(obj);
  if (ns) ref.namespace = ns;
  return ref;
}

/** `kind/namespace/name`, the stable key used for sorting, fingerprints and lookups. */
export function refKey(ref: ResourceRef): string {
  return `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function compareRefs(a: ResourceRef, b: ResourceRef): number {
  return a.kind.localeCompare(b.kind, 'en') || (a.namespace ?? '').localeCompare(b.namespace ?? '', 'en') || a.name.localeCompare(b.name, 'en');
}
