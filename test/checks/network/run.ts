import type { Check, Outcome } from '../../../src/engine/check.js';
import type { KindStatus } from '../../../src/k8s/inventory.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import type { K8sObject } from '../../../src/k8s/object.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { NO_CNI_POLICIES } from './objects.js';

/**
 * Runs a NetworkPolicy check on the objects: NetworkPolicies and Namespaces listed (even when
 * empty), CNI policy kinds not served unless the test brings objects of that kind or a status.
 */
export function runNetworkCheck(check: Check, objects: K8sObject[], statuses: Record<string, KindStatus> = {}): Outcome {
  const present = new Set(objects.map((o) => `${String(o.kind)}.${String(o.apiVersion).split('/')[0]}`));
  const base: Record<string, KindStatus> = { [KINDS.NetworkPolicy]: 'ok', [KINDS.Namespace]: 'ok', [KINDS.Pod]: 'ok' };
  for (const [kind, status] of Object.entries(NO_CNI_POLICIES)) if (!present.has(kind)) base[kind] = status;
  return evaluate(check, inventoryOf(objects, { ...base, ...statuses }));
}

export function verdicts(o: Outcome): string[] {
  return o.status === 'not-applicable' ? [] : (o.subjects ?? []).map((s) => `${s.resource.name}:${s.verdict}`);
}
