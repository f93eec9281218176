/**
 * Network policies beyond Kubernetes NetworkPolicy: Cilium (CiliumNetworkPolicy,
 * CiliumClusterwideNetworkPolicy), Calico (NetworkPolicy, GlobalNetworkPolicy) and the
 * Kubernetes AdminNetworkPolicy API (AdminNetworkPolicy, BaselineAdminNetworkPolicy).
 *
 * Each policy is read into one normalised shape: which pods it selects (for a whole namespace:
 * every pod, some, none, or unknown) and, per direction, whether it isolates the pods it
 * selects and what it does by default:
 * - `isolated`: selected pods deny what no rule allows (Cilium default-deny mode, Calico's
 *   end-of-tier deny, a BaselineAdminNetworkPolicy Deny of every peer);
 * - `hard-deny`: an explicit deny of every peer that allow rules cannot override (Cilium
 *   `ingressDeny`/`egressDeny` from `all`, Calico `action: Deny` with no match criteria,
 *   an AdminNetworkPolicy Deny of every peer);
 * - `allow-all`: a rule allows every peer on every port;
 * - `uncertain`: something kposture does not model (Calico `Pass`, non-default tiers, unknown
 *   fields). Callers turn that into `unknown`, never into pass or fail.
 * Order between policies (Calico `order`, ANP `priority`) is not modelled: an explicit deny of
 * everything is taken to win, which matches Cilium (deny beats allow) and ANP Deny over
 * NetworkPolicy, and is documented as a limit for Calico.
 */
import type { KindCollection } from './inventory.js';
import { KINDS, type KindId } from './kinds.js';
import { compileLabelSelector, requirementMatches, type CompiledSelector, type Labels, type Requirement } from './labels.js';
import { evaluateCalico, parseCalicoSelector, triAnd, type CalicoExpr, type Tri } from './calico-selector.js';
import { DIRECTIONS, type Direction, type PodFacts } from './netpol.js';
import { asArray, asString, field, isRecord, nameOf, namespaceOf, refOf, type K8sObject, type ResourceRef } from './object.js';
import { kubectl } from '../util/shell.js';

/** A namespace as policies see it; `labels` undefined when Namespaces could not be read. */
export interface NamespaceFacts {
  name: string;
  labels: Labels | undefined;
}

export type Verdict = 'none' | 'isolated' | 'hard-deny' | 'allow-all' | 'uncertain';

export interface DirectionEffect {
  /** Selected pods are isolated (deny what is not allowed) for this direction. */
  isolates: boolean | 'uncertain';
  verdict: Verdict;
  /** YAML path of what decides the verdict, e.g. `spec.ingressDeny[0]`. */
  path: string;
  /** Short explanation, or the reason when uncertain. */
  evidence: string;
}

export interface ForeignPolicy {
  ref: ResourceRef;
  /** `kubectl get <resource> <name> [-n ns] -o yaml` */
  verify: string;
  /** Does it select every pod (present and future) of the namespace? T all, F none, U some, X unknown. */
  coversNamespace(ns: NamespaceFacts): Tri;
  /** Does it select this pod? T, F or X. */
  selectsPod(pod: PodFacts, ns: NamespaceFacts): Tri;
  effect: Readonly<Record<Direction, DirectionEffect>>;
}

/** What the policies establish for every pod of a namespace in one direction. */
export interface Coverage {
  /** Policies that deny by default (isolated or hard-deny) for every pod of the namespace. */
  deny: Contribution[];
  /** Explicit denies of everything (a subset of deny) that allow rules cannot override. */
  hardDeny: Contribution[];
  allowAll: Contribution[];
  /** Why the coverage may be incomplete: unreadable kinds, policies kposture cannot interpret. */
  uncertain: string[];
}

export interface Contribution {
  ref: ResourceRef;
  path: string;
  evidence: string;
  verify: string;
}

/** The CNI policy kinds, in the order they are reported. */
export const CNI_POLICY_KINDS: readonly KindId[] = [
  KINDS.CiliumClusterwideNetworkPolicy,
  KINDS.CiliumNetworkPolicy,
  KINDS.CalicoGlobalNetworkPolicy,
  KINDS.CalicoNetworkPolicy,
  KINDS.AdminNetworkPolicy,
  KINDS.BaselineAdminNetworkPolicy,
];

