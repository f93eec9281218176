/**
 * Kubernetes NetworkPolicy semantics, exactly as the API defines them, in one place.
 *
 * - policyTypes: when the list is absent or empty (`[]` reads as omitted), the API server
 *   defaults it to `[Ingress]`, plus `Egress` when `spec.egress` has at least one rule
 *   (`SetDefaults_NetworkPolicy`: `len(spec.egress) != 0`; so `egress: []` stays Ingress only).
 *   Objects read back from a cluster are already defaulted; manifests in a snapshot may not be.
 * - Rules for a direction that is not in the effective policyTypes are ignored.
 * - `spec.podSelector` is required: absent or `{}` selects every pod of the policy's namespace,
 *   and a policy never selects pods of another namespace.
 * - A pod selected by a policy for a direction is isolated for that direction; traffic is then
 *   allowed only when some rule of some policy selecting the pod allows it (rules add up).
 * - Pods with `hostNetwork: true` are outside NetworkPolicy (the API says behaviour is
 *   undefined for them; CNIs do not enforce it), so they are never counted as isolated or not.
 * - A rule's `from`/`to` absent or empty means every peer; `ports` absent or empty means every
 *   port. A peer with both namespaceSelector and podSelector selects pods matching both (AND);
 *   the same selectors in two peers select pods matching either (OR).
 * - allow-all: a rule with every port and either no peers, a peer whose namespaceSelector is
 *   `{}` (with no or an empty podSelector: every pod of every namespace), or an ipBlock
 *   `0.0.0.0/0` / `::/0` without `except`. A rule with ports is never allow-all.
 *
 * Selectors are compiled once per policy and policies are indexed per namespace (and by one
 * of their matchLabels pairs), so finding the policies of a pod costs a few map lookups, not
 * a scan of every policy in the cluster.
 */
import { compileLabelSelector, type CompiledSelector, type Labels } from './labels.js';
import { appendTo } from '../util/collections.js';
import { StringTable } from '../util/strings.js';
import { asArray, asString, field, isRecord, labelsView, nameOf, namespaceOf, refOf, type K8sObject, type ResourceRef } from './object.js';
import { kubectl } from '../util/shell.js';

export type Direction = 'Ingress' | 'Egress';
export const DIRECTIONS: readonly Direction[] = ['Ingress', 'Egress'];

/** The spec field holding a direction's rules and the peer field of each rule. */
const RULES_FIELD: Record<Direction, { rules: 'ingress' | 'egress'; peers: 'from' | 'to' }> = {
  Ingress: { rules: 'ingress', peers: 'from' },
  Egress: { rules: 'egress', peers: 'to' },
};

/**
 * What a NetworkPolicy needs to know about a pod: no name, so that the pods of one ReplicaSet,
 * which the slim projection gives one labels object, share one PodFacts (podFactsOf).
 */
export interface PodFacts {
  namespace: string;
  labels: Labels;
  hostNetwork: boolean;
  /** Succeeded or Failed: the pod has no network endpoint any more. */
  finished: boolean;
  serviceAccount: string;
}

export function podFacts(pod: K8sObject): PodFacts {
  const phase = asString(field(pod, 'status', 'phase'));
  return {
    namespace: namespaceOf(pod) ?? 'default',
    labels: labelsView(pod),
    hostNetwork: field(pod, 'spec', 'hostNetwork') === true,
    finished: phase === 'Succeeded' || phase === 'Failed',
    serviceAccount: asString(field(pod, 'spec', 'serviceAccountName')) ?? 'default',
  };
}

/** Pods that NetworkPolicy governs: running (or pending) pods on the pod network. */
export function isPolicySubject(pod: PodFacts): boolean {
  return !pod.hostNetwork && !pod.finished;
}

export type Peer =
  | { type: 'selector'; path: string; podSelector?: CompiledSelector; namespaceSelector?: CompiledSelector }
  | { type: 'ipBlock'; path: string; cidr: string; except: string[] };

