import { refKey } from '../k8s/object.js';
import type { Cause, Finding } from './check.js';
import type { CheckResult, ExplainedFinding } from './run.js';

/**
 * One root cause, one finding (docs/scoring.md#one-root-cause-one-finding).
 *
 * A finding reports one or more causes: facts about one object each, such that one fix resolves
 * every finding that reports it (`Finding.causes`; by default one of its own check). Two findings
 * of a run share a cause when they name the same object and the same key. A check declares where the causes it may share belong
 * (`meta.explainedBy`); a finding of it whose every cause a standing finding of one of those
 * checks reports (or of the checks those name, in turn) is folded into that finding: it leaves
 * the check's findings for `explained`, and the finding it repeats lists the check in `explains`.
 * A partly explained finding stands whole. The subject the folded finding came from keeps its
 * verdict: each check still scores its own property of the object.
 *
 * Runs after waivers: a waived finding explains nothing, so what it would have folded stands.
 */
export function explainResults(results: readonly CheckResult[]): CheckResult[] {
  const byId = new Map(results.map((r) => [r.check.meta.id, r]));
  const done = new Map<string, CheckResult>();
  const standing = new Map<string, Map<string, Finding>>();
  const explains = new Map<Finding, Set<string>>();
  const visiting = new Set<string>();

  const visit = (id: string): void => {
    if (done.has(id) || visiting.has(id)) return; // a circle is left as it is (test/meta forbids one)
    visiting.add(id);
    const result = byId.get(id)!;
    const explainers = explainersOf(id, byId);
    for (const e of explainers) visit(e);
    const { outcome } = result;
    if ((outcome.status !== 'pass' && outcome.status !== 'fail') || explainers.length === 0) {
      done.set(id, result);
      standing.set(id, causeIndex(id, outcome.status === 'pass' || outcome.status === 'fail' ? outcome.findings : []));
      return;
    }
    const kept: Finding[] = [];
    const explained: ExplainedFinding[] = [];
    for (const finding of outcome.findings) {
      const by = new Map<string, Finding>();
      const all = causesOf(id, finding).every((cause) => {
        const key = causeKey(cause);
        const found = explainers.find((e) => standing.get(e)?.has(key));
        if (found) by.set(found, standing.get(found)!.get(key)!);
        return found !== undefined;
      });
      if (!all) {
        kept.push(finding);
        continue;
      }
      explained.push({ finding, by: [...by.keys()].sort() });
      for (const f of by.values()) {
        const set = explains.get(f) ?? new Set<string>();
        set.add(id);
        explains.set(f, set);
      }
    }
    const next: CheckResult = explained.length === 0 ? result : { ...result, outcome: { ...outcome, findings: kept }, explained };
    done.set(id, next);
    standing.set(id, causeIndex(id, kept));
  };

  for (const r of results) visit(r.check.meta.id);
  return results.map((r) => {
    const result = done.get(r.check.meta.id)!;
    const { outcome } = result;
    if (outcome.status !== 'pass' && outcome.status !== 'fail') return result;
    const notes = new Map<Finding, string[]>();
    for (const f of outcome.findings) {
      const ids = explains.get(f);
      if (ids) notes.set(f, [...ids].sort());
    }
    return notes.size === 0 ? result : { ...result, explains: notes };
  });
}

/**
 * The causes a finding reports: those it names, or else one of its own check, `<check>:<field>`
 * of its object. Checks share a cause only by naming it: two findings about one field may report
 * different facts (an image's base and its tag), and one fix must resolve both for the cause to be one.
 */
export function causesOf(checkId: string, finding: Finding): Cause[] {
  return finding.causes && finding.causes.length > 0 ? finding.causes : [{ resource: finding.resource, key: `${checkId}:${finding.field}` }];
}

/** `Kind/namespace/name#key`: equal for two causes that are the same fact about the same object. */
export function causeKey(cause: Cause): string {
  return `${refKey(cause.resource)}#${cause.key}`;
}

/** The checks of the run a check's causes may belong to, nearest first: its own list, then theirs. */
function explainersOf(id: string, byId: ReadonlyMap<string, CheckResult>): string[] {
  const order: string[] = [];
  const queue = [...(byId.get(id)?.check.meta.explainedBy ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (next === id || order.includes(next) || !byId.has(next)) continue;
    order.push(next);
    queue.push(...(byId.get(next)!.check.meta.explainedBy ?? []));
  }
  return order;
}

function causeIndex(checkId: string, findings: readonly Finding[]): Map<string, Finding> {
  const index = new Map<string, Finding>();
  for (const f of findings) for (const c of causesOf(checkId, f)) if (!index.has(causeKey(c))) index.set(causeKey(c), f);
  return index;
}