export class CniPolicies {
  readonly policies: ForeignPolicy[] = [];
  /** Cluster-scoped policies, and namespaced ones by their namespace: a namespace only meets its own. */
  private readonly clusterScoped: ForeignPolicy[] = [];
  private readonly byNamespace = new Map<string, ForeignPolicy[]>();
  /** Kinds whose list is not known (forbidden, error, missing), with the reason. */
  readonly unreadable: string[] = [];

  constructor(collections: ReadonlyArray<{ kind: KindId; collection: KindCollection; describe: string }>) {
    for (const { kind, collection, describe } of collections) {
      if (collection.status === 'not-served') continue;
      if (collection.status !== 'ok') {
        this.unreadable.push(describe);
        continue;
      }
      for (const obj of collection.items) this.policies.push(...interpret(kind, obj));
    }
    for (const policy of this.policies) {
      const home = policy.ref.namespace;
      if (home === undefined) this.clusterScoped.push(policy);
      else {
        const list = this.byNamespace.get(home);
        if (list) list.push(policy);
        else this.byNamespace.set(home, [policy]);
      }
    }
  }

  private relevant(namespace: string): ForeignPolicy[] {
    const own = this.byNamespace.get(namespace);
    return own ? [...this.clusterScoped, ...own] : this.clusterScoped;
  }

  namespaceCoverage(ns: NamespaceFacts, direction: Direction): Coverage {
    const out: Coverage = { deny: [], hardDeny: [], allowAll: [], uncertain: [...this.unreadable] };
    for (const policy of this.relevant(ns.name)) {
      const effect = policy.effect[direction];
      if (effect.verdict === 'none') continue;
      const covers = policy.coversNamespace(ns);
      if (covers === 'F' || covers === 'U') continue;
      const what = `${policy.ref.kind} ${policy.ref.namespace ? `${policy.ref.namespace}/` : ''}${policy.ref.name}`;
      if (covers === 'X') {
        out.uncertain.push(`${what} may select the namespace (its selector depends on data kposture could not read)`);
        continue;
      }
      if (effect.verdict === 'uncertain') {
        out.uncertain.push(`${what}: ${effect.evidence}`);
        continue;
      }
      const c: Contribution = { ref: policy.ref, path: effect.path, evidence: effect.evidence, verify: policy.verify };
      if (effect.verdict === 'allow-all') out.allowAll.push(c);
      else out.deny.push(c);
      if (effect.verdict === 'hard-deny') out.hardDeny.push(c);
    }
    return out;
  }

  podIsolation(pod: PodFacts, ns: NamespaceFacts, direction: Direction): { by: ResourceRef[]; uncertain: string[] } {
    const by: ResourceRef[] = [];
    const uncertain: string[] = [...this.unreadable];
    for (const policy of this.relevant(ns.name)) {
      const { isolates } = policy.effect[direction];
      if (isolates === false) continue;
      const selects = policy.selectsPod(pod, ns);
      if (selects === 'F' || selects === 'U') continue;
      if (selects === 'T' && isolates === true) by.push(policy.ref);
      else uncertain.push(`${policy.ref.kind} ${policy.ref.name} may isolate the pod`);
    }
    return { by, uncertain };
  }
}

function interpret(kind: KindId, obj: K8sObject): ForeignPolicy[] {
  switch (kind) {
    case KINDS.CiliumClusterwideNetworkPolicy:
    case KINDS.CiliumNetworkPolicy:
      return cilium(obj, kind === KINDS.CiliumClusterwideNetworkPolicy);
    case KINDS.CalicoGlobalNetworkPolicy:
    case KINDS.CalicoNetworkPolicy:
      return [calico(obj, kind === KINDS.CalicoGlobalNetworkPolicy)];
    case KINDS.AdminNetworkPolicy:
    case KINDS.BaselineAdminNetworkPolicy:
      return [adminPolicy(obj, kind === KINDS.BaselineAdminNetworkPolicy)];
    default:
      return [uninterpretable(obj, kind, `kposture does not interpret ${kind}`)];
  }
}

function uninterpretable(obj: K8sObject, kind: string, reason: string): ForeignPolicy {
  const effect: DirectionEffect = { isolates: 'uncertain', verdict: 'uncertain', path: 'spec', evidence: reason };
  return {
    ref: refOf(obj, kind.split('.')[0]),
    verify: verifyCommand(obj, kind),
    coversNamespace: () => 'X',
    selectsPod: () => 'X',
    effect: { Ingress: effect, Egress: effect },
  };
}

