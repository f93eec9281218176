/**
 * What the policy-engine checks share: which engines of the catalogue are installed (their
 * CRDs and webhook configurations), where they run, the Deployments that serve admission,
 * and whether a policy object enforces or only audits. Pure functions over listed objects.
 */
import type { PolicyEngine, PolicyModeSpec, WebhookMatcher } from '../catalog/catalogs.js';
import { splitApiVersion } from './kinds.js';
import { asArray, asRecord, asString, field, isRecord, labelsOf, nameOf, namespaceOf, type K8sObject } from './object.js';
import { describeSelector, selectorMatches, webhookEntries } from './webhooks.js';
import { matchesWildcard } from '../util/glob.js';

export interface EngineWebhook {
  configuration: K8sObject;
  name: string;
  /** Enforces the engine's policies on resources (as opposed to validating the engine's own objects). */
  enforcing: boolean;
  /** `namespace`: serves one namespace's policies by design (Kubewarden AdmissionPolicy). */
  scope: 'cluster' | 'namespace';
}

export interface DetectedEngine {
  engine: PolicyEngine;
  /** Names of the engine's CRDs present in the cluster, in catalogue order. */
  crds: string[];
  /** The engine's validating webhook configurations, sorted by name. */
  webhooks: EngineWebhook[];
  /** Where the engine runs: its catalogue namespaces plus the namespaces its webhooks call. */
  namespaces: string[];
}

/** A regular expression from the catalogue; a user override that does not compile matches nothing. */
function regex(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}

function anyNameMatches(patterns: readonly string[] | undefined, name: string): boolean {
  return (patterns ?? []).some((p) => regex(p)?.test(name) ?? false);
}

function labelMatches(spec: string, labels: Record<string, string>): boolean {
  const eq = spec.indexOf('=');
  if (eq < 0) return Object.prototype.hasOwnProperty.call(labels, spec);
  return labels[spec.slice(0, eq)] === spec.slice(eq + 1);
}

function ownedBy(obj: K8sObject, owner: string): boolean {
  const slash = owner.indexOf('/');
  const group = owner.slice(0, slash);
  const kind = owner.slice(slash + 1);
  return asArray(asRecord(obj.metadata).ownerReferences).some((ref) => {
    const r = asRecord(ref);
    return r.kind === kind && splitApiVersion(asString(r.apiVersion) ?? '').group === group;
  });
}

export function webhookMatcherMatches(m: WebhookMatcher, config: K8sObject): boolean {
  if (m.name === undefined && m.labels === undefined && m.owner === undefined) return false;
  if (m.name !== undefined && !(regex(m.name)?.test(nameOf(config)) ?? false)) return false;
  if (m.labels !== undefined) {
    const labels = labelsOf(config);
    if (!m.labels.every((l) => labelMatches(l, labels))) return false;
  }
  if (m.owner !== undefined && !ownedBy(config, m.owner)) return false;
  return true;
}

function classify(engine: PolicyEngine, config: K8sObject): EngineWebhook | undefined {
  const name = nameOf(config);
  const enforcingMatchers = (engine.enforcingWebhooks ?? []).filter((m) => webhookMatcherMatches(m, config));
  const enforcing = enforcingMatchers.length > 0;
  if (!enforcing && !anyNameMatches(engine.webhooks, name)) return undefined;
  const scope = enforcingMatchers.some((m) => m.scope === 'namespace') ? 'namespace' : 'cluster';
  return { configuration: config, name, enforcing, scope };
}

/**
 * The catalogue's webhook-based engines (not the built-in ValidatingAdmissionPolicy) that
 * show any trace in the cluster: one of their CRDs or webhook configurations.
 */
export function detectWebhookEngines(engines: readonly PolicyEngine[], crds: readonly K8sObject[], validatingConfigs: readonly K8sObject[]): DetectedEngine[] {
  const crdNames = new Set(crds.map(nameOf));
  const detected: DetectedEngine[] = [];
  for (const engine of engines) {
    if (engine.builtin) continue;
    const foundCrds = engine.crds.filter((c) => crdNames.has(c));
    const webhooks = validatingConfigs
      .map((c) => classify(engine, c))
      .filter((w): w is EngineWebhook => w !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name, 'en'));
    if (foundCrds.length === 0 && webhooks.length === 0) continue;
    const namespaces = new Set(engine.namespaces);
    for (const w of webhooks) {
      for (const entry of webhookEntries(w.configuration)) {
        if (entry.service?.namespace) namespaces.add(entry.service.namespace);
      }
    }
    detected.push({ engine, crds: foundCrds, webhooks, namespaces: [...namespaces].sort() });
  }
  return detected;
}

