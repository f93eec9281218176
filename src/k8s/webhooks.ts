/**
 * Admission webhook configurations as the API server applies them: each entry's effective
 * failurePolicy and whether its namespaceSelector sends a namespace's requests to it.
 */
import { compileLabelSelector } from './labels.js';
import { asArray, asRecord, asString, isRecord, labelsOf, nameOf, type K8sObject } from './object.js';

export interface WebhookEntry {
  /** Position in `webhooks[]`, for field paths. */
  index: number;
  name: string;
  /** `Fail` or `Ignore` as the API server applies it (defaulted when absent). */
  failurePolicy: string;
  /** False when the field is absent and the API version's default applies. */
  failurePolicyExplicit: boolean;
  /** `undefined` when absent: the API server then selects every namespace. */
  namespaceSelector: unknown;
  /** Number of rules; an entry without rules intercepts nothing. */
  ruleCount: number;
  service?: { namespace?: string; name?: string };
}

/**
 * admissionregistration.k8s.io/v1 defaults failurePolicy to Fail; v1beta1 (removed in 1.22)
 * defaulted to Ignore. Objects read from the API carry the defaulted value; the default only
 * matters for hand-written snapshots.
 */
function defaultFailurePolicy(config: K8sObject): string {
  return asString(config.apiVersion) === 'admissionregistration.k8s.io/v1beta1' ? 'Ignore' : 'Fail';
}

export function webhookEntries(config: K8sObject): WebhookEntry[] {
  const entries: WebhookEntry[] = [];
  for (const [index, raw] of asArray(config.webhooks).entries()) {
    if (!isRecord(raw)) continue;
    const explicit = asString(raw.failurePolicy);
    const service = asRecord(asRecord(raw.clientConfig).service);
    const entry: WebhookEntry = {
      index,
      name: asString(raw.name) ?? `webhooks[${index}]`,
      failurePolicy: explicit ?? defaultFailurePolicy(config),
      failurePolicyExplicit: explicit !== undefined,
      namespaceSelector: raw.namespaceSelector ?? undefined,
      ruleCount: asArray(raw.rules).length,
    };
    if (Object.keys(service).length > 0) {
      const ns = asString(service.namespace);
      const name = asString(service.name);
      entry.service = { ...(ns ? { namespace: ns } : {}), ...(name ? { name } : {}) };
    }
    entries.push(entry);
  }
  return entries;
}

/**
 * A namespace's labels as selectors see them. The API server sets
 * `kubernetes.io/metadata.name` on every namespace (since 1.21, GA 1.22) and webhook
 * selectors commonly use it, so it is added when a snapshot lacks it.
 */
export function namespaceLabels(ns: K8sObject): Record<string, string> {
  return { 'kubernetes.io/metadata.name': nameOf(ns), ...labelsOf(ns) };
}

/**
 * Whether a webhook's namespaceSelector selects the given labels, with the shared label
 * selector semantics (src/k8s/labels.ts): an absent selector selects every namespace.
 * Returns undefined for a selector the API server would reject, which the caller must treat
 * as unknown.
 */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean | undefined {
  const compiled = compileLabelSelector(selector, { absent: 'everything' });
  return compiled.ok ? compiled.selector.matches(labels) : undefined;
}

/** A short, stable rendering of a selector for evidence strings. */
export function describeSelector(selector: unknown): string {
  if (selector === undefined || selector === null) return '(none: every namespace)';
  if (!isRecord(selector)) return JSON.stringify(selector);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(asRecord(selector.matchLabels))) parts.push(`${k}=${String(v)}`);
  for (const expr of asArray(selector.matchExpressions)) {
    const e = asRecord(expr);
    const values = asArray(e.values).map(String);
    parts.push(`${String(e.key)} ${String(e.operator)}${values.length > 0 ? ` (${values.join(', ')})` : ''}`);
  }
  return parts.length > 0 ? parts.join(', ') : '{} (every namespace)';
}
