/**
 * The runner of table-driven check cases (test/checks/cases.test.ts runs the built-in checks'
 * cases with it). A case is a folder:
 *
 * - `input.yaml`: a snapshot, read as `kposture audit --snapshot` reads one (typed lists,
 *   `kind: List`, single objects, several documents). A kind it does not list is `missing`, so a
 *   check that reads it is `unknown`: list each kind the check reads, as an empty typed list
 *   (`kind: NamespaceList` + `items: []`) when the case has none. An empty
 *   `CustomResourceDefinitionList` makes the CRD-based kinds the case does not list `not-served`;
 * - `expected.json`: the outcome (see `Expected` below);
 * - optionally `kposture.yaml`: a config file (check options, system namespaces, catalogues).
 *
 * The check runs alone through the engine with the built-in catalogues, under the slim guard (a
 * read of a field the slim projection drops fails the case), and again on slim records, which
 * must give the same outcome.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { mergeCatalogs } from '../../src/catalog/catalogs.js';
import { DEFAULT_SYSTEM_NAMESPACES, loadConfig, type Config } from '../../src/config/config.js';
import { renderMessage, type Check, type Outcome } from '../../src/engine/check.js';
import { runChecks } from '../../src/engine/run.js';
import { checkScore } from '../../src/engine/score.js';
import type { ResourceRef } from '../../src/k8s/object.js';
import { slimProjection, wholeObjects, type Projection } from '../../src/k8s/slim.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CASES = path.join(ROOT, 'test/checks/cases');
const CASE_FILES = new Set(['input.yaml', 'expected.json', 'kposture.yaml']);

/** What expected.json states. */
export interface Expected {
  status: Outcome['status'];
  /** For pass and fail: the check's score, 0–100. */
  score?: number;
  /** For unknown and not-applicable: the reason, word for word. */
  reason?: string;
  /** For pass and fail: every finding, in any order. `evidence` and `verify` are compared when given. */
  findings?: ExpectedFinding[];
  /** Optional: the subjects as `<Kind> <namespace>/<name>: <verdict>`, in any order. */
  subjects?: string[];
}

export interface ExpectedFinding {
  /** `<Kind> <namespace>/<name>`, or `<Kind> <name>` for a cluster-scoped object. */
  resource: string;
  field: string;
  /** The message rendered from its template and data, as reports print it. */
  message: string;
  evidence?: string;
  verify?: string;
}

