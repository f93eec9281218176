import type { ImageContent } from '../k8s/image-content.js';
import type { KindId } from '../k8s/kinds.js';
import type { K8sObject, ResourceRef } from '../k8s/object.js';
import type { KindCollection } from '../k8s/inventory.js';
import type { Catalogs } from '../catalog/catalogs.js';

export const CATEGORIES = [
  { id: 'multitenancy', title: 'Multitenancy', inTotal: true },
  { id: 'policy-engine', title: 'Policy engine', inTotal: true },
  { id: 'host-os', title: 'Container-specialized host OS', inTotal: true },
  { id: 'base-images', title: 'Minimal base images', inTotal: true },
  { id: 'network', title: 'NetworkPolicy', inTotal: true },
  { id: 'die', title: 'DIE: distributed, immutable, ephemeral', inTotal: false },
] as const;

export type CategoryId = (typeof CATEGORIES)[number]['id'];
export const CATEGORY_IDS: readonly string[] = CATEGORIES.map((c) => c.id);

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITY_WEIGHT: Record<Severity, number> = { critical: 5, high: 3, medium: 2, low: 1, info: 0 };

export interface CheckMeta {
  /** Stable id, equal to the file name: `NP-02`. Never changes. */
  id: string;
  title: string;
  category: CategoryId;
  severity: Severity;
  rationale: string;
  remediation: string;
  references: string[];
  /** Kinds whose complete list the check needs; if any is not known the engine reports `unknown`. */
  reads: KindId[];
  /** Kinds the check uses when available and handles itself when not (e.g. CRD-based extras). */
  optionalReads?: KindId[];
  /** Message templates with `{placeholders}` filled from a finding's data. */
  messages: Record<string, string>;
  /**
   * `tenant`: the check judges what lives in tenant namespaces, and an audit scoped with
   * --namespace, --exclude-namespace or --namespace-selector shows it only the namespaces in
   * scope (engine/scope.ts). Absent (or `cluster`): it judges the cluster as a whole (nodes, CNI,
   * policy engine, cluster RBAC) and always sees everything.
   */
  scope?: 'tenant' | 'cluster';
  /** The options the check takes (`checks.options.<ID>` in the config file), validated by the engine. */
  optionsSchema?: OptionsSchema;
  /**
   * Checks whose findings report the root causes this check may share, where those causes belong
   * (causes.ts): a finding of this check whose every cause a standing finding of one of them (or
   * of the checks they name, in turn) reports is folded into that finding instead of repeated.
   * Each must be at least as severe as this check, so that no gate loses a finding.
   */
  explainedBy?: string[];
  /**
   * A check whose failure makes this one moot (run.ts): when it fails in the same run, this check
   * is `not-applicable` with `because` and that check's finding as the reason, and is not
   * evaluated. NetworkPolicy checks require NP-01: policies do nothing until the CNI enforces them.
   */
  requires?: { check: string; because: string };
}

/**
 * A JSON Schema for a check's options: an object whose every property is described, and no
 * other property, so that a misspelled option is an error rather than a default silently used.
 */
export interface OptionsSchema {
  type: 'object';
  additionalProperties: false;
  properties: Record<string, { description: string; default?: unknown; [keyword: string]: unknown }>;
  required?: string[];
}

export type Verdict = 'pass' | 'fail' | 'partial' | 'unknown' | 'info';

/** One thing a check examined (a namespace, a node, an image): passing ones too. */
export interface Subject {
  resource: ResourceRef;
  verdict: Verdict;
  /** Share of compliance, 0..1: pass = 1, fail = 0, partial in between. Ignored for unknown/info. */
  credit?: number;
  details?: Record<string, unknown>;
}

