import { kindId, splitApiVersion, type KindId } from '../../src/k8s/kinds.js';
import { asString, type K8sObject } from '../../src/k8s/object.js';
import type { Inventory, KindCollection, KindStatus } from '../../src/k8s/inventory.js';
import { runChecks } from '../../src/engine/run.js';
import type { Check, CheckContext, Outcome } from '../../src/engine/check.js';
import { makeContext, type RunMemo } from '../../src/engine/context.js';
import { collectionOf } from '../../src/k8s/inventory.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { DEFAULT_SYSTEM_NAMESPACES } from '../../src/config/config.js';
import type { Catalogs } from '../../src/catalog/catalogs.js';

/** Builds an in-memory inventory: objects grouped by kind, plus explicit statuses for kinds. */
export function inventoryOf(objects: K8sObject[], statuses: Partial<Record<KindId, KindStatus>> = {}, serverVersion?: string): Inventory {
  const kinds = new Map<KindId, KindCollection>();
  for (const obj of objects) {
    const { group } = splitApiVersion(asString(obj.apiVersion) ?? 'v1');
    const id = kindId(group, String(obj.kind));
    const c = kinds.get(id) ?? { status: 'ok' as KindStatus, items: [] };
    c.items.push(obj);
    kinds.set(id, c);
  }
  for (const [id, status] of Object.entries(statuses)) {
    const c = kinds.get(id);
    if (status === 'missing') kinds.delete(id);
    else
      kinds.set(id, {
        status: status as KindStatus,
        items: status === 'ok' ? (c?.items ?? []) : [],
        ...(status === 'forbidden' ? { reason: 'pods is forbidden' } : {}),
      });
  }
  const inv: Inventory = { source: { type: 'snapshot', paths: ['test'] }, kinds, locate: () => undefined };
  if (serverVersion) inv.serverVersion = serverVersion;
  return inv;
}

/**
 * Runs one check through the engine (so the unknown rule applies) and returns its outcome; a read
 * of a field the slim projection drops fails the test (src/engine/slim-guard.ts).
 */
export function evaluate(check: Check, inventory: Inventory, catalogs: Catalogs = loadBuiltinCatalogs()): Outcome {
  const [result] = runChecks({ inventory, checks: [check], catalogs, systemNamespaces: new Set(DEFAULT_SYSTEM_NAMESPACES), guardSlim: true });
  return result!.outcome;
}

export function namespace(name: string, labels: Record<string, string> = {}): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/** A check's context over `inventory` (built-in catalogues, kube-system as the system namespace), sharing `memo` when given. */
export function contextFor(check: Check, inventory: Inventory, memo?: RunMemo): CheckContext {
  return makeContext({
    meta: check.meta,
    collection: (kind) => collectionOf(inventory, kind),
    catalogs: loadBuiltinCatalogs(),
    systemNamespaces: new Set(['kube-system']),
    options: {},
    ...(memo ? { memo } : {}),
  });
}
