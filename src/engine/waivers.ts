import type { Inventory } from '../k8s/inventory.js';
import type { Labels } from '../k8s/labels.js';
import { labelsView, refKey, refOf, type K8sObject, type ResourceRef } from '../k8s/object.js';
import type { Finding, Subject } from './check.js';
import type { CheckResult, WaivedPart } from './run.js';
import { annotationWaivers, type WaiverProblem } from './waiver-annotations.js';
import { itemKind, type Waiver, type WaiverSubject } from './waiver-model.js';
import { wildcardToRegExp } from '../util/glob.js';

/**
 * The waivers of a run applied to its results: the config file's (already read) and those the
 * objects of the inventory carry in their annotation, today being `today` (YYYY-MM-DD, UTC).
 */
export function waiveResults(results: readonly CheckResult[], inventory: Inventory, options: WaiveOptions): WaivedRun {
  const annotations = annotationWaivers(inventory, options);
  const waivers = [...options.configWaivers, ...annotations.waivers];
  if (waivers.length === 0) return { results: [...results], waivers, expired: [], unused: [], problems: annotations.problems };
  const outcome = applyWaivers({ results, waivers, today: options.today, labelsOf: labelsFromInventory(inventory) });
  return { ...outcome, waivers, problems: annotations.problems };
}

export interface WaiveOptions {
  configWaivers: readonly Waiver[];
  knownChecks: readonly string[];
  allowPermanent: boolean;
  today: string;
}

export interface WaivedRun extends WaiverOutcome {
  /** Every waiver read: the config file's first, then the annotations' by object. */
  waivers: Waiver[];
  /** Waiver annotations that could not be read. */
  problems: WaiverProblem[];
}

/**
 * Applies waivers to the results of a run, between the checks and the score. Pure: "today" is
 * given, and labels come from a lookup the caller builds from the inventory.
 *
 * What a waiver matches (docs/config.md#what-a-waiver-matches):
 * - A finding stands for the objects it names. When it groups objects under a distinct root
 *   (the workload whose pods are listed, the namespace that holds the Deployments, the webhook
 *   that exempts the namespaces), it is waived when its `resource` is covered, or when every
 *   object in `affected` is. When its `resource` is itself one of `affected` (nodes that share
 *   an OS image, workloads that share an image), each of them is a root cause: every one must
 *   be covered. A finding without `affected` is waived when its `resource` is covered.
 * - An object is covered when a waiver of the check in force matches it. Different waivers may
 *   cover different objects of one finding (each pod carrying the annotation from its template).
 * - A waived finding leaves the check's findings; a check left with none passes. A failing or
 *   partial subject leaves the score when the findings naming it are all waived, or when no
 *   finding of the check stands any more (a check's failing subjects are what its findings are
 *   about, even when a finding names them through other objects, as images through workloads).
 * - A waiver past its `expires` day does nothing and is reported as expired. A waiver that
 *   waived nothing although a check it names was evaluated is reported as unused.
 */
function applyWaivers(input: WaiverInput): WaiverOutcome {
  const inForce = input.waivers.filter((w) => w.expires === undefined || w.expires >= input.today);
  const expired = input.waivers.filter((w) => w.expires !== undefined && w.expires < input.today);
  const used = new Set<Waiver>();
  const partly = new Map<Waiver, string>();
  const evaluated = new Set<string>();
  const results = input.results.map((result): CheckResult => {
    const { outcome } = result;
    const id = result.check.meta.id;
    if (outcome.status === 'pass' || outcome.status === 'fail' || outcome.status === 'not-applicable') evaluated.add(id);
    if (outcome.status !== 'pass' && outcome.status !== 'fail') return result;
    const waivers = inForce.filter((w) => w.checks.includes(id));
    if (waivers.length === 0 || outcome.findings.length === 0) return result;
    const cover = coverage(waivers, input.labelsOf);
    const standing: Finding[] = [];
    const waived: WaivedPart['findings'] = [];
    for (const finding of outcome.findings) {
      const verdict = judge(finding, cover);
      if (verdict.waiver) {
        waived.push({ finding, waiver: verdict.waiver });
        for (const w of verdict.by) used.add(w);
      } else {
        standing.push(finding);
        for (const w of verdict.by) if (!partly.has(w)) partly.set(w, partialNote(id, finding));
      }
    }
    if (waived.length === 0) return result;
    const { scored, unscored } = splitSubjects(outcome.subjects, standing, waived);
    return {
      ...result,
      outcome: { status: standing.length > 0 ? outcome.status : 'pass', subjects: scored, findings: standing },
      waived: { findings: waived, subjects: unscored },
    };
  });
  const unused = inForce
    .filter((w) => !used.has(w) && w.checks.every((c) => evaluated.has(c)))
    .map((waiver) => (partly.has(waiver) ? { waiver, note: partly.get(waiver)! } : { waiver }));
  return { results, expired, unused };
}

interface WaiverInput {
  results: readonly CheckResult[];
  waivers: readonly Waiver[];
  /** The day to judge expiry by, `YYYY-MM-DD` (UTC): a waiver applies through its `expires` day. */
  today: string;
  /** The labels of an object the findings name, for waivers with a selector; undefined when not known. */
  labelsOf?: (ref: ResourceRef) => Labels | undefined;
}

