import picomatch from 'picomatch';
import { KpostureError } from '../errors.js';

export interface ContextSelection {
  /** --context, each given by name. */
  named: readonly string[];
  /** --contexts, shell globs matched against whole context names. */
  patterns: readonly string[];
  /** --all-contexts. */
  all: boolean;
}

/**
 * The contexts a fleet audit reads, sorted: every named one (which must exist), every one a pattern
 * matches (each pattern must match one at least), or all of them. Context names are not paths:
 * `*` matches any run of characters, `/` and a leading `.` included, so `'*prod*'` finds
 * `arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu`.
 */
export function selectContexts(available: readonly string[], selection: ContextSelection, origin: string): string[] {
  const listed = available.length > 0 ? `available: ${available.join(', ')}` : 'it defines no context';
  const chosen = new Set<string>();
  for (const name of selection.named) {
    if (!available.includes(name)) {
      throw new KpostureError('config', `context "${name}" is not in kubeconfig ${origin} (${listed})`, 'pick one of the available contexts with --context');
    }
    chosen.add(name);
  }
  for (const pattern of selection.patterns) {
    const matches = picomatch(pattern, { bash: true, dot: true });
    const found = available.filter((name) => matches(name));
    if (found.length === 0) {
      throw new KpostureError(
        'usage',
        `--contexts ${JSON.stringify(pattern)} matches no context of kubeconfig ${origin} (${listed})`,
        "quote the pattern so the shell leaves it alone, e.g. --contexts 'prod-*'",
      );
    }
    for (const name of found) chosen.add(name);
  }
  if (selection.all) {
    if (available.length === 0) throw new KpostureError('config', `--all-contexts: kubeconfig ${origin} defines no context`, 'add contexts to the kubeconfig');
    for (const name of available) chosen.add(name);
  }
  return [...chosen].sort((a, b) => a.localeCompare(b, 'en'));
}