function describeRef(ref: ResourceRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** The outcome as expected.json would state it, with evidence and verify for each finding. */
function summarise(check: Check, outcome: Outcome): Required<Pick<Expected, 'status'>> & Expected {
  if (outcome.status === 'not-applicable') return { status: outcome.status, reason: outcome.reason };
  if (outcome.status === 'unknown') {
    return {
      status: outcome.status,
      reason: outcome.reason,
      ...(outcome.subjects ? { subjects: outcome.subjects.map((s) => `${describeRef(s.resource)}: ${s.verdict}`) } : {}),
    };
  }
  return {
    status: outcome.status,
    score: checkScore(outcome)!,
    findings: outcome.findings.map((f) => ({
      resource: describeRef(f.resource),
      field: f.field,
      message: renderMessage(check.meta.messages[f.messageId] ?? f.messageId, f.data),
      evidence: f.evidence,
      verify: f.verify,
    })),
    subjects: outcome.subjects.map((s) => `${describeRef(s.resource)}: ${s.verdict}`),
  };
}

/** The differences between expected.json and the outcome, one line each; none when they agree. */
export function differences(expected: Expected, actual: Expected): string[] {
  const out: string[] = [];
  if (expected.status !== actual.status) out.push(`status: expected ${expected.status}, got ${actual.status}`);
  if (expected.reason !== actual.reason && (expected.reason !== undefined || actual.reason !== undefined)) {
    out.push(`reason: expected ${JSON.stringify(expected.reason)}, got ${JSON.stringify(actual.reason)}`);
  }
  if (expected.score !== actual.score && (expected.score !== undefined || actual.score !== undefined)) {
    out.push(`score: expected ${String(expected.score)}, got ${String(actual.score)}`);
  }
  if (actual.findings || expected.findings) {
    const unmatched = [...(expected.findings ?? [])];
    const unexpected: ExpectedFinding[] = [];
    for (const f of actual.findings ?? []) {
      const i = unmatched.findIndex(
        (e) =>
          e.resource === f.resource &&
          e.field === f.field &&
          e.message === f.message &&
          (e.evidence ?? f.evidence) === f.evidence &&
          (e.verify ?? f.verify) === f.verify,
      );
      if (i >= 0) unmatched.splice(i, 1);
      else unexpected.push(f);
    }
    for (const f of unmatched) out.push(`finding expected, not reported: ${JSON.stringify(f)}`);
    for (const f of unexpected) out.push(`finding reported, not expected: ${JSON.stringify(f)}`);
  }
  if (expected.subjects) {
    const have = new Set(actual.subjects ?? []);
    const want = new Set(expected.subjects);
    for (const s of want) if (!have.has(s)) out.push(`subject expected, not reported: ${s}`);
    for (const s of have) if (!want.has(s)) out.push(`subject reported, not expected: ${s}`);
  }
  return out;
}

/** Each case folder under `root` (`<root>/<CHECK-ID>/<case>/`) as [check id, case name]. */
export function caseFolders(root = CASES): [string, string][] {
  if (!existsSync(root)) return [];
  const dirs = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  return dirs(root).flatMap((id) => dirs(path.join(root, id)).map((name): [string, string] => [id, name]));
}

function run(check: Check, input: string, config: Config, project: Projection): Outcome {
  const inventory = loadSnapshot([input], path.dirname(input), { project });
  return runChecks({
    inventory,
    checks: [check],
    catalogs: mergeCatalogs(loadBuiltinCatalogs(), config.catalogs ?? {}),
    systemNamespaces: new Set(config.systemNamespaces ?? DEFAULT_SYSTEM_NAMESPACES),
    checkOptions: config.checks?.options ?? {},
    guardSlim: project === wholeObjects,
  })[0]!.outcome;
}

/**
 * Runs the case in `dir` for `check` and throws, with each difference on a line of its own and
 * the outcome as expected.json would state it, when the outcome is not the expected one.
 */
export function runCase(check: Check, dir: string): void {
  const where = path.relative(ROOT, dir);
  const stray = readdirSync(dir).filter((f) => !CASE_FILES.has(f));
  if (stray.length > 0) throw new Error(`${where}: unexpected ${stray.join(', ')} (a case holds input.yaml, expected.json and optionally kposture.yaml)`);
  for (const file of ['input.yaml', 'expected.json']) if (!existsSync(path.join(dir, file))) throw new Error(`${where}: no ${file}`);

  const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
  const scored = expected.status === 'pass' || expected.status === 'fail';
  const shape = scored
    ? expected.score === undefined || expected.findings === undefined || expected.reason !== undefined
    : expected.reason === undefined || expected.score !== undefined || expected.findings !== undefined;
  if (shape) {
    throw new Error(
      `${where}/expected.json: a ${expected.status} case states ${scored ? 'score and findings' : 'reason'}, and no ${scored ? 'reason' : 'score or findings'}`,
    );
  }
  const configFile = path.join(dir, 'kposture.yaml');
  const config = existsSync(configFile) ? loadConfig(configFile) : {};
  const input = path.join(dir, 'input.yaml');

  const outcome = run(check, input, config, wholeObjects);
  const actual = summarise(check, outcome);
  const diff = differences(expected, actual);
  if (diff.length > 0) {
    throw new Error(
      `${where}: the outcome differs from expected.json\n  ${diff.join('\n  ')}\n\n` +
        `The outcome, as expected.json would state it (check it before you copy it):\n${JSON.stringify(actual, null, 2)}\n`,
    );
  }
  // The audit runs on slim records: the same outcome there.
  const slim = run(check, input, config, slimProjection());
  if (!isDeepStrictEqual(slim, outcome)) {
    const diffs = differences(actual, summarise(check, slim));
    throw new Error(`${where}: on slim records the outcome differs\n  ${diffs.length > 0 ? diffs.join('\n  ') : 'in subject details or finding data'}`);
  }
}
