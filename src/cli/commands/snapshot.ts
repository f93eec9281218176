import { Command } from 'commander';
import { BUILTIN_CHECKS } from '../../../checks/index.js';
import { kindsToCollect } from '../../engine/run.js';
import { collectLiveInventory, type LiveInventory } from '../../inventory/live.js';
import { SNAPSHOT_ANNOTATIONS } from '../../inventory/snapshot.js';
import { kindSpec, type KindId } from '../../k8s/kinds.js';
import { isRecord, type K8sObject } from '../../k8s/object.js';
import { checkDestinations, writeChunksAtomic, type Io } from '../io.js';
import { jsonChunks } from '../../util/json-chunks.js';
import { clusterOptions, liveReadOptions, printLine, type ClusterFlags } from './shared.js';

interface SnapshotFlags extends ClusterFlags {
  output: string;
}

export function snapshotCommand(io: Io): Command {
  const cmd = new Command('snapshot')
    .description('read the kinds the checks need from a live cluster and write them to one JSON file for `audit --snapshot`')
    .requiredOption('-o, --output <file>', 'the snapshot file to write (JSON)');
  clusterOptions(cmd);
  cmd.action(async (flags: SnapshotFlags, command: Command) => {
    // --debug is also a program-level option, which commander may have taken before this command.
    const debug = Boolean(flags.debug ?? command.optsWithGlobals<{ debug?: boolean }>().debug);
    // A path that cannot be written is exit 2 now, not after reading the whole cluster.
    checkDestinations([flags.output]);
    const inventory = await collectLiveInventory({
      ...liveReadOptions(flags),
      kinds: snapshotKinds(kindsToCollect(BUILTIN_CHECKS)),
      env: io.env,
      logRequests: debug,
      log: (line) => {
        if (io.stderrIsTTY || debug) printLine(io, line);
      },
    });
    const { list, written, left } = snapshotList(inventory);
    // Written piece by piece: a large cluster's snapshot is more than one string can hold.
    writeChunksAtomic(flags.output, jsonChunks(list, 4, '', '\n'));
    for (const { id, status, reason } of left) printLine(io, `left out ${id}: ${status}${reason ? `: ${reason}` : ''}`);
    printLine(io, `wrote ${flags.output}: ${written.kinds} kinds, ${written.objects} objects from context "${inventory.source.context}"`);
  });
  return cmd;
}

/**
 * The kinds to read: those the checks declare, plus the kinds that define a whole-group kind
 * (ConstraintTemplates for Gatekeeper constraints), which a snapshot reader needs to tell
 * "no constraints" from "constraints not listed".
 */
export function snapshotKinds(declared: readonly KindId[]): KindId[] {
  const out = new Set(declared);
  for (const id of declared) {
    const definedBy = kindSpec(id)?.dynamic?.definedBy;
    if (definedBy) out.add(definedBy);
  }
  return [...out].sort();
}

/**
 * The snapshot as one `List` of typed lists, one per kind read completely (empty ones too: an
 * empty NetworkPolicyList says "there are none", a missing one "nobody looked"). Not-served kinds
 * are recorded in an annotation; forbidden and failed kinds are left out, so that an audit of
 * the file reports them unknown rather than empty.
 */
export function snapshotList(inventory: LiveInventory): {
  list: Record<string, unknown>;
  written: { kinds: number; objects: number };
  left: { id: KindId; status: string; reason?: string }[];
} {
  const items: Record<string, unknown>[] = [];
  const notServed: KindId[] = [];
  const left: { id: KindId; status: string; reason?: string }[] = [];
  let objects = 0;
  for (const [id, collection] of [...inventory.kinds.entries()].sort(([a], [b]) => a.localeCompare(b, 'en'))) {
    if (collection.status === 'not-served') {
      notServed.push(id);
      continue;
    }
    // A whole-group kind is written as its member kinds, each a typed list of its own.
    if (kindSpec(id)?.dynamic && collection.status === 'ok') continue;
    if (collection.status !== 'ok') {
      left.push({ id, status: collection.status, ...(collection.reason ? { reason: collection.reason } : {}) });
      continue;
    }
    const apiVersion = inventory.apiVersions.get(id) ?? defaultApiVersion(id);
    const kind = id.includes('.') ? id.slice(0, id.indexOf('.')) : id;
    items.push({
      apiVersion,
      kind: `${kind}List`,
      metadata: {},
      items: collection.items.map((o) => scrub({ apiVersion: o.apiVersion ?? apiVersion, kind: o.kind ?? kind, ...o })),
    });
    objects += collection.items.length;
  }
  const annotations: Record<string, string> = { [SNAPSHOT_ANNOTATIONS.context]: inventory.source.context };
  if (inventory.serverVersion) annotations[SNAPSHOT_ANNOTATIONS.serverVersion] = inventory.serverVersion;
  if (notServed.length > 0) annotations[SNAPSHOT_ANNOTATIONS.notServed] = notServed.join(',');
  return {
    list: { apiVersion: 'v1', kind: 'List', metadata: { annotations }, items },
    written: { kinds: items.length, objects },
    left,
  };
}

function defaultApiVersion(id: KindId): string {
  const spec = kindSpec(id);
  const version = spec?.versions[0] ?? 'v1';
  return spec?.group ? `${spec.group}/${version}` : version;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/**
 * A copy of the object without what a snapshot must not carry: env values (credentials are often
 * passed that way; names and secretKeyRef/configMapKeyRef references stay), the
 * last-applied-configuration annotation (a full copy of the manifest, env values included) and
 * managedFields (noise). Containers are found wherever a pod spec sits: pods, workload templates,
 * CronJob job templates, and custom resources that embed pod templates.
 */
export function scrub(obj: K8sObject): K8sObject {
  // The copy recurses once per level; the reader has refused objects deeper than MAX_OBJECT_DEPTH (kube/list-page.ts).
  const copy = scrubValue(obj) as K8sObject;
  if (isRecord(copy.metadata)) {
    const meta = { ...copy.metadata };
    delete meta.managedFields;
    if (isRecord(meta.annotations) && LAST_APPLIED in meta.annotations) {
      const { [LAST_APPLIED]: _lastApplied, ...annotations } = meta.annotations;
      meta.annotations = annotations;
    }
    copy.metadata = meta;
  }
  return copy;
}

function scrubValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrubValue);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = (CONTAINER_LISTS as readonly string[]).includes(key) && Array.isArray(v) ? v.map(scrubContainer) : scrubValue(v);
  }
  return out;
}

function scrubContainer(container: unknown): unknown {
  const c = scrubValue(container);
  if (!isRecord(c) || !Array.isArray(c.env)) return c;
  return {
    ...c,
    env: c.env.map((e: unknown) => {
      if (!isRecord(e)) return e;
      const { value: _dropped, ...rest } = e;
      return rest;
    }),
  };
}