function verifyCommand(obj: K8sObject, kind: string): string {
  const [k, ...group] = kind.split('.');
  const resource = `${k!.toLowerCase()}${group.length ? `.${group.join('.')}` : ''}`;
  const ns = namespaceOf(obj);
  return kubectl('get', resource, nameOf(obj), ...(ns ? ['-n', ns] : []), '-o', 'yaml');
}

const NONE: DirectionEffect = { isolates: false, verdict: 'none', path: '', evidence: '' };
const DEFAULT_ROUTES = new Set(['0.0.0.0/0', '::/0']);

// ---------------------------------------------------------------- label selectors, tri-state

/**
 * Evaluates a LabelSelector over an endpoint whose labels are partly namespace facts and
 * partly the pod's own labels. `lookup` returns the value of a namespace-level key, 'pod' for
 * pod labels (U when asking about a whole namespace), or 'unknown' (X).
 */
function evaluateSelector(selector: CompiledSelector, lookup: (key: string) => { value: string | undefined } | 'pod' | 'unknown'): Tri {
  if (selector.matchesNothing) return 'F';
  let result: Tri = 'T';
  for (const r of selector.requirements) result = triAnd(result, evaluateRequirement(r, lookup));
  return result;
}

function evaluateRequirement(r: Requirement, lookup: (key: string) => { value: string | undefined } | 'pod' | 'unknown'): Tri {
  const found = lookup(r.key);
  if (found === 'pod') return 'U';
  if (found === 'unknown') return 'X';
  return requirementMatches(r, found.value === undefined ? {} : { [r.key]: found.value }) ? 'T' : 'F';
}

/** Namespace labels as the API exposes them, with the automatic `kubernetes.io/metadata.name`. */
function namespaceLabel(ns: NamespaceFacts, key: string): { value: string | undefined } | 'unknown' {
  if (key === 'kubernetes.io/metadata.name') return { value: ns.name };
  if (!ns.labels) return 'unknown';
  return { value: ns.labels[key] };
}

// ---------------------------------------------------------------- Cilium

const CILIUM_NS = 'io.kubernetes.pod.namespace';
const CILIUM_NS_LABELS = 'io.cilium.k8s.namespace.labels.';
const CILIUM_SA = 'io.cilium.k8s.policy.serviceaccount';
const CILIUM_INGRESS_FIELDS = new Set([
  'fromEndpoints',
  'fromRequires',
  'fromCIDR',
  'fromCIDRSet',
  'fromEntities',
  'fromGroups',
  'fromNodes',
  'toPorts',
  'icmps',
  'authentication',
]);
const CILIUM_EGRESS_FIELDS = new Set([
  'toEndpoints',
  'toRequires',
  'toCIDR',
  'toCIDRSet',
  'toEntities',
  'toServices',
  'toFQDNs',
  'toGroups',
  'toNodes',
  'toPorts',
  'icmps',
  'authentication',
]);

/** Cilium label keys carry a source prefix (`k8s:app`, `any:app`); pods only have k8s labels. */
function ciliumKey(raw: string): { key: string; podSource: boolean } {
  const colon = raw.indexOf(':');
  if (colon < 0) return { key: raw, podSource: true };
  const source = raw.slice(0, colon);
  return { key: raw.slice(colon + 1), podSource: source === 'k8s' || source === 'any' };
}

function ciliumLookup(ns: NamespaceFacts, pod: PodFacts | undefined) {
  return (raw: string): { value: string | undefined } | 'pod' | 'unknown' => {
    const { key, podSource } = ciliumKey(raw);
    if (!podSource) return { value: undefined };
    if (key === CILIUM_NS) return { value: ns.name };
    if (key.startsWith(CILIUM_NS_LABELS)) return namespaceLabel(ns, key.slice(CILIUM_NS_LABELS.length));
    if (key === CILIUM_SA) return pod ? { value: pod.serviceAccount } : 'pod';
    if (key.startsWith('io.cilium.k8s.policy.')) return 'unknown';
    return pod ? { value: pod.labels[key] } : 'pod';
  };
}