export interface Rule {
  direction: Direction;
  /** YAML path of the rule, e.g. `spec.ingress[0]`. */
  path: string;
  /** undefined: `from`/`to` absent or empty, which means every peer. */
  peers: Peer[] | undefined;
  /** `ports` absent or empty: every port. */
  allPorts: boolean;
}

export interface Policy {
  obj: K8sObject;
  ref: ResourceRef;
  namespace: string;
  name: string;
  /** undefined when the selector is invalid (see problems). */
  podSelector: CompiledSelector | undefined;
  /** Effective policyTypes after defaulting. */
  types: ReadonlySet<Direction>;
  typesDefaulted: boolean;
  /** Rules as written, per direction, including those of directions not in `types`. */
  declared: Readonly<Record<Direction, readonly Rule[]>>;
  /** Parts that could not be interpreted (invalid selectors, malformed peers). */
  problems: readonly string[];
}

/** The effective policyTypes of a NetworkPolicy spec. */
export function effectivePolicyTypes(spec: unknown): { types: ReadonlySet<Direction>; defaulted: boolean } {
  const listed = field(spec, 'policyTypes');
  if (Array.isArray(listed) && listed.length > 0) {
    return { types: typeSet(listed.includes('Ingress'), listed.includes('Egress')), defaulted: false };
  }
  return { types: typeSet(true, asArray(field(spec, 'egress')).length > 0), defaulted: true };
}

/** One set per combination, shared by every policy (tens of thousands in a large cluster). */
const TYPE_SETS: readonly ReadonlySet<Direction>[] = [
  new Set<Direction>(),
  new Set<Direction>(['Ingress']),
  new Set<Direction>(['Egress']),
  new Set<Direction>(['Ingress', 'Egress']),
];

function typeSet(ingress: boolean, egress: boolean): ReadonlySet<Direction> {
  return TYPE_SETS[(ingress ? 1 : 0) + (egress ? 2 : 0)]!;
}

export function compilePolicy(obj: K8sObject): Policy {
  const spec = field(obj, 'spec');
  const problems: string[] = [];
  const selected = compileLabelSelector(field(spec, 'podSelector'), { absent: 'everything' });
  if (!selected.ok) problems.push(`spec.podSelector: ${selected.reason}`);
  const { types, defaulted } = effectivePolicyTypes(spec);
  const declared = {} as Record<Direction, readonly Rule[]>;
  for (const direction of DIRECTIONS) declared[direction] = compileRules(spec, direction, problems);
  return {
    obj,
    ref: refOf(obj, 'NetworkPolicy'),
    namespace: namespaceOf(obj) ?? 'default',
    name: nameOf(obj),
    podSelector: selected.ok ? selected.selector : undefined,
    types,
    typesDefaulted: defaulted,
    declared,
    problems: problems.length > 0 ? problems : NO_PROBLEMS,
  };
}

// Tens of thousands of policies compile alike: the empty lists and the field paths
// (`spec.ingress[0].from[1]`) are shared between them rather than made for each.
const NO_PROBLEMS: readonly string[] = Object.freeze([]);
const NO_RULES: readonly Rule[] = Object.freeze([]);
const PATHS = new StringTable();

function compileRules(spec: unknown, direction: Direction, problems: string[]): readonly Rule[] {
  const { rules: rulesField, peers: peersField } = RULES_FIELD[direction];
  const raws = asArray(field(spec, rulesField));
  if (raws.length === 0) return NO_RULES;
  return raws.map((raw, i) => {
    const path = PATHS.intern(`spec.${rulesField}[${i}]`);
    const rawPeers = isRecord(raw) ? raw[peersField] : undefined;
    const list = asArray(rawPeers);
    const peers =
      list.length === 0
        ? undefined
        : list.map((p, j) => compilePeer(p, PATHS.intern(`${path}.${peersField}[${j}]`), problems)).filter((p): p is Peer => p !== undefined);
    return { direction, path, peers, allPorts: asArray(isRecord(raw) ? raw.ports : undefined).length === 0 };
  });
}

