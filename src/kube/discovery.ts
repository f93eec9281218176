import { isForbiddenKind, kindSpec, type KindId } from '../k8s/kinds.js';
import { asArray, asString, isRecord } from '../k8s/object.js';
import type { ApiClient } from './client.js';
import { mapBounded } from './limit.js';

/** What the tool wants to list: a known kind, or one a plugin declared that discovery must place. */
export interface Wanted {
  id: KindId;
  group: string;
  kind: string;
  /** Versions the tool understands, most preferred first; empty = whatever the server prefers. */
  versions: string[];
  /** Plural resource name when known; otherwise found in discovery by kind. */
  resource?: string;
  /** Every kind of the group, whatever it is (e.g. Gatekeeper constraints: one kind per template). */
  wholeGroup?: boolean;
}

export type Placement =
  | { state: 'served'; version: string; resource: string; namespaced: boolean }
  | { state: 'group'; version: string; members: { kind: string; resource: string; namespaced: boolean }[] }
  | { state: 'not-served'; reason: string }
  | { state: 'never-read'; reason: string }
  | { state: 'failed'; error: unknown; what: string };

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

/** `Kind` for core, `Kind.group` otherwise: kind names have no dots, group names do. */
export function wantedOf(id: KindId): Wanted {
  const spec = kindSpec(id);
  if (spec?.dynamic) return { id, group: spec.group, kind: spec.kind, versions: spec.versions, wholeGroup: true };
  if (spec) return { id, group: spec.group, kind: spec.kind, versions: spec.versions, resource: spec.resource };
  const dot = id.indexOf('.');
  return dot < 0 ? { id, group: '', kind: id, versions: ['v1'] } : { id, group: id.slice(dot + 1), kind: id.slice(0, dot), versions: [] };
}

/**
 * Finds, per wanted kind, the version and resource to list — or that the API is absent.
 * Root discovery (`/api`, `/apis`) failures are thrown: without them nothing is known. A failing
 * group-version document only affects the kinds in it.
 */
export async function discover(client: ApiClient, wanted: readonly Wanted[], concurrency: number): Promise<Map<KindId, Placement>> {
  const out = new Map<KindId, Placement>();
  const needed = wanted.filter((w) => {
    if (isForbiddenKind(w.group, w.resource ?? w.kind)) {
      out.set(w.id, { state: 'never-read', reason: 'kposture never reads Secrets' });
      return false;
    }
    return true;
  });
  const core = needed.some((w) => w.group === '') ? await coreVersions(client) : [];
  const groups = needed.some((w) => w.group !== '') ? await groupVersions(client) : new Map<string, string[]>();

  // Fetch each group-version document at most once, a bounded number at a time.
  const gvsToFetch = new Set<string>();
  const candidates = new Map<KindId, string[]>();
  for (const w of needed) {
    const served = w.group === '' ? core : (groups.get(w.group) ?? []);
    const order = w.versions.length > 0 ? w.versions.filter((v) => served.includes(v)) : served;
    const gvs = order.map((v) => (w.group === '' ? v : `${w.group}/${v}`));
    candidates.set(w.id, gvs);
    for (const gv of gvs) gvsToFetch.add(gv);
  }
  const documents = new Map<string, { resources: ApiResource[] } | { error: unknown }>();
  await mapBounded([...gvsToFetch].sort(), concurrency, async (gv) => {
    try {
      documents.set(gv, { resources: parseResources(await client.getJson(gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`)) });
    } catch (error) {
      documents.set(gv, { error });
    }
  });

  for (const w of needed) {
    const gvs = candidates.get(w.id)!;
    let failure: { error: unknown; what: string } | undefined;
    let placed = false;
    for (const gv of gvs) {
      const doc = documents.get(gv)!;
      if ('error' in doc) {
        failure ??= { error: doc.error, what: `discovery of ${gv}` };
        continue;
      }
      if (w.wholeGroup) {
        const version = gv.slice(gv.indexOf('/') + 1);
        const members = doc.resources
          .filter((res) => !res.name.includes('/') && (!res.verbs || res.verbs.includes('list')))
          .map((res) => ({ kind: res.kind, resource: res.name, namespaced: res.namespaced }));
        out.set(w.id, { state: 'group', version, members });
        placed = true;
        break;
      }
      const r = doc.resources.find((res) => (w.resource ? res.name === w.resource : res.kind === w.kind) && !res.name.includes('/'));
      if (r && (!r.verbs || r.verbs.includes('list'))) {
        out.set(w.id, { state: 'served', version: gv.includes('/') ? gv.slice(gv.indexOf('/') + 1) : gv, resource: r.name, namespaced: r.namespaced });
        placed = true;
        break;
      }
    }
    if (placed) continue;
    if (failure) out.set(w.id, { state: 'failed', ...failure });
    else out.set(w.id, { state: 'not-served', reason: notServedReason(w, w.group === '' ? core : groups.get(w.group)) });
  }
  return out;
}

function notServedReason(w: Wanted, served: string[] | undefined): string {
  if (!served || served.length === 0) return w.group ? `API group ${w.group} is not served` : 'the core API is not served';
  const understood = w.versions.length > 0 ? ` (kposture reads ${w.versions.join(', ')}; served: ${served.join(', ')})` : '';
  return `${w.group || 'core'} API serves no ${w.kind}${understood}`;
}

async function coreVersions(client: ApiClient): Promise<string[]> {
  const doc = await client.getJson('/api');
  return isRecord(doc) ? asArray(doc.versions).filter((v): v is string => typeof v === 'string') : [];
}

/** Served versions per group, the server's preferred version first. */
async function groupVersions(client: ApiClient): Promise<Map<string, string[]>> {
  const doc = await client.getJson('/apis');
  const out = new Map<string, string[]>();
  for (const g of asArray(isRecord(doc) ? doc.groups : undefined)) {
    if (!isRecord(g) || typeof g.name !== 'string') continue;
    const versions = asArray(g.versions)
      .map((v) => (isRecord(v) ? asString(v.version) : undefined))
      .filter((v): v is string => v !== undefined);
    const preferred = isRecord(g.preferredVersion) ? asString(g.preferredVersion.version) : undefined;
    out.set(g.name, preferred && versions.includes(preferred) ? [preferred, ...versions.filter((v) => v !== preferred)] : versions);
  }
  return out;
}

function parseResources(doc: unknown): ApiResource[] {
  const out: ApiResource[] = [];
  for (const r of asArray(isRecord(doc) ? doc.resources : undefined)) {
    if (!isRecord(r) || typeof r.name !== 'string' || typeof r.kind !== 'string') continue;
    const verbs = Array.isArray(r.verbs) ? r.verbs.filter((v): v is string => typeof v === 'string') : undefined;
    out.push({ name: r.name, kind: r.kind, namespaced: r.namespaced === true, ...(verbs ? { verbs } : {}) });
  }
  return out;
}