/** One ForeignPolicy per rule: `spec` holds one rule, `specs` several, each selecting on its own. */
function cilium(obj: K8sObject, clusterwide: boolean): ForeignPolicy[] {
  const kind = clusterwide ? KINDS.CiliumClusterwideNetworkPolicy : KINDS.CiliumNetworkPolicy;
  const home = namespaceOf(obj);
  const rules = [
    ...(isRecord(field(obj, 'spec')) ? [{ rule: asRecord(field(obj, 'spec')), path: 'spec' }] : []),
    ...asArray(field(obj, 'specs')).map((rule, i) => ({ rule: asRecord(rule), path: `specs[${i}]` })),
  ];
  if (rules.length === 0) return [uninterpretable(obj, kind, 'no spec or specs')];
  return rules.map(({ rule, path }) => {
    const compiled = ciliumRule(rule, path, clusterwide);
    if ('reason' in compiled) return uninterpretable(obj, kind, compiled.reason);
    const inHome = (ns: NamespaceFacts) => clusterwide || ns.name === home;
    return {
      ref: refOf(obj, kind.split('.')[0]),
      verify: verifyCommand(obj, kind),
      coversNamespace: (ns: NamespaceFacts) => (inHome(ns) ? compiled.select(ciliumLookup(ns, undefined)) : 'F'),
      selectsPod: (pod: PodFacts, ns: NamespaceFacts) => (inHome(ns) ? compiled.select(ciliumLookup(ns, pod)) : 'F'),
      effect: compiled.effect,
    };
  });
}

interface CiliumRule {
  select(lookup: ReturnType<typeof ciliumLookup>): Tri;
  effect: Record<Direction, DirectionEffect>;
}

function ciliumRule(rule: Record<string, unknown>, path: string, clusterwide: boolean): CiliumRule | { reason: string } {
  let selector: CompiledSelector | undefined;
  if (rule.endpointSelector !== undefined && rule.endpointSelector !== null) {
    const compiled = compileLabelSelector(rule.endpointSelector, { absent: 'everything' });
    if (!compiled.ok) return { reason: `${path}.endpointSelector: ${compiled.reason}` };
    selector = compiled.selector;
  } else if (rule.nodeSelector === undefined) {
    return { reason: `${path}: neither endpointSelector nor nodeSelector` };
  }
  const effect = {} as Record<Direction, DirectionEffect>;
  for (const direction of DIRECTIONS) {
    const e = ciliumDirection(rule, path, direction, clusterwide);
    if ('reason' in e) return e;
    effect[direction] = e;
  }
  // A nodeSelector rule is a host policy: it selects nodes, never pods.
  return { select: (lookup) => (selector ? evaluateSelector(selector, lookup) : 'F'), effect };
}

function ciliumDirection(rule: Record<string, unknown>, path: string, direction: Direction, clusterwide: boolean): DirectionEffect | { reason: string } {
  const allowField = direction === 'Ingress' ? 'ingress' : 'egress';
  const denyField = `${allowField}Deny`;
  const known = direction === 'Ingress' ? CILIUM_INGRESS_FIELDS : CILIUM_EGRESS_FIELDS;
  const allows = asArray(rule[allowField]);
  const denies = asArray(rule[denyField]);
  for (const [list, name] of [
    [allows, allowField],
    [denies, denyField],
  ] as const) {
    for (const [i, r] of list.entries()) {
      if (!isRecord(r)) return { reason: `${path}.${name}[${i}] is not an object` };
      const unknown = Object.keys(r).find((k) => !known.has(k));
      if (unknown) return { reason: `${path}.${name}[${i}].${unknown} is not modelled by kposture` };
    }
  }
  // Cilium: a direction with rules puts selected endpoints in default deny unless
  // enableDefaultDeny.<direction> is false.
  const explicit = field(rule, 'enableDefaultDeny', direction === 'Ingress' ? 'ingress' : 'egress');
  const isolates = (allows.length > 0 || denies.length > 0) && explicit !== false;
  for (const [i, r] of denies.entries()) {
    if (ciliumCoversEverything(r as Record<string, unknown>, direction)) {
      return { isolates, verdict: 'hard-deny', path: `${path}.${denyField}[${i}]`, evidence: `${denyField} from every peer (entity all)` };
    }
  }
  for (const [i, r] of allows.entries()) {
    const why = ciliumAllowAll(r as Record<string, unknown>, direction, clusterwide);
    if (why) return { isolates, verdict: 'allow-all', path: `${path}.${allowField}[${i}]`, evidence: why };
  }
  if (isolates) {
    const evidence =
      allows.length === 0
        ? `${path}.${denyField} present: selected pods deny by default`
        : `${path}.${allowField}: selected pods deny what the rules do not allow`;
    return { isolates, verdict: 'isolated', path: `${path}.${allows.length > 0 ? allowField : denyField}`, evidence };
  }
  return NONE;
}