function compilePeer(raw: unknown, path: string, problems: string[]): Peer | undefined {
  if (!isRecord(raw)) {
    problems.push(`${path}: not an object`);
    return undefined;
  }
  if (isRecord(raw.ipBlock)) {
    const cidr = asString(raw.ipBlock.cidr);
    if (!cidr) {
      problems.push(`${path}.ipBlock.cidr is missing`);
      return undefined;
    }
    const except = asArray(raw.ipBlock.except).filter((e): e is string => typeof e === 'string');
    return { type: 'ipBlock', path, cidr, except };
  }
  // Both selectors are pointers here: absent means "not this criterion", not "nothing".
  const peer: Peer = { type: 'selector', path };
  for (const key of ['podSelector', 'namespaceSelector'] as const) {
    if (raw[key] === undefined || raw[key] === null) continue;
    const compiled = compileLabelSelector(raw[key], { absent: 'everything' });
    if (!compiled.ok) {
      problems.push(`${path}.${key}: ${compiled.reason}`);
      return undefined;
    }
    peer[key] = compiled.selector;
  }
  if (!peer.podSelector && !peer.namespaceSelector) {
    problems.push(`${path}: a peer needs podSelector, namespaceSelector or ipBlock`);
    return undefined;
  }
  return peer;
}

/** Rules that take effect: those of a direction listed in the effective policyTypes. */
export function effectiveRules(policy: Policy, direction: Direction): readonly Rule[] {
  return policy.types.has(direction) ? policy.declared[direction] : [];
}

/** Rules written for a direction the policy does not apply to: ignored by Kubernetes. */
export function ignoredRules(policy: Policy): Rule[] {
  return DIRECTIONS.filter((d) => !policy.types.has(d)).flatMap((d) => [...policy.declared[d]]);
}

export function selectsEveryPod(policy: Policy): boolean {
  return policy.podSelector?.matchesEverything === true;
}

const DEFAULT_ROUTES = new Set(['0.0.0.0/0', '::/0']);

export interface AllowAll {
  /** YAML path of the rule, or of the peer that makes it allow-all. */
  path: string;
  reason: string;
}

/**
 * Why a rule allows everything, or undefined. A rule with ports never allows everything; a
 * rule without peers, or with one peer that covers every source/destination, does.
 */
export function allowAllOf(rule: Rule): AllowAll | undefined {
  if (!rule.allPorts) return undefined;
  const other = rule.direction === 'Ingress' ? 'source' : 'destination';
  if (!rule.peers) return { path: rule.path, reason: `no \`${RULES_FIELD[rule.direction].peers}\`: every ${other}, every port` };
  for (const peer of rule.peers) {
    if (peer.type === 'ipBlock') {
      if (DEFAULT_ROUTES.has(peer.cidr) && peer.except.length === 0) {
        return { path: peer.path, reason: `ipBlock ${peer.cidr} without except: every address, every port` };
      }
    } else if (peer.namespaceSelector?.matchesEverything && (!peer.podSelector || peer.podSelector.matchesEverything)) {
      return { path: peer.path, reason: 'namespaceSelector {}: every pod in every namespace, every port' };
    }
  }
  return undefined;
}

/**
 * Does a peer select this pod (as source for ingress, destination for egress)? Within one peer
 * namespaceSelector AND podSelector must both match; without a namespaceSelector the peer
 * means the policy's own namespace. ipBlock peers are about addresses: whether they cover pod
 * IPs is implementation-defined, so they never select a pod here.
 */
function peerSelectsPod(peer: Peer, policyNamespace: string, other: { namespace: string; labels: Labels }, namespaceLabels: Labels): boolean {
  if (peer.type === 'ipBlock') return false;
  const inNamespace = peer.namespaceSelector ? peer.namespaceSelector.matches(namespaceLabels) : other.namespace === policyNamespace;
  return inNamespace && (peer.podSelector ? peer.podSelector.matches(other.labels) : true);
}

/** Does the rule allow traffic with this pod on some port? Peers of one rule are ORed. */
export function ruleSelectsPod(rule: Rule, policyNamespace: string, other: { namespace: string; labels: Labels }, namespaceLabels: Labels): boolean {
  return rule.peers === undefined || rule.peers.some((p) => peerSelectsPod(p, policyNamespace, other, namespaceLabels));
}