/** The engine's Deployments that serve admission requests, found in the namespaces it runs in. */
export function admissionDeployments(detected: DetectedEngine, deployments: readonly K8sObject[]): K8sObject[] {
  const namespaces = new Set(detected.namespaces);
  return deployments
    .filter((d) => namespaces.has(namespaceOf(d) ?? '') && anyNameMatches(detected.engine.admissionDeployments, nameOf(d)))
    .sort((a, b) => `${namespaceOf(a)}/${nameOf(a)}`.localeCompare(`${namespaceOf(b)}/${nameOf(b)}`, 'en'));
}

function nonNegativeInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** status.readyReplicas, absent when none is ready. */
export function readyReplicas(deployment: K8sObject): number {
  return nonNegativeInt(field(deployment, 'status', 'readyReplicas')) ?? 0;
}

/** spec.replicas, defaulted to 1 by the API server. */
export function desiredReplicas(deployment: K8sObject): number {
  return nonNegativeInt(field(deployment, 'spec', 'replicas')) ?? 1;
}

// ---------------------------------------------------------------------------
// Enforce or audit

/** `mixed`: enforces in some namespaces and only audits in others (per-namespace overrides). */
export type ModeClass = 'enforce' | 'audit' | 'mixed' | 'unknown';

/** One decision inside a policy: the policy itself, or one Kyverno validate rule. */
export interface ModeUnit {
  /** Field path that decides, e.g. `spec.rules[1].validate.failureAction`. */
  field: string;
  /** The value found, or `<default>` in parentheses when the field is absent. */
  mode: string;
  class: ModeClass;
  /** When per-namespace overrides decide: the namespaces judged, by what the unit does there. */
  namespaces?: { enforcing: string[]; auditing: string[] };
}

/** A namespace as per-namespace overrides see it: its name and labels. */
export interface NamespaceView {
  name: string;
  labels: Record<string, string>;
}

/**
 * Where per-namespace overrides are judged: a cluster-wide policy in `tenant` (every namespace
 * but the system ones, or every namespace when there is no other), a namespaced policy in its own
 * namespace, found in `all`. Absent when namespaces could not be read.
 */
export interface NamespaceScope {
  tenant: readonly NamespaceView[];
  all: readonly NamespaceView[];
}

export type PolicyEnforcement = { applies: false; why: string } | { applies: true; units: ModeUnit[] };

function path(obj: unknown, dotted: string): unknown {
  return field(obj, ...dotted.split('.'));
}

function inList(value: string, list: readonly string[]): boolean {
  const v = value.toLowerCase();
  return list.some((x) => x.toLowerCase() === v);
}

function classifyScoped(obj: K8sObject, spec: PolicyModeSpec, scoped: NonNullable<PolicyModeSpec['scoped']>): ModeClass {
  const actions = asArray(path(obj, scoped.path));
  let reported = false;
  for (const item of actions) {
    const action = asString(asRecord(item)[scoped.actionField]);
    const points = asArray(asRecord(item)[scoped.pointsField]).map((p) => (isRecord(p) ? asString(p.name) : asString(p)));
    if (!action || points.length === 0) continue;
    if (inList(action, spec.enforce) && points.some((p) => p !== undefined && scoped.enforcingPoints.includes(p))) return 'enforce';
    reported = true;
  }
  return reported ? 'audit' : 'unknown';
}

function classifyValue(obj: K8sObject, value: unknown, spec: PolicyModeSpec): { mode: string; class: ModeClass } {
  // An empty list is an absent one (Kyverno's ValidatingPolicy: no validationActions means Deny).
  if (Array.isArray(value) && value.length === 0 && spec.default !== undefined) {
    return { mode: `[] (${spec.default} by default)`, class: classifyValue(obj, spec.default, spec).class };
  }
  if (Array.isArray(value)) {
    const items = value.filter((v): v is string => typeof v === 'string');
    const mode = `[${items.join(', ')}]`;
    if (items.some((v) => inList(v, spec.enforce))) return { mode, class: 'enforce' };
    if (items.length > 0 && items.every((v) => inList(v, spec.audit))) return { mode, class: 'audit' };
    return { mode, class: 'unknown' };
  }
  const text = asString(value);
  if (text === undefined) return { mode: value === undefined ? '(absent)' : JSON.stringify(value), class: 'unknown' };
  if (inList(text, spec.enforce)) return { mode: text, class: 'enforce' };
  if (inList(text, spec.audit)) return { mode: text, class: 'audit' };
  if (spec.scoped && text.toLowerCase() === spec.scoped.value.toLowerCase()) {
    return { mode: text, class: classifyScoped(obj, spec, spec.scoped) };
  }
  return { mode: text, class: 'unknown' };
}