function hasPorts(r: Record<string, unknown>): boolean {
  return asArray(r.toPorts).length > 0 || asArray(r.icmps).length > 0;
}

function ciliumPeerFields(direction: Direction) {
  const p = direction === 'Ingress' ? 'from' : 'to';
  return { entities: `${p}Entities`, cidr: `${p}CIDR`, cidrSet: `${p}CIDRSet`, endpoints: `${p}Endpoints`, requires: `${p}Requires` };
}

function ciliumCoversEverything(r: Record<string, unknown>, direction: Direction): boolean {
  if (hasPorts(r)) return false;
  const f = ciliumPeerFields(direction);
  const entities = asArray(r[f.entities]);
  return entities.includes('all') || (entities.includes('cluster') && entities.includes('world'));
}

function ciliumAllowAll(r: Record<string, unknown>, direction: Direction, clusterwide: boolean): string | undefined {
  if (hasPorts(r) || asArray(r[ciliumPeerFields(direction).requires]).length > 0) return undefined;
  const f = ciliumPeerFields(direction);
  const entity = asArray(r[f.entities]).find((e) => e === 'all' || e === 'cluster' || e === 'world');
  if (typeof entity === 'string') return `${f.entities}: ${entity}, every port`;
  const cidr = asArray(r[f.cidr]).find((c) => typeof c === 'string' && DEFAULT_ROUTES.has(c));
  if (typeof cidr === 'string') return `${f.cidr}: ${cidr}, every port`;
  const set = asArray(r[f.cidrSet]).find((s) => isRecord(s) && typeof s.cidr === 'string' && DEFAULT_ROUTES.has(s.cidr) && asArray(s.except).length === 0);
  if (isRecord(set)) return `${f.cidrSet}: ${String(set.cidr)} without except, every port`;
  for (const sel of asArray(r[f.endpoints])) {
    const compiled = compileLabelSelector(sel, { absent: 'everything' });
    if (!compiled.ok) continue;
    const reqs = compiled.selector.requirements;
    // `{}` selects every endpoint of the cluster in a clusterwide policy, of its own
    // namespace in a namespaced one; a namespace key with Exists selects every namespace.
    const everyNamespace = reqs.length > 0 && reqs.every((q) => ciliumKey(q.key).key === CILIUM_NS && q.operator === 'Exists');
    if ((reqs.length === 0 && clusterwide) || everyNamespace) return `${f.endpoints}: every endpoint of every namespace, every port`;
  }
  return undefined;
}

// ---------------------------------------------------------------- Calico

const CALICO_RULE_FIELDS = new Set(['action', 'protocol', 'notProtocol', 'icmp', 'notICMP', 'ipVersion', 'source', 'destination', 'http', 'metadata']);
const CALICO_ENTITY_FIELDS = new Set(['nets', 'notNets', 'selector', 'notSelector', 'namespaceSelector', 'ports', 'notPorts', 'serviceAccounts', 'services']);

function calicoPodLookup(ns: NamespaceFacts, pod: PodFacts | undefined) {
  return (key: string): { value: string | undefined } | 'pod' | 'unknown' => {
    if (key === 'projectcalico.org/namespace') return { value: ns.name };
    if (key === 'projectcalico.org/orchestrator') return { value: 'k8s' };
    if (key.startsWith('pcns.')) return namespaceLabel(ns, key.slice(5));
    if (key === 'projectcalico.org/serviceaccount') return pod ? { value: pod.serviceAccount } : 'pod';
    if (key.startsWith('pcsa.')) return pod ? 'unknown' : 'pod';
    return pod ? { value: pod.labels[key] } : 'pod';
  };
}

function calicoNamespaceLookup(ns: NamespaceFacts) {
  return (key: string): { value: string | undefined } | 'pod' | 'unknown' => (key === 'projectcalico.org/name' ? { value: ns.name } : namespaceLabel(ns, key));
}

