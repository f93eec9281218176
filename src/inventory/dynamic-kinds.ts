import { KINDS, kindId, knownKinds, type KindId, type KindSpec } from '../k8s/kinds.js';
import { asString, field, type K8sObject } from '../k8s/object.js';
import type { KindCollection, KindStatus } from '../k8s/inventory.js';

/**
 * Builds the collection of each dynamic kind (KindSpec.dynamic, e.g. every Gatekeeper
 * constraint) from the per-kind collections already in `collections`: a snapshot stores
 * `K8sRequiredLabels.constraints.gatekeeper.sh` like any other kind, and a live collector can
 * store each listed constraint kind the same way before calling this.
 *
 * The aggregate is complete (`ok`) only when every kind that the defining objects
 * (ConstraintTemplates) or the group's CRDs name was listed; a kind they name that was not
 * listed makes it `missing`, a failed list `forbidden`/`error`. With neither the defining
 * kind nor the CRDs known, nothing can show which kinds exist, so a value already set (e.g.
 * `not-served` from a snapshot annotation) is kept and otherwise the aggregate stays missing.
 */
export function deriveDynamicKinds(collections: Map<KindId, KindCollection>, specs: readonly KindSpec[] = knownKinds()): void {
  for (const spec of specs) {
    if (!spec.dynamic) continue;
    const derived = aggregate(spec, spec.dynamic, collections);
    if (derived) collections.set(spec.id, derived);
  }
}

/** The kind ids of `group` present in the collections, e.g. `K8sRequiredLabels.constraints.gatekeeper.sh`. */
function memberIds(group: string, collections: ReadonlyMap<KindId, KindCollection>): KindId[] {
  const suffix = `.${group}`;
  return [...collections.keys()]
    .filter((id) => {
      if (!id.endsWith(suffix)) return false;
      const kind = id.slice(0, -suffix.length);
      return kind !== '' && kind !== '*' && !kind.includes('.');
    })
    .sort();
}

function expectedKinds(
  spec: KindSpec,
  dynamic: NonNullable<KindSpec['dynamic']>,
  collections: ReadonlyMap<KindId, KindCollection>,
): { known: boolean; kinds: Set<string> } {
  const kinds = new Set<string>();
  let known = false;
  const defining = collections.get(dynamic.definedBy);
  if (defining?.status === 'ok') {
    known = true;
    for (const obj of defining.items) {
      const kind = asString(field(obj, ...dynamic.kindPath));
      if (kind) kinds.add(kind);
    }
  }
  const crds = collections.get(KINDS.CustomResourceDefinition);
  if (crds?.status === 'ok') {
    known = true;
    for (const crd of crds.items) {
      const kind = asString(field(crd, 'spec', 'names', 'kind'));
      if (kind && field(crd, 'spec', 'group') === spec.group) kinds.add(kind);
    }
  }
  return { known, kinds };
}

function aggregate(spec: KindSpec, dynamic: NonNullable<KindSpec['dynamic']>, collections: ReadonlyMap<KindId, KindCollection>): KindCollection | undefined {
  const { known, kinds } = expectedKinds(spec, dynamic, collections);
  const members = memberIds(spec.group, collections);
  if (!known) {
    if (collections.has(spec.id)) return undefined;
    if (collections.get(dynamic.definedBy)?.status === 'not-served' && members.length === 0) {
      return { status: 'not-served', items: [] };
    }
    return {
      status: 'missing',
      items: [],
      reason: `neither ${dynamic.definedBy} nor CustomResourceDefinitions were listed, so the kinds of ${spec.group} are not known`,
    };
  }
  if (kinds.size === 0 && members.length === 0 && collections.get(dynamic.definedBy)?.status === 'not-served') {
    return { status: 'not-served', items: [] };
  }

  const problems: { kind: string; status: KindStatus; reason?: string }[] = [];
  for (const kind of [...kinds].sort()) {
    const c = collections.get(kindId(spec.group, kind));
    if (!c || c.status === 'missing') problems.push({ kind, status: 'missing' });
    else if (c.status === 'forbidden' || c.status === 'error') problems.push({ kind, status: c.status, ...(c.reason ? { reason: c.reason } : {}) });
  }
  if (problems.length > 0) {
    const status = (['forbidden', 'error', 'missing'] as const).find((s) => problems.some((p) => p.status === s)) ?? 'missing';
    const reason = problems
      .map((p) => `${kindId(spec.group, p.kind)} ${p.status === 'missing' ? 'was not listed' : p.status}${p.reason ? ` (${p.reason})` : ''}`)
      .join('; ');
    return { status, items: [], reason };
  }
  const items: K8sObject[] = [];
  for (const id of members) {
    const c = collections.get(id);
    if (c?.status === 'ok') items.push(...c.items);
  }
  return { status: 'ok', items };
}