/** The value at `dotted` or the catalogue default, described for evidence. */
function decide(obj: K8sObject, holder: unknown, dotted: string, fieldPath: string, spec: PolicyModeSpec, fallback?: ModeUnit): ModeUnit {
  const value = path(holder, dotted);
  if (value === undefined || value === null) {
    if (fallback) return { ...fallback };
    if (spec.default !== undefined) {
      const { class: c } = classifyValue(obj, spec.default, spec);
      return { field: fieldPath, mode: `(${spec.default} by default)`, class: c };
    }
  }
  const { mode, class: c } = classifyValue(obj, value, spec);
  return { field: fieldPath, mode, class: c };
}

/**
 * Whether a policy object denies violating requests, per the catalogue's description of
 * its kind. Policies that cannot enforce at all (a Kyverno policy with only mutate rules,
 * a jsPolicy of type Controller) do not apply.
 */
export function policyEnforcement(obj: K8sObject, spec: PolicyModeSpec, namespaces?: NamespaceScope): PolicyEnforcement {
  if (spec.appliesWhen) {
    const raw = path(obj, spec.appliesWhen.field);
    const value = asString(raw) ?? spec.appliesWhen.default;
    if (value === undefined || !inList(value, spec.appliesWhen.values)) {
      return { applies: false, why: `${spec.appliesWhen.field} is ${value ?? '(absent)'}` };
    }
  }
  if (spec.reportOnlyWhen) {
    // The field is a scalar (Kyverno's `spec.admission: false`); a list or an object matches no value.
    const raw = path(obj, spec.reportOnlyWhen.field);
    const text = typeof raw === 'string' || typeof raw === 'boolean' || typeof raw === 'number' ? String(raw) : undefined;
    if (text !== undefined && spec.reportOnlyWhen.values.includes(text)) {
      return { applies: true, units: [{ field: spec.reportOnlyWhen.field, mode: `${text} (reports only)`, class: 'audit' }] };
    }
  }
  const policyOverrides = spec.overrides ? { field: spec.overrides, list: asArray(path(obj, spec.overrides)) } : undefined;
  if (!spec.rules) {
    return { applies: true, units: [withOverrides(obj, decide(obj, obj, spec.field, spec.field, spec), policyOverrides, spec, namespaces)] };
  }

  const rules = asArray(path(obj, spec.rules.path));
  const policyLevel = decide(obj, obj, spec.field, spec.field, spec);
  const units: ModeUnit[] = [];
  for (const [i, rule] of rules.entries()) {
    if (path(rule, spec.rules.requires) === undefined) continue;
    const unit = decide(obj, rule, spec.rules.field, `${spec.rules.path}[${i}].${spec.rules.field}`, spec, policyLevel);
    // A rule's own overrides replace the policy's (Kyverno: when the rule's list is not empty).
    const own = spec.rules.overrides ? asArray(path(rule, spec.rules.overrides)) : [];
    const overrides = own.length > 0 ? { field: `${spec.rules.path}[${i}].${spec.rules.overrides!}`, list: own } : policyOverrides;
    units.push(withOverrides(obj, unit, overrides, spec, namespaces));
  }
  if (units.length === 0) return { applies: false, why: `no rule in ${spec.rules.path} has ${spec.rules.requires}` };
  return { applies: true, units };
}

interface Override {
  class: ModeClass;
  action: string;
  namespaces: string[];
  selector: unknown;
}

/**
 * The unit as its per-namespace overrides make it, judged in each namespace of the scope: the
 * first override that matches a namespace decides there (one without namespaces and selector
 * matches every namespace; else a `namespaces` wildcard; else the namespaceSelector on the
 * namespace's labels), else the unit's own mode. Overrides that all agree with the unit change
 * nothing; ones that disagree are `unknown` when namespaces could not be read.
 */
