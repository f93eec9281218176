import type { KindId } from '../k8s/kinds.js';
import { compareRefs } from '../k8s/object.js';
import { collectionOf, describeStatus, isKnown, type Inventory } from '../k8s/inventory.js';
import type { Catalogs } from '../catalog/catalogs.js';
import { describeError } from '../errors.js';
import { renderMessage, type Check, type Finding, type Outcome, type Subject } from './check.js';
import { makeContext, RunMemo } from './context.js';
import { SlimContractError, SlimGuard } from './slim-guard.js';
import { DEFAULT_PLUGIN_TIMEOUT_MS, evaluateInWorker, pluginSource } from './sandbox.js';
import { validateOutcome } from './validate.js';
import type { Waiver } from './waiver-model.js';
import { isTenantCheck, type ResolvedScope } from './scope.js';

export interface CheckResult {
  check: Check;
  /** After waivers (waivers.ts): only the findings that stand, and only the subjects that are scored. */
  outcome: Outcome;
  /** What waivers took out of the outcome: still shown in every report, never scored. */
  waived?: WaivedPart;
  /** Findings folded into another check's finding that reports the same causes (causes.ts). */
  explained?: ExplainedFinding[];
  /** Standing findings that other checks' findings were folded into, with those checks' ids. */
  explains?: ReadonlyMap<Finding, string[]>;
  /** The check this one requires (CheckMeta.requires), which failed: why this one is not applicable. */
  failedPremise?: { check: string; because: string };
}

/** A finding whose every cause a standing finding of another check reports (causes.ts). */
export interface ExplainedFinding {
  finding: Finding;
  /** The checks whose findings report its causes. */
  by: string[];
}

export interface WaivedPart {
  findings: { finding: Finding; waiver: Waiver }[];
  subjects: Subject[];
}

export interface EngineInput {
  inventory: Inventory;
  checks: readonly Check[];
  catalogs: Catalogs;
  systemNamespaces: ReadonlySet<string>;
  checkOptions?: Record<string, Record<string, unknown>>;
  /** The namespaces tenant checks see (scope.ts); absent: the whole cluster. */
  scope?: ResolvedScope;
  /**
   * Checks that selected checks require (CheckMeta.requires) but that were not selected
   * (premisesOf): evaluated only to decide the premise, never reported or scored.
   */
  premises?: readonly Check[];
  /** How long a plugin check may run before it is stopped and reported unknown. */
  pluginTimeoutMs?: number;
  /** Told how long each check took (`--debug`); checks themselves never read a clock. */
  onTimed?: (id: string, ms: number) => void;
  /**
   * Tests only, never the CLI: built-in checks get guarded objects (slim-guard.ts) that throw
   * when a check reads a field the slim projection drops, and that SlimContractError is thrown
   * out of runChecks rather than reported as the check's `unknown`.
   */
  guardSlim?: boolean;
}

/** Kinds the given checks need, required and optional, sorted. */
export function kindsToCollect(checks: readonly Check[]): KindId[] {
  const ids = new Set<KindId>();
  for (const c of checks) {
    for (const k of c.meta.reads) ids.add(k);
    for (const k of c.meta.optionalReads ?? []) ids.add(k);
  }
  return [...ids].sort();
}

/**
 * Runs every check against the inventory. The engine, not the check, decides
 * `unknown` when a required kind is not known, so no check can pass or fail on
 * data it could not read. A check that throws or returns a malformed outcome turns
 * `unknown` with that reason; the others still run. What checks share (ctx.memo) lives in one
 * memo made here and dropped on return.
 */
export function runChecks(input: EngineInput): CheckResult[] {
  const results: CheckResult[] = [];
  const memo = new RunMemo();
  // Tenant checks of a scoped audit see other collections, so what they share is their own.
  const tenantMemo = input.scope ? new RunMemo() : memo;
  const guard = input.guardSlim ? new SlimGuard() : undefined;
  const byId = (a: Check, b: Check): number => a.meta.id.localeCompare(b.meta.id, 'en');
  const sorted = [...input.checks].sort(byId);
  const premises = (input.premises ?? []).filter((p) => !sorted.some((c) => c.meta.id === p.meta.id)).sort(byId);
  const known = [...sorted, ...premises];
  const outcomes = new Map<string, Outcome>();
  const moot = new Map<string, CheckResult['failedPremise']>();
  // Checks that require another run after it, so that its outcome is known (CheckMeta.requires).
  for (const check of [...known.filter((c) => !c.meta.requires), ...known.filter((c) => c.meta.requires)]) {
    const started = performance.now();
    const scope = input.scope && isTenantCheck(check) ? input.scope : undefined;
    // A check whose own data could not be read is unknown first: that rule holds for every check.
    const unread = unreadOutcome(check, input.inventory);
    const unmet = unread ? undefined : unmetPremise(check, known, outcomes);
    if (unmet) moot.set(check.meta.id, unmet.premise);
    outcomes.set(check.meta.id, unread ?? unmet?.outcome ?? evaluateOne(check, input, scope ? tenantMemo : memo, guard, scope));
    if (!premises.includes(check)) input.onTimed?.(check.meta.id, performance.now() - started);
  }
  for (const check of sorted) {
    const premise = moot.get(check.meta.id);
    results.push({ check, outcome: outcomes.get(check.meta.id)!, ...(premise ? { failedPremise: premise } : {}) });
  }
  return results;
}

