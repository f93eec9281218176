import type { Inventory, SourceLocation } from '../k8s/inventory.js';
import { nameOf, namespaceOf, type ResourceRef } from '../k8s/object.js';

/**
 * Where a finding points (the JSON `location`, SARIF's physical location). A snapshot object
 * points at its file and the line its document starts on. Some findings are about something no
 * file holds: a namespace known only from its pods, every CRD (`CustomResourceDefinition/*`), a
 * pod's isolation. In a snapshot or manifests audit they still point at a real file — the first of the
 * grouped objects that has one, else an object of the same kind, else the first file read — so
 * that code scanning can show every result. Live objects, and a snapshot with no file, get the
 * stable pseudo-path `k8s/<context>/<namespace>/<Kind>/<name>.yaml` (`_cluster` when
 * cluster-scoped), line 1.
 */
export function locateFinding(inventory: Inventory, finding: { resource: ResourceRef; affected?: ResourceRef[] }): SourceLocation {
  const own = inventory.locate(finding.resource);
  if (own) return own;
  if (inventory.source.type !== 'live') {
    const near = nearestFile(inventory, finding);
    if (near) return near;
  }
  return pseudoPath(inventory, finding.resource);
}

function nearestFile(inventory: Inventory, finding: { resource: ResourceRef; affected?: ResourceRef[] }): SourceLocation | undefined {
  for (const ref of finding.affected ?? []) {
    const at = inventory.locate(ref);
    if (at) return at;
  }
  const kind = finding.resource.kind;
  for (const [id, collection] of inventory.kinds) {
    if (id !== kind && !id.startsWith(`${kind}.`)) continue;
    for (const item of collection.items) {
      const namespace = namespaceOf(item);
      const at = inventory.locate({ kind, name: nameOf(item), ...(namespace ? { namespace } : {}) });
      if (at) return at;
    }
  }
  const first = inventory.files?.[0];
  return first ? { uri: first, startLine: 1 } : undefined;
}

function pseudoPath(inventory: Inventory, ref: ResourceRef): SourceLocation {
  const context = inventory.source.type === 'live' ? inventory.source.context : inventory.source.type;
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_') || '_';
  return { uri: `k8s/${safe(context)}/${safe(ref.namespace ?? '_cluster')}/${safe(ref.kind)}/${safe(ref.name)}.yaml`, startLine: 1 };
}