function withOverrides(
  obj: K8sObject,
  unit: ModeUnit,
  overrides: { field: string; list: unknown[] } | undefined,
  spec: PolicyModeSpec,
  scope: NamespaceScope | undefined,
): ModeUnit {
  if (!overrides || unit.class === 'unknown') return unit;
  const list: Override[] = overrides.list.filter(isRecord).map((o) => {
    const action = asString(o.action) ?? '(no action)';
    return {
      class: classifyValue(obj, action, spec).class,
      action,
      namespaces: asArray(o.namespaces).filter((n): n is string => typeof n === 'string'),
      selector: o.namespaceSelector ?? undefined,
    };
  });
  if (list.every((o) => o.class === unit.class)) return unit;
  const field = overrides.field;
  if (list.some((o) => o.class === 'unknown')) return { field, mode: list.map((o) => o.action).join(', '), class: 'unknown' };
  if (!scope) return { field, mode: `${unit.mode}, overridden per namespace (namespaces could not be read)`, class: 'unknown' };
  const own = namespaceOf(obj);
  const judged = own === undefined ? scope.tenant : scope.all.filter((n) => n.name === own);
  if (own !== undefined && judged.length === 0) return { field, mode: `${unit.mode}, overridden per namespace (namespace ${own} not found)`, class: 'unknown' };
  // No namespace read (an empty list): nothing shows where the overrides apply, so no verdict.
  if (judged.length === 0) return { field, mode: `${unit.mode}, overridden per namespace (no namespace was listed)`, class: 'unknown' };
  const enforcing: string[] = [];
  const auditing: string[] = [];
  for (const ns of judged) {
    const decided = list.find((o) => overrideMatches(o, ns));
    ((decided ?? unit).class === 'enforce' ? enforcing : auditing).push(ns.name);
  }
  const namespaces = { enforcing, auditing };
  // The evidence is the field's value (the entries, then the rule's own action); the effect per namespace is the finding's message.
  // An entry without namespaces and selector matches everywhere: nothing after it ever applies.
  const global = list.findIndex((o) => o.namespaces.length === 0 && o.selector === undefined);
  const shown = global >= 0 ? list.slice(0, global + 1) : list;
  const mode = [...shown.map(describeOverride), ...(global >= 0 ? [] : [`${unit.mode} elsewhere`])].join('; ');
  const cls: ModeClass = auditing.length === 0 ? 'enforce' : enforcing.length === 0 ? 'audit' : 'mixed';
  return { field, mode, class: cls, namespaces };
}

/** `Audit for namespaces team-*`, `Enforce for namespaceSelector env=prod`, `Enforce everywhere`. */
function describeOverride(o: Override): string {
  const where = [
    ...(o.namespaces.length > 0 ? [`namespaces ${o.namespaces.join(', ')}`] : []),
    ...(o.selector !== undefined ? [`namespaceSelector ${describeSelector(o.selector)}`] : []),
  ];
  return `${o.action} ${where.length > 0 ? `for ${where.join(' or ')}` : 'everywhere'}`;
}

function overrideMatches(o: Override, ns: NamespaceView): boolean {
  if (o.namespaces.length === 0 && o.selector === undefined) return true;
  if (o.namespaces.some((glob) => matchesWildcard(glob, ns.name))) return true;
  // A selector the API would reject matches nothing (Kyverno skips the entry).
  return o.selector !== undefined && selectorMatches(o.selector, ns.labels) === true;
}

/** Policy kinds of the catalogue, with the engine that owns each. */
export function policyKinds(engines: readonly PolicyEngine[]): { engine: PolicyEngine; spec: PolicyModeSpec }[] {
  return engines.flatMap((engine) => (engine.policies ?? []).map((spec) => ({ engine, spec })));
}

/** ValidatingAdmissionPolicyBindings whose spec.policyName names an existing policy. */
export function boundPolicies(policies: readonly K8sObject[], bindings: readonly K8sObject[]): { binding: K8sObject; policy: K8sObject | undefined }[] {
  const byName = new Map(policies.map((p) => [nameOf(p), p]));
  return bindings.map((binding) => ({ binding, policy: byName.get(asString(field(binding, 'spec', 'policyName')) ?? '') }));
}