function parseOptional(value: unknown, path: string): { expr?: CalicoExpr } | { reason: string } {
  if (value === undefined || value === null || value === '') return {};
  if (typeof value !== 'string') return { reason: `${path} is not a string` };
  const parsed = parseCalicoSelector(value);
  return parsed.ok ? { expr: parsed.expr } : { reason: `${path}: ${parsed.reason}` };
}

function calico(obj: K8sObject, global: boolean): ForeignPolicy {
  const kind = global ? KINDS.CalicoGlobalNetworkPolicy : KINDS.CalicoNetworkPolicy;
  const spec = asRecord(field(obj, 'spec'));
  const home = namespaceOf(obj);
  const selector = parseOptional(spec.selector, 'spec.selector');
  const nsSelector = global ? parseOptional(spec.namespaceSelector, 'spec.namespaceSelector') : {};
  const saSelector = parseOptional(spec.serviceAccountSelector, 'spec.serviceAccountSelector');
  for (const p of [selector, nsSelector, saSelector]) if ('reason' in p) return uninterpretable(obj, kind, p.reason);
  const tier = asString(spec.tier);
  if (tier && tier !== 'default') return uninterpretable(obj, kind, `tier ${tier}: its default action is not modelled`);
  const hostOnly = spec.doNotTrack === true || spec.preDNAT === true;
  const podExpr = (selector as { expr?: CalicoExpr }).expr;
  const nsExpr = (nsSelector as { expr?: CalicoExpr }).expr;
  const saExpr = (saSelector as { expr?: CalicoExpr }).expr;
  const select = (ns: NamespaceFacts, pod: PodFacts | undefined): Tri => {
    if (hostOnly) return 'F';
    if (!global && ns.name !== home) return 'F';
    let t: Tri = podExpr ? evaluateCalico(podExpr, calicoPodLookup(ns, pod)) : 'T';
    if (nsExpr) t = triAnd(t, evaluateCalico(nsExpr, calicoNamespaceLookup(ns)));
    // Service-account labels are not collected: a pod-level criterion kposture cannot evaluate.
    if (saExpr && !(saExpr.op === 'all')) t = triAnd(t, pod ? 'X' : 'U');
    return t;
  };
  const types = calicoTypes(spec);
  const effect = {} as Record<Direction, DirectionEffect>;
  for (const direction of DIRECTIONS) effect[direction] = types.has(direction) ? calicoDirection(spec, direction, global) : NONE;
  return {
    ref: refOf(obj, kind.split('.')[0]),
    verify: verifyCommand(obj, kind),
    coversNamespace: (ns) => select(ns, undefined),
    selectsPod: (pod, ns) => select(ns, pod),
    effect,
  };
}

/** Calico's defaulting: listed types; else Ingress if ingress rules, Egress if egress rules; else Ingress. */
function calicoTypes(spec: Record<string, unknown>): Set<Direction> {
  const listed = asArray(spec.types).filter((t): t is Direction => t === 'Ingress' || t === 'Egress');
  if (listed.length > 0) return new Set(listed);
  const types = new Set<Direction>();
  if (asArray(spec.ingress).length > 0) types.add('Ingress');
  if (asArray(spec.egress).length > 0) types.add('Egress');
  if (types.size === 0) types.add('Ingress');
  return types;
}

