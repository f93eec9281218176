/**
 * Kubernetes label selectors (`metav1.LabelSelector`) with the exact semantics of
 * apimachinery's `LabelSelectorAsSelector`:
 * - `matchLabels` and every `matchExpressions` requirement are ANDed;
 * - `In`: the key exists and its value is listed; `NotIn`: the key is absent OR its value is
 *   not listed; `Exists`: the key exists; `DoesNotExist`: the key is absent. So NotIn and
 *   DoesNotExist select objects that lack the key;
 * - an empty selector `{}` (no matchLabels, no matchExpressions) selects everything;
 * - `In`/`NotIn` need at least one value, `Exists`/`DoesNotExist` take none; any other
 *   operator is invalid. An invalid selector is reported, never guessed.
 *
 * An *absent* selector means different things in different API fields: a NetworkPolicy's
 * `spec.podSelector` is a required struct, so absent reads as `{}` (everything), while a
 * peer's `namespaceSelector` is a pointer whose absence means "not this criterion" and a nil
 * selector passed to `LabelSelectorAsSelector` selects nothing. This module does not guess:
 * callers say what absence means with `{ absent: 'everything' | 'nothing' }`.
 *
 * Selectors are compiled once and then evaluated many times (pods × the policies of their
 * namespace), so evaluation is a loop over a few prepared requirements.
 */
import { isRecord } from './object.js';

export type Labels = Readonly<Record<string, string>>;

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface Requirement {
  key: string;
  operator: Operator;
  /** Values for In/NotIn; empty for Exists/DoesNotExist. */
  values: readonly string[];
}

export interface CompiledSelector {
  /** True when the selector has no requirements: it selects every object. */
  readonly matchesEverything: boolean;
  /** True for the selector that selects nothing (an absent selector where the API means nothing). */
  readonly matchesNothing: boolean;
  /** matchLabels first (as In with one value), then matchExpressions, in source order. */
  readonly requirements: readonly Requirement[];
  matches(labels: Labels): boolean;
  /** Human-readable form, as kubectl prints selectors: `app=web,tier notin (db)`. */
  readonly text: string;
}

export type SelectorResult = { ok: true; selector: CompiledSelector } | { ok: false; reason: string };

const OPERATORS: ReadonlySet<string> = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/**
 * A compiled selector: its requirements and a loop over them, no closure per requirement (tens
 * of thousands of NetworkPolicies compile as many selectors). Long value lists get a Set.
 */
class Selector implements CompiledSelector {
  readonly matchesEverything: boolean;
  /** Per requirement, a Set of its values when it lists many (undefined when none does). */
  private readonly valueSets: (ReadonlySet<string> | undefined)[] | undefined;

  constructor(
    readonly requirements: readonly Requirement[],
    readonly matchesNothing: boolean,
  ) {
    this.matchesEverything = !matchesNothing && requirements.length === 0;
    this.valueSets = requirements.some((r) => r.values.length > SET_FROM)
      ? requirements.map((r) => (r.values.length > SET_FROM ? new Set(r.values) : undefined))
      : undefined;
  }

  get text(): string {
    return this.matchesNothing ? '<none>' : this.requirements.length === 0 ? '<all>' : this.requirements.map(requirementText).join(',');
  }

  matches(labels: Labels): boolean {
    if (this.matchesNothing) return false;
    for (let i = 0; i < this.requirements.length; i++) {
      if (!requirementHolds(this.requirements[i]!, labels, this.valueSets?.[i])) return false;
    }
    return true;
  }
}

/** Value lists longer than this are looked up in a Set. */
const SET_FROM = 8;

export const EVERYTHING: CompiledSelector = new Selector([], false);
export const NOTHING: CompiledSelector = new Selector([], true);

/**
 * Compiles a LabelSelector from untrusted JSON. `absent` says what a missing (undefined or
 * null) selector means in the field it came from.
 */
export function compileLabelSelector(value: unknown, opts: { absent: 'everything' | 'nothing' }): SelectorResult {
  if (value === undefined || value === null) return { ok: true, selector: opts.absent === 'everything' ? EVERYTHING : NOTHING };
  if (!isRecord(value)) return { ok: false, reason: 'selector is not an object' };
  // The same selectors recur (one policy template in 10,000 namespaces): compiled selectors are
  // immutable, so each distinct one is compiled and held once.
  const key = JSON.stringify(value);
  const known = compiled.get(key);
  if (known) return known;
  const result = compile(value);
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(key, result);
  return result;
}

const compiled = new Map<string, SelectorResult>();
/** Distinct selectors remembered; past this the cache starts over (it saves memory, nothing else). */
const MAX_COMPILED = 50_000;

function compile(value: Record<string, unknown>): SelectorResult {
  const requirements: Requirement[] = [];
  const { matchLabels, matchExpressions } = value;
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isRecord(matchLabels)) return { ok: false, reason: 'matchLabels is not a map' };
    for (const [key, v] of Object.entries(matchLabels)) {
      if (typeof v !== 'string') return { ok: false, reason: `matchLabels["${key}"] is not a string` };
      requirements.push({ key, operator: 'In', values: [v] });
    }
  }
  if (matchExpressions !== undefined && matchExpressions !== null) {
    if (!Array.isArray(matchExpressions)) return { ok: false, reason: 'matchExpressions is not a list' };
    for (const [i, expr] of matchExpressions.entries()) {
      const parsed = parseExpression(expr, i);
      if ('reason' in parsed) return { ok: false, reason: parsed.reason };
      requirements.push(parsed);
    }
  }
  return { ok: true, selector: new Selector(requirements, false) };
}

function parseExpression(expr: unknown, i: number): Requirement | { reason: string } {
  const at = `matchExpressions[${i}]`;
  if (!isRecord(expr)) return { reason: `${at} is not an object` };
  const { key, operator, values } = expr;
  if (typeof key !== 'string' || key === '') return { reason: `${at}.key is missing` };
  if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
    return { reason: `${at}.operator ${JSON.stringify(operator)} is not In, NotIn, Exists or DoesNotExist` };
  }
  const list = values === undefined || values === null ? [] : values;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) return { reason: `${at}.values is not a list of strings` };
  const op = operator as Operator;
  if ((op === 'In' || op === 'NotIn') && list.length === 0) return { reason: `${at}: ${op} needs at least one value` };
  if ((op === 'Exists' || op === 'DoesNotExist') && list.length > 0) return { reason: `${at}: ${op} takes no values` };
  return { key, operator: op, values: list as string[] };
}

function requirementHolds(r: Requirement, labels: Labels, valueSet: ReadonlySet<string> | undefined): boolean {
  const present = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'In':
      return present && (valueSet ? valueSet.has(labels[r.key]!) : r.values.includes(labels[r.key]!));
    case 'NotIn':
      return !present || !(valueSet ? valueSet.has(labels[r.key]!) : r.values.includes(labels[r.key]!));
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
  }
}

function requirementText(r: Requirement): string {
  switch (r.operator) {
    case 'In':
      return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return `${r.key} notin (${r.values.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
  }
}

/** Evaluates a single requirement (used by CNI selectors that add pseudo-labels). */
export function requirementMatches(r: Requirement, labels: Labels): boolean {
  return requirementHolds(r, labels, undefined);
}