/** The checks the selected ones require that are not selected themselves, from all checks known. */
export function premisesOf(selected: readonly Check[], all: readonly Check[]): Check[] {
  const wanted = new Set(selected.flatMap((c) => (c.meta.requires ? [c.meta.requires.check] : [])));
  return all.filter((c) => wanted.has(c.meta.id) && !selected.includes(c));
}

/**
 * `not-applicable` when the check the given one requires failed in this run: what the check
 * judges has no effect until that is fixed, and the failing check already says so. A required
 * check that passed, could not decide, or did not run leaves the check to be evaluated.
 */
function unmetPremise(
  check: Check,
  checks: readonly Check[],
  outcomes: ReadonlyMap<string, Outcome>,
): { outcome: Outcome; premise: { check: string; because: string } } | undefined {
  const premise = check.meta.requires;
  const required = premise && checks.find((c) => c.meta.id === premise.check);
  const outcome = required && outcomes.get(required.meta.id);
  if (!premise || !required || outcome?.status !== 'fail') return undefined;
  const first = outcome.findings[0];
  const said = first ? `: ${renderMessage(required.meta.messages[first.messageId] ?? first.messageId, first.data)}` : '';
  return {
    outcome: { status: 'not-applicable', reason: `${premise.because} (${required.meta.id} fails${said})` },
    premise: { check: premise.check, because: premise.because },
  };
}

/** `unknown` when a kind the check reads could not be read, saying why; undefined when all were. */
function unreadOutcome(check: Check, inventory: Inventory): Outcome | undefined {
  const unreadable = check.meta.reads.map((id) => ({ id, c: collectionOf(inventory, id) })).filter(({ c }) => !isKnown(c));
  if (unreadable.length === 0) return undefined;
  return { status: 'unknown', reason: unreadable.map(({ id, c }) => describeStatus(id, c, inventory.source)).join('; ') };
}

/** The check's outcome over a readable inventory (unreadOutcome decided first). */
function evaluateOne(check: Check, input: EngineInput, memo: RunMemo, guard: SlimGuard | undefined, scope: ResolvedScope | undefined): Outcome {
  const { inventory } = input;
  if (scope?.unresolved) return { status: 'unknown', reason: scope.unresolved };
  const collection = scope ? scope.collection : (kind: KindId) => collectionOf(inventory, kind);
  const context = {
    meta: check.meta,
    collection,
    catalogs: input.catalogs,
    systemNamespaces: input.systemNamespaces,
    options: input.checkOptions?.[check.meta.id] ?? {},
    ...(inventory.serverVersion ? { serverVersion: inventory.serverVersion } : {}),
  };
  const plugin = pluginSource(check);
  if (plugin) return normaliseOrExplain(check, evaluateInWorker(plugin, context, input.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS));
  const ctx = makeContext({
    ...context,
    ...(inventory.imageContents ? { imageContents: inventory.imageContents } : {}),
    memo,
    ...(guard ? { collection: (kind: KindId) => guard.collection(kind, collection(kind)) } : {}),
  });
  let outcome: unknown;
  try {
    outcome = guard ? guard.during(`check ${check.meta.id}`, () => check.evaluate(ctx)) : check.evaluate(ctx);
  } catch (err) {
    if (err instanceof SlimContractError) throw err;
    return { status: 'unknown', reason: `check ${check.meta.id} failed while evaluating: ${describeError(err)}` };
  }
  try {
    return normaliseOrExplain(check, { outcome });
  } catch (err) {
    // An outcome whose fields throw when read (getters, proxies): nothing of it can be trusted.
    return { status: 'unknown', reason: `check ${check.meta.id} returned an outcome that cannot be read: ${describeError(err)}` };
  }
}

function normaliseOrExplain(check: Check, result: { outcome: unknown } | { failure: string }): Outcome {
  if ('failure' in result) return { status: 'unknown', reason: `check ${check.meta.id} ${result.failure}` };
  const problem = validateOutcome(result.outcome, check.meta.messages);
  if (problem) return { status: 'unknown', reason: `check ${check.meta.id} returned a malformed outcome: ${problem}` };
  return normalise(result.outcome as Outcome);
}

/** Sorted subjects and findings, so that reports are byte-identical for the same input. */
function normalise(outcome: Outcome): Outcome {
  if (outcome.status === 'not-applicable') return outcome;
  const subjects = outcome.subjects ? [...outcome.subjects].sort(bySubject) : undefined;
  if (outcome.status === 'unknown') return subjects ? { ...outcome, subjects } : outcome;
  const findings = [...outcome.findings].sort(byFinding).map((f) => (f.affected ? { ...f, affected: [...f.affected].sort(compareRefs) } : f));
  return { ...outcome, subjects: subjects ?? [], findings };
}

function bySubject(a: Subject, b: Subject): number {
  return compareRefs(a.resource, b.resource);
}

/** The order of a check's findings in every report: by object, message id, then field. */
export function byFinding(a: Finding, b: Finding): number {
  return compareRefs(a.resource, b.resource) || a.messageId.localeCompare(b.messageId) || a.field.localeCompare(b.field);
}
