/**
 * Which checks an audit runs, and why each of the others does not. Check ids are matched
 * whatever their case (`--check np-02`, `checks.disable: [mt-05]`); an id that matches nothing
 * is an error with a "did you mean" for a near miss.
 */
import { KpostureError } from '../errors.js';
import { closestMatch } from '../util/strings.js';
import type { Check } from './check.js';

/** Finds checks by id, whatever the case. */
export class CheckIds {
  private readonly byKey = new Map<string, Check>();

  constructor(private readonly checks: readonly Check[]) {
    for (const c of checks) {
      const key = c.meta.id.toLowerCase();
      const other = this.byKey.get(key);
      if (other) {
        const same = other.meta.id === c.meta.id;
        throw new KpostureError(
          'plugin',
          same ? `check id ${c.meta.id} is defined twice` : `check ids ${other.meta.id} and ${c.meta.id} differ only in case (ids are case-insensitive)`,
          'give plugin checks their own ids',
        );
      }
      this.byKey.set(key, c);
    }
  }

  find(id: string): Check | undefined {
    return this.byKey.get(id.toLowerCase());
  }

  /** What to tell a user whose id matched nothing. */
  hint(id: string): string {
    const near = closestMatch(
      id,
      this.checks.map((c) => c.meta.id),
    );
    return near ? `did you mean ${near}?` : 'run `kposture checks` to list them';
  }
}

export interface SelectionRequest {
  /** --check values. */
  check: readonly string[];
  /** --skip values. */
  skip: readonly string[];
  /** The config file's checks.only and checks.disable. */
  only: readonly string[];
  disable: readonly string[];
  /** How the config file is named in messages. */
  configFile: string;
}

export interface SkippedCheck {
  id: string;
  title: string;
  /** `skipped with --skip`, `disabled in config checks.disable`, `not selected by --check`… */
  reason: string;
}

export interface Selection {
  /** The checks to run, in the order given. */
  checks: Check[];
  /** The others, sorted by id, each with the reason it does not run. */
  skipped: SkippedCheck[];
}

export function selectChecks(all: readonly Check[], request: SelectionRequest): Selection {
  const ids = new CheckIds(all);
  const resolve = (list: readonly string[], where: (i: number) => { kind: 'usage' | 'config'; text: string }): Set<Check> =>
    new Set(
      list.map((id, i) => {
        const found = ids.find(id);
        if (found) return found;
        const { kind, text } = where(i);
        throw new KpostureError(kind, text, ids.hint(id));
      }),
    );
  const flag = (name: string, list: readonly string[]) => (i: number) => ({ kind: 'usage' as const, text: `${name} ${list[i]!}: unknown check id` });
  const field = (name: string, list: readonly string[]) => (i: number) => ({
    kind: 'config' as const,
    text: `config ${request.configFile}: field checks.${name}.${i}: unknown check id ${list[i]!}`,
  });
  const byFlag = resolve(request.check, flag('--check', request.check));
  const skipped = resolve(request.skip, flag('--skip', request.skip));
  const byConfig = resolve(request.only, field('only', request.only));
  const disabled = resolve(request.disable, field('disable', request.disable));

  const selectors = [...(byFlag.size > 0 ? ['--check'] : []), ...(byConfig.size > 0 ? ['config checks.only'] : [])];
  const reasonNotRun = (c: Check): string | undefined => {
    if (skipped.has(c)) return 'skipped with --skip';
    if (disabled.has(c)) return 'disabled in config checks.disable';
    if (selectors.length > 0 && !byFlag.has(c) && !byConfig.has(c)) return `not selected by ${selectors.join(' or ')}`;
    return undefined;
  };
  const run: Check[] = [];
  const notRun: SkippedCheck[] = [];
  for (const c of all) {
    const reason = reasonNotRun(c);
    if (reason === undefined) run.push(c);
    else notRun.push({ id: c.meta.id, title: c.meta.title, reason });
  }
  if (run.length === 0) throw nothingToRun(request, selectors);
  return { checks: run, skipped: notRun.sort((a, b) => a.id.localeCompare(b.id, 'en')) };
}

function nothingToRun(request: SelectionRequest, selectors: string[]): KpostureError {
  const leaving = [...(request.skip.length > 0 ? ['--skip'] : []), ...(request.disable.length > 0 ? ['config checks.disable'] : [])].join(' and ');
  const what =
    selectors.length > 0 ? `every check selected by ${selectors.join(' and ')} is also left out by ${leaving}` : `every check is left out by ${leaving}`;
  return new KpostureError('usage', `no check left to run: ${what}`, 'drop the --skip or checks.disable entry that names a selected check');
}