function calicoDirection(spec: Record<string, unknown>, direction: Direction, global: boolean): DirectionEffect {
  const listField = direction === 'Ingress' ? 'ingress' : 'egress';
  const [peerField, localField] = direction === 'Ingress' ? ['source', 'destination'] : ['destination', 'source'];
  const uncertain = (path: string, evidence: string): DirectionEffect => ({ isolates: true, verdict: 'uncertain', path, evidence });
  for (const [i, raw] of asArray(spec[listField]).entries()) {
    const path = `spec.${listField}[${i}]`;
    if (!isRecord(raw)) return uncertain(path, `${path} is not an object`);
    const unknown = Object.keys(raw).find((k) => !CALICO_RULE_FIELDS.has(k));
    if (unknown) return uncertain(path, `${path}.${unknown} is not modelled by kposture`);
    for (const side of ['source', 'destination']) {
      const entity = raw[side];
      if (entity === undefined || entity === null) continue;
      if (!isRecord(entity)) return uncertain(path, `${path}.${side} is not an object`);
      const odd = Object.keys(entity).find((k) => !CALICO_ENTITY_FIELDS.has(k));
      if (odd) return uncertain(path, `${path}.${side}.${odd} is not modelled by kposture`);
    }
    const action = raw.action;
    if (action === 'Log') continue;
    if (action === 'Pass') return uncertain(path, `${path}: action Pass hands the decision to later tiers, which kposture does not model`);
    if (action !== 'Allow' && action !== 'Deny') return uncertain(path, `${path}: action ${JSON.stringify(action)} is not Allow, Deny, Log or Pass`);
    const unconditioned =
      ['protocol', 'notProtocol', 'icmp', 'notICMP', 'ipVersion', 'http'].every((k) => raw[k] === undefined) && isEmptyEntity(raw[localField]);
    if (!unconditioned) continue;
    const peer = asRecord(raw[peerField]);
    if (action === 'Deny' && (isEmptyEntity(peer) || coversAllNets(peer))) {
      return { isolates: true, verdict: 'hard-deny', path, evidence: `action Deny with no ${peerField} criteria: every peer denied` };
    }
    if (action === 'Allow') {
      const why = calicoAllowAll(peer, peerField, global);
      if (why) return { isolates: true, verdict: 'allow-all', path, evidence: why };
    }
  }
  // Selected endpoints drop what no rule allows, at the end of the (default) tier.
  return { isolates: true, verdict: 'isolated', path: `spec.${listField}`, evidence: 'selected pods deny what no rule allows (end of tier)' };
}

function isEmptyEntity(value: unknown): boolean {
  return value === undefined || value === null || (isRecord(value) && Object.keys(value).length === 0);
}

function coversAllNets(peer: Record<string, unknown>): boolean {
  const keys = Object.keys(peer);
  const nets = asArray(peer.nets);
  return keys.length === 1 && keys[0] === 'nets' && nets.includes('0.0.0.0/0') && nets.includes('::/0');
}

function calicoAllowAll(peer: Record<string, unknown>, side: string, global: boolean): string | undefined {
  const keys = Object.keys(peer);
  if (keys.length === 0) return `action Allow with no ${side} criteria: every peer, every port`;
  if (keys.every((k) => k === 'nets') && asArray(peer.nets).some((n) => typeof n === 'string' && DEFAULT_ROUTES.has(n))) {
    return `action Allow from ${side}.nets ${asArray(peer.nets).join(', ')}: every address, every port`;
  }
  const isAll = (v: unknown) => typeof v === 'string' && v.replace(/\s/g, '') === 'all()';
  // In a global policy a rule selector without namespaceSelector matches every namespace.
  const everyPod =
    keys.every((k) => k === 'selector' || k === 'namespaceSelector') &&
    (peer.selector === undefined || isAll(peer.selector)) &&
    (isAll(peer.namespaceSelector) || (global && isAll(peer.selector)));
  return everyPod ? `action Allow from every pod of every namespace (${side} all()), every port` : undefined;
}

// ---------------------------------------------------------------- AdminNetworkPolicy API

function adminPolicy(obj: K8sObject, baseline: boolean): ForeignPolicy {
  const kind = baseline ? KINDS.BaselineAdminNetworkPolicy : KINDS.AdminNetworkPolicy;
  const subject = asRecord(field(obj, 'spec', 'subject'));
  let nsSel: CompiledSelector | undefined;
  let podSel: CompiledSelector | undefined;
  if (isRecord(subject.namespaces)) {
    const c = compileLabelSelector(subject.namespaces, { absent: 'everything' });
    if (!c.ok) return uninterpretable(obj, kind, `spec.subject.namespaces: ${c.reason}`);
    nsSel = c.selector;
  } else if (isRecord(subject.pods)) {
    const n = compileLabelSelector(subject.pods.namespaceSelector, { absent: 'everything' });
    const p = compileLabelSelector(subject.pods.podSelector, { absent: 'everything' });
    if (!n.ok) return uninterpretable(obj, kind, `spec.subject.pods.namespaceSelector: ${n.reason}`);
    if (!p.ok) return uninterpretable(obj, kind, `spec.subject.pods.podSelector: ${p.reason}`);
    nsSel = n.selector;
    podSel = p.selector;
  } else {
    return uninterpretable(obj, kind, 'spec.subject has neither namespaces nor pods');
  }
  const inNamespace = (ns: NamespaceFacts) => evaluateSelector(nsSel, (key) => namespaceLabel(ns, key));
  const effect = {} as Record<Direction, DirectionEffect>;
  for (const direction of DIRECTIONS) effect[direction] = adminDirection(obj, direction, baseline);
  return {
    ref: refOf(obj, kind.split('.')[0]),
    verify: verifyCommand(obj, kind),
    coversNamespace: (ns) => triAnd(inNamespace(ns), podSel && !podSel.matchesEverything ? 'U' : 'T'),
    selectsPod: (pod, ns) => triAnd(inNamespace(ns), !podSel || podSel.matches(pod.labels) ? 'T' : 'F'),
    effect,
  };
}

