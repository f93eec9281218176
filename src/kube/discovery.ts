import { isForbiddenKind, kindSpec, type KindId } from '../k8s/kinds.js';
import { asString, isRecord } from '../k8s/object.js';
import type { ApiClient } from './client.js';
import { mapBounded } from './limit.js';
import { MalformedAnswerError, describeValue, documentProblem } from './list-page.js';

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
  // A root document of the wrong shape decides nothing: the kinds it would place are errors.
  const core = needed.some((w) => w.group === '') ? await malformedAsFailure(coreVersions(client)) : [];
  const groups = needed.some((w) => w.group !== '') ? await malformedAsFailure(groupVersions(client)) : new Map<string, string[]>();
  for (const w of needed) {
    const root = w.group === '' ? core : groups;
    if (root instanceof MalformedAnswerError) out.set(w.id, { state: 'failed', error: root, what: `discovery of ${w.group === '' ? '/api' : '/apis'}` });
  }
  const placeable = needed.filter((w) => !out.has(w.id));
  return discoverServed(
    client,
    placeable,
    concurrency,
    core instanceof MalformedAnswerError ? [] : core,
    groups instanceof MalformedAnswerError ? new Map<string, string[]>() : groups,
    out,
  );
}

async function malformedAsFailure<T>(document: Promise<T>): Promise<T | MalformedAnswerError> {
  try {
    return await document;
  } catch (err) {
    if (err instanceof MalformedAnswerError) return err;
    throw err;
  }
}

/** Places each kind in the group-version documents of the versions its root documents list. */
async function discoverServed(
  client: ApiClient,
  needed: readonly Wanted[],
  concurrency: number,
  core: string[],
  groups: Map<string, string[]>,
  out: Map<KindId, Placement>,
): Promise<Map<KindId, Placement>> {
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
      const path = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
      documents.set(gv, { resources: parseResources(await client.getJson(path), path) });
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

/** The document at `path` if it is an object of `kind` whose `field` is an array; else a MalformedAnswerError naming what is wrong. */
function discoveryDocument(doc: unknown, path: string, kind: string, field: string): unknown[] {
  const wrong = (what: string): MalformedAnswerError => new MalformedAnswerError(`the answer to GET ${path} is not an ${kind}: ${what}`);
  const problem = documentProblem(doc, kind);
  if (problem) throw wrong(problem);
  const list = (doc as Record<string, unknown>)[field];
  if (!Array.isArray(list)) throw wrong(`${field} is ${describeValue(list)}, not an array`);
  return list;
}

async function coreVersions(client: ApiClient): Promise<string[]> {
  const versions = discoveryDocument(await client.getJson('/api'), '/api', 'APIVersions', 'versions');
  return versions.filter((v): v is string => typeof v === 'string');
}

/** Served versions per group, the server's preferred version first. */
async function groupVersions(client: ApiClient): Promise<Map<string, string[]>> {
  const groups = discoveryDocument(await client.getJson('/apis'), '/apis', 'APIGroupList', 'groups');
  const out = new Map<string, string[]>();
  for (const g of groups) {
    if (!isRecord(g) || typeof g.name !== 'string' || !Array.isArray(g.versions)) continue;
    const versions = g.versions.map((v) => (isRecord(v) ? asString(v.version) : undefined)).filter((v): v is string => v !== undefined);
    const preferred = isRecord(g.preferredVersion) ? asString(g.preferredVersion.version) : undefined;
    out.set(g.name, preferred && versions.includes(preferred) ? [preferred, ...versions.filter((v) => v !== preferred)] : versions);
  }
  return out;
}

function parseResources(doc: unknown, path: string): ApiResource[] {
  const out: ApiResource[] = [];
  for (const r of discoveryDocument(doc, path, 'APIResourceList', 'resources')) {
    if (!isRecord(r) || typeof r.name !== 'string' || typeof r.kind !== 'string') continue;
    const verbs = Array.isArray(r.verbs) ? r.verbs.filter((v): v is string => typeof v === 'string') : undefined;
    out.push({ name: r.name, kind: r.kind, namespaced: r.namespaced === true, ...(verbs ? { verbs } : {}) });
  }
  return out;
}