/** A rule that can match no traffic: every peer is an ipBlock whose `except` removes its whole CIDR. */
function allowsNothing(rule: Rule): boolean {
  return rule.peers !== undefined && rule.peers.length > 0 && rule.peers.every((p) => p.type === 'ipBlock' && p.except.includes(p.cidr));
}

/** A policy that selects every pod and allows nothing for the direction: the canonical default deny. */
export function isDefaultDeny(policy: Policy, direction: Direction): boolean {
  return selectsEveryPod(policy) && policy.types.has(direction) && effectiveRules(policy, direction).every(allowsNothing);
}

/** How the Kubernetes NetworkPolicies of one namespace treat traffic in one direction by default. */
export interface NamespaceDefault {
  /**
   * - `default-deny`: a policy selects every pod and allows nothing;
   * - `allowlist`: policies select every pod and allow only listed traffic (denied otherwise);
   * - `allow-all`: a policy selecting every pod allows everything, which cancels any deny;
   * - `none`: no policy selects every pod for this direction.
   */
  verdict: 'default-deny' | 'allowlist' | 'allow-all' | 'none';
  defaultDeny: Policy[];
  /** Policies that select every pod for the direction. */
  namespaceWide: Policy[];
  allowAll: { policy: Policy; at: AllowAll }[];
  /** Policies of the namespace whose meaning is unclear (the API would have rejected them). */
  problems: string[];
}

interface NamespaceEntry {
  policies: Policy[];
  wide: Policy[];
  /** Policies whose selector requires one label value: by key, then value. */
  byLabel: Map<string, Map<string, Policy[]>>;
  rest: Policy[];
  broken: Policy[];
}

const NO_POLICIES: readonly Policy[] = Object.freeze([]);
const NOTHING_SELECTS = Object.freeze({ policies: NO_POLICIES, uncertain: NO_POLICIES });

/**
 * PodFacts of a Pod list. Equal facts are one frozen object, so the pods of one ReplicaSet share
 * theirs (docs/performance.md#what-the-heap-holds).
 */
export function podFactsOf(items: readonly K8sObject[]): readonly PodFacts[] {
  const seen = new WeakMap<Labels, PodFacts[]>();
  return items.map((pod) => sharedFacts(podFacts(pod), seen));
}

/**
 * `facts`, or an equal one seen before with the same labels object (siblings share it). A labels
 * object many different pods have (none: every unlabelled pod) keeps a few candidates, not all.
 */
function sharedFacts(facts: PodFacts, seen: WeakMap<Labels, PodFacts[]>): PodFacts {
  let candidates = seen.get(facts.labels);
  if (!candidates) seen.set(facts.labels, (candidates = []));
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (c.namespace === facts.namespace && c.hostNetwork === facts.hostNetwork && c.finished === facts.finished && c.serviceAccount === facts.serviceAccount)
      return c;
  }
  const frozen = Object.freeze(facts);
  if (candidates.length < MAX_FACTS_PER_LABELS) candidates.push(frozen);
  return frozen;
}
const MAX_FACTS_PER_LABELS = 8;

/** NetworkPolicies compiled once and indexed per namespace. */
export class NetworkPolicyIndex {
  private readonly byNamespace = new Map<string, NamespaceEntry>();
  private readonly everyPolicy: Policy[] = [];

  constructor(objects: readonly K8sObject[]) {
    for (const obj of objects) {
      const policy = compilePolicy(obj);
      this.everyPolicy.push(policy);
      const entry = this.entry(policy.namespace);
      entry.policies.push(policy);
      if (!policy.podSelector) entry.broken.push(policy);
      else if (policy.podSelector.matchesEverything) entry.wide.push(policy);
      else {
        const pair = indexPair(policy.podSelector);
        if (pair === undefined) entry.rest.push(policy);
        else {
          let byValue = entry.byLabel.get(pair.key);
          if (!byValue) entry.byLabel.set(pair.key, (byValue = new Map<string, Policy[]>()));
          appendTo(byValue, pair.value, policy);
        }
      }
    }
  }