/**
 * ANP rules are ordered: the first Allow/Deny/Pass of every peer decides. A Deny of every peer
 * is a hard deny in an AdminNetworkPolicy (NetworkPolicies cannot allow it back) and a default
 * deny in the BaselineAdminNetworkPolicy (it applies only where no NetworkPolicy decides).
 * Ingress peers can only be pods, so "every peer" there means every pod of every namespace.
 */
function adminDirection(obj: K8sObject, direction: Direction, baseline: boolean): DirectionEffect {
  const listField = direction === 'Ingress' ? 'ingress' : 'egress';
  const peersField = direction === 'Ingress' ? 'from' : 'to';
  for (const [i, raw] of asArray(field(obj, 'spec', listField)).entries()) {
    const path = `spec.${listField}[${i}]`;
    if (!isRecord(raw)) return { isolates: 'uncertain', verdict: 'uncertain', path, evidence: `${path} is not an object` };
    const coverage = adminPeersCoverage(asArray(raw[peersField]), direction);
    if (coverage === 'unknown')
      return { isolates: 'uncertain', verdict: 'uncertain', path, evidence: `${path}.${peersField} has a peer kposture does not model` };
    if (asArray(raw.ports).length > 0 || coverage === 'some') continue;
    const action = raw.action;
    if (action === 'Deny' && coverage === 'everything') {
      return baseline
        ? { isolates: true, verdict: 'isolated', path, evidence: 'BaselineAdminNetworkPolicy denies every peer that no NetworkPolicy allows' }
        : { isolates: true, verdict: 'hard-deny', path, evidence: 'AdminNetworkPolicy denies every peer' };
    }
    if (action === 'Allow')
      return baseline ? NONE : { isolates: false, verdict: 'allow-all', path, evidence: 'AdminNetworkPolicy allows every peer, overriding NetworkPolicies' };
    if (action === 'Pass') return NONE;
    if (action !== 'Deny') return { isolates: 'uncertain', verdict: 'uncertain', path, evidence: `${path}: action ${JSON.stringify(action)} is not modelled` };
  }
  return NONE;
}

function adminPeersCoverage(peers: unknown[], direction: Direction): 'everything' | 'all-pods' | 'some' | 'unknown' {
  let allPods = false;
  let allNets = false;
  for (const peer of peers) {
    if (!isRecord(peer)) return 'unknown';
    if (isRecord(peer.namespaces)) {
      const c = compileLabelSelector(peer.namespaces, { absent: 'everything' });
      if (!c.ok) return 'unknown';
      if (c.selector.matchesEverything) allPods = true;
    } else if (isRecord(peer.pods)) {
      const n = compileLabelSelector(peer.pods.namespaceSelector, { absent: 'everything' });
      const p = compileLabelSelector(peer.pods.podSelector, { absent: 'everything' });
      if (!n.ok || !p.ok) return 'unknown';
      if (n.selector.matchesEverything && p.selector.matchesEverything) allPods = true;
    } else if (Array.isArray(peer.networks)) {
      if (peer.networks.some((n) => typeof n === 'string' && DEFAULT_ROUTES.has(n))) allNets = true;
    } else if (!isRecord(peer.nodes) && !Array.isArray(peer.domainNames)) {
      return 'unknown';
    }
  }
  if (direction === 'Ingress') return allPods ? 'everything' : 'some';
  if (allPods && allNets) return 'everything';
  return allPods || allNets ? 'all-pods' : 'some';
}

// ---------------------------------------------------------------- helpers

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