export interface Finding {
  messageId: string;
  data: Record<string, string | number>;
  /** The object the finding is about (the root cause: one namespace, not each of its pods). */
  resource: ResourceRef;
  /** JSON path of the field that shows the problem, e.g. `metadata.labels`. */
  field: string;
  /** The value observed, as a short string (the osImage, the image reference). */
  evidence: string;
  /** A kubectl command that shows the evidence. */
  verify: string;
  /** Objects that share this root cause, when the finding groups several (e.g. pods). */
  affected?: ResourceRef[];
  /**
   * The root causes the finding reports (causes.ts): facts about one object each, such that one
   * fix resolves every finding naming it. Absent: one cause of the check's own,
   * `{ resource, key: '<check id>:<field>' }`, which no other check shares.
   */
  causes?: Cause[];
}

/**
 * A root cause: one fact about one object, as `key` names it. The key is the field whose value is
 * the problem (`spec.replicas`, `spec.ingress[0]`) or, for the absence of objects, a name the
 * checks that report it agree on (`networkpolicy:none:Ingress`: no NetworkPolicy of the
 * namespace applies to Ingress).
 */
export interface Cause {
  resource: ResourceRef;
  key: string;
}

export type Outcome =
  | { status: 'pass' | 'fail'; subjects: Subject[]; findings: Finding[] }
  | { status: 'unknown'; reason: string; subjects?: Subject[] }
  | { status: 'not-applicable'; reason: string };

export interface CheckSettings {
  systemNamespaces: ReadonlySet<string>;
  /** Per-check options from the config file, validated by the engine. */
  options: Record<string, unknown>;
}

declare const MEMO_VALUE: unique symbol;

/**
 * Names a value that several checks compute from the same data in one run (an index of the
 * pods' owners, the images grouped by workload), with the kinds computing it reads. Declared
 * once beside the code that computes it, so that a key and the type of its value go together.
 */
export interface MemoKey<T> {
  readonly name: string;
  /** A check may use the key only if it declares each of these kinds (reads or optionalReads). */
  readonly reads: readonly KindId[];
  /** Never set: it carries the value's type. */
  readonly [MEMO_VALUE]?: T;
}
export function memoKey<T>(name: string, reads: readonly KindId[]): MemoKey<T> {
  return Object.freeze({ name, reads: Object.freeze([...reads]) });
}

/** What a check sees: only the kinds it declared, and pure data. */
export interface CheckContext {
  items(kind: KindId): K8sObject[];
  collection(kind: KindId): KindCollection;
  settings: CheckSettings;
  catalogs: Catalogs;
  serverVersion?: string;
  isSystemNamespace(name: string | undefined): boolean;
  /**
   * What inspecting the image proved (`audit --inspect-images`), by the image's canonical
   * reference (ImageGroup.key); undefined when the image was not inspected.
   */
  imageContent(key: string): ImageContent | undefined;
  /**
   * The run's value for `key`: the first check that asks computes it, later checks of the same
   * run get that value, and it is dropped when the run ends. `compute` gets a context of its own
   * that reads only the kinds of `key.reads` and has no options, so that the value is the same
   * whichever check computes it. The value is shared: no check may change it.
   */
  memo<T>(key: MemoKey<T>, compute: (ctx: CheckContext) => T): T;
}

export interface Check {
  meta: CheckMeta;
  evaluate(ctx: CheckContext): Outcome;
}

/** A typed helper for check files: a misspelled messageId is a compile error. */
export function defineCheck<M extends Record<string, string>>(check: {
  meta: Omit<CheckMeta, 'messages'> & { messages: M };
  evaluate(ctx: CheckContext, report: FindingFactory<M>): Outcome;
}): Check {
  const factory = makeFindingFactory<M>();
  return {
    meta: check.meta,
    evaluate: (ctx) => check.evaluate(ctx, factory),
  };
}

export type FindingFactory<M> = (messageId: keyof M & string, finding: Omit<Finding, 'messageId'>) => Finding;

function makeFindingFactory<M>(): FindingFactory<M> {
  return (messageId, finding) => ({ messageId, ...finding });
}

export function renderMessage(template: string, data: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (Object.prototype.hasOwnProperty.call(data, key) ? String(data[key]) : whole));
}
