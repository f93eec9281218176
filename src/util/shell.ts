/**
 * The `verify` command of a finding is meant to be pasted into a shell, and the names in it come
 * from the cluster or a snapshot: a namespace `a;touch pwned;#` must reach kubectl as one argument,
 * not run a second command. Commands are built from words, each quoted here.
 */

/** Words a POSIX shell reads literally: no globbing, expansion, quoting or operators. */
const SAFE_WORD = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** One word for a POSIX shell: bare when it is safe, else in single quotes (`'` as `'\''`). */
export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** A command line whose every word is quoted: `command('grep', '-F', '-e', image)`. */
export function command(...words: string[]): string {
  return words.map(shellQuote).join(' ');
}

/** `kubectl` and its arguments, each quoted: `kubectl('get', 'namespace', name, '--show-labels')`. */
export function kubectl(...args: string[]): string {
  return command('kubectl', ...args);
}