export interface WaiverOutcome {
  results: CheckResult[];
  /** Waivers past their day: they waived nothing. */
  expired: Waiver[];
  /** Waivers in force that waived nothing although every check they name was evaluated. */
  unused: { waiver: Waiver; note?: string }[];
}

/** Every waiver (in the order given) that matches an object; annotation waivers looked up by object. */
type Cover = (ref: ResourceRef) => Waiver[];

function coverage(waivers: readonly Waiver[], labelsOf: WaiverInput['labelsOf']): Cover {
  const byObject = new Map<string, Waiver[]>();
  const patterns: { waiver: Waiver; matches: (ref: ResourceRef) => boolean }[] = [];
  const order = new Map(waivers.map((w, i) => [w, i]));
  for (const w of waivers) {
    if (w.subject.type === 'object') {
      const key = refKey(w.subject.ref);
      byObject.set(key, [...(byObject.get(key) ?? []), w]);
    } else {
      patterns.push({ waiver: w, matches: patternMatcher(w.subject, labelsOf) });
    }
  }
  return (ref) => {
    const matched = [...patterns.filter((p) => p.matches(ref)).map((p) => p.waiver), ...(byObject.get(refKey(ref)) ?? [])];
    return matched.sort((a, b) => order.get(a)! - order.get(b)!);
  };
}

/**
 * Whether the finding is waived and by which waiver (the first that covers it), and every waiver
 * that covered any of its objects: all of them are used when it is waived.
 */
function judge(finding: Finding, cover: Cover): { waiver?: Waiver; by: Waiver[] } {
  const affected = finding.affected ?? [];
  const rootKey = refKey(finding.resource);
  const rootIsDistinct = !affected.some((a) => refKey(a) === rootKey);
  const root = rootIsDistinct ? cover(finding.resource) : [];
  const each = affected.map(cover);
  // A waiver on a member is used too when the root's waived the finding (the annotation on a
  // DaemonSet and in its pod template): it is redundant, not stale.
  const by = [...new Set([...root, ...each.flat()])];
  if (root.length > 0) return { waiver: root[0]!, by };
  if (each.length > 0 && each.every((ws) => ws.length > 0)) return { waiver: each[0]![0]!, by };
  return { by };
}

function partialNote(checkId: string, finding: Finding): string {
  const r = finding.resource;
  const object = r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
  return (
    `it covers only some of the ${finding.affected?.length ?? 1} objects of the ${checkId} finding on ${object}; ` +
    'a finding that groups objects is waived when all of them are covered'
  );
}

function splitSubjects(subjects: readonly Subject[], standing: readonly Finding[], waived: WaivedPart['findings']): { scored: Subject[]; unscored: Subject[] } {
  const stillNamed = namedBy(standing);
  const waivedNamed = namedBy(waived.map((w) => w.finding));
  const nothingStands = standing.length === 0;
  const scored: Subject[] = [];
  const unscored: Subject[] = [];
  for (const s of subjects) {
    const failing = s.verdict === 'fail' || s.verdict === 'partial';
    const key = refKey(s.resource);
    const out = failing && (nothingStands || (waivedNamed.has(key) && !stillNamed.has(key)));
    (out ? unscored : scored).push(s);
  }
  return { scored, unscored };
}

function namedBy(findings: readonly Finding[]): Set<string> {
  const keys = new Set<string>();
  for (const f of findings) {
    keys.add(refKey(f.resource));
    for (const a of f.affected ?? []) keys.add(refKey(a));
  }
  return keys;
}

type PatternSubject = Extract<WaiverSubject, { type: 'pattern' }>;

function patternMatcher(subject: PatternSubject, labelsOf: WaiverInput['labelsOf']): (ref: ResourceRef) => boolean {
  const kind = subject.kind !== undefined ? wildcardToRegExp(subject.kind, { ignoreCase: true }) : undefined;
  const namespace = subject.namespace !== undefined ? wildcardToRegExp(subject.namespace) : undefined;
  const name = subject.name !== undefined ? wildcardToRegExp(subject.name) : undefined;
  const selector = subject.selector;
  return (ref) => {
    if (kind && !kind.test(ref.kind)) return false;
    if (namespace && (ref.namespace === undefined || !namespace.test(ref.namespace))) return false;
    if (name && !name.test(ref.name)) return false;
    if (selector) {
      const labels = labelsOf?.(ref);
      if (!labels || !selector.matches(labels)) return false;
    }
    return true;
  };
}

/**
 * The labels of the objects of the inventory by reference, for waivers with a selector. The index
 * is built on the first call only: an audit whose waivers have no selector never builds it.
 */
function labelsFromInventory(inventory: Inventory): (ref: ResourceRef) => Labels | undefined {
  let index: Map<string, K8sObject> | undefined;
  return (ref) => {
    index ??= indexObjects(inventory);
    const obj = index.get(refKey(ref));
    return obj ? labelsView(obj) : undefined;
  };
}

function indexObjects(inventory: Inventory): Map<string, K8sObject> {
  const index = new Map<string, K8sObject>();
  for (const [id, collection] of inventory.kinds) {
    for (const obj of collection.items) {
      const key = refKey(refOf(obj, itemKind(id, obj)));
      // Two kinds of one name (NetworkPolicy of networking.k8s.io and of Calico): the first listed wins.
      if (!index.has(key)) index.set(key, obj);
    }
  }
  return index;
}