  private entry(namespace: string): NamespaceEntry {
    let entry = this.byNamespace.get(namespace);
    if (!entry) {
      entry = { policies: [], wide: [], byLabel: new Map(), rest: [], broken: [] };
      this.byNamespace.set(namespace, entry);
    }
    return entry;
  }

  all(): readonly Policy[] {
    return this.everyPolicy;
  }

  policiesIn(namespace: string): readonly Policy[] {
    return this.byNamespace.get(namespace)?.policies ?? NO_POLICIES;
  }

  /**
   * Policies of the pod's own namespace whose podSelector matches it. `uncertain` lists
   * policies of that namespace whose selector could not be read.
   */
  selecting(pod: Pick<PodFacts, 'namespace' | 'labels'>): { policies: readonly Policy[]; uncertain: readonly Policy[] } {
    // Runs for every pod in several checks: no allocation unless a labelled policy matches.
    const entry = this.byNamespace.get(pod.namespace);
    if (!entry) return NOTHING_SELECTS;
    const labels = pod.labels;
    let policies: Policy[] | undefined;
    for (const key in labels) {
      const candidates = entry.byLabel.get(key)?.get(labels[key]!);
      if (candidates) for (const p of candidates) if (p.podSelector!.matches(labels)) (policies ??= [...entry.wide]).push(p);
    }
    for (const p of entry.rest) if (p.podSelector!.matches(labels)) (policies ??= [...entry.wide]).push(p);
    return { policies: policies ?? entry.wide, uncertain: entry.broken };
  }

  /** Is the pod isolated for the direction by a Kubernetes NetworkPolicy? */
  isolation(pod: Pick<PodFacts, 'namespace' | 'labels'>, direction: Direction): { isolated: boolean; by: Policy[]; uncertain: Policy[] } {
    const { policies, uncertain } = this.selecting(pod);
    const by = policies.filter((p) => p.types.has(direction));
    return { isolated: by.length > 0, by, uncertain: by.length > 0 ? [] : uncertain.filter((p) => p.types.has(direction)) };
  }

  namespaceDefault(namespace: string, direction: Direction): NamespaceDefault {
    const policies = this.policiesIn(namespace);
    const namespaceWide = policies.filter((p) => selectsEveryPod(p) && p.types.has(direction));
    const defaultDeny = namespaceWide.filter((p) => isDefaultDeny(p, direction));
    const allowAll: NamespaceDefault['allowAll'] = [];
    for (const policy of namespaceWide) {
      for (const rule of effectiveRules(policy, direction)) {
        const at = allowAllOf(rule);
        if (at) allowAll.push({ policy, at });
      }
    }
    const problems = policies
      .filter((p) => p.problems.length > 0 && (p.types.has(direction) || !p.podSelector))
      .map((p) => `NetworkPolicy ${namespace}/${p.name}: ${p.problems.join('; ')}`);
    const verdict = allowAll.length > 0 ? 'allow-all' : defaultDeny.length > 0 ? 'default-deny' : namespaceWide.length > 0 ? 'allowlist' : 'none';
    return { verdict, defaultDeny, namespaceWide, allowAll, problems };
  }
}

/** One `key=value` pair every selected pod must carry, to index the policy by it. */
function indexPair(selector: CompiledSelector): { key: string; value: string } | undefined {
  const r = selector.requirements.find((req) => req.operator === 'In' && req.values.length === 1);
  return r ? { key: r.key, value: r.values[0]! } : undefined;
}

/** `kubectl get networkpolicy -n <ns> -o yaml`, the command that shows a namespace's policies. */
export function verifyNamespacePolicies(namespace: string): string {
  return kubectl('get', 'networkpolicy', '-n', namespace, '-o', 'yaml');
}

export function verifyPolicy(policy: Pick<Policy, 'namespace' | 'name'>): string {
  return kubectl('get', 'networkpolicy', policy.name, '-n', policy.namespace, '-o', 'yaml');
}
