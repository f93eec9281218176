/**
 * Wrapping for the table report: plain text (already passed through `visible`, so one line and
 * no control characters) cut into lines of at most `width` characters. Width is counted in code
 * points; kposture's own symbols (✗ · — …) are one column wide.
 */

/** The number of columns `text` takes (code points: no East Asian wide characters accounted for). */
export function columns(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * `text` in lines: the first starts with `first` (e.g. `  ✗ `), the others with `rest` (spaces);
 * words are kept whole unless one alone is longer than a line, which is then cut.
 */
export function wrap(text: string, width: number, first = '', rest = first.replace(/./gu, ' ')): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  const room = (prefix: string): number => Math.max(1, width - columns(prefix));
  for (const word of text.split(' ').filter((w) => w !== '')) {
    const sep = empty ? '' : ' ';
    if (columns(line) + columns(sep) + columns(word) <= width) {
      line += sep + word;
      empty = false;
      continue;
    }
    if (!empty) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    let piece = word;
    while (columns(line) + columns(piece) > width) {
      const [head, tail] = cut(piece, room(line));
      lines.push(line + head);
      line = rest;
      piece = tail;
    }
    line += piece;
    empty = piece === '';
  }
  lines.push(line);
  return lines;
}

/**
 * A shell command in lines a shell reads back as the same command: broken only between words
 * (a space outside quotes), each line but the last ending with ` \`. A word longer than a line
 * is cut (it no longer pastes whole; kposture's commands have none that long at 80 columns).
 */
export function wrapCommand(command: string, width: number, first: string, rest: string): string[] {
  const words = shellWords(command);
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    const sep = empty ? '' : ' ';
    // Room is kept for the ` \` of a line that is followed by another.
    if (columns(line) + columns(sep) + columns(word) + 2 <= width) {
      line += sep + word;
      empty = false;
      continue;
    }
    if (!empty) {
      lines.push(`${line} \\`);
      line = rest;
      empty = true;
    }
    let piece = word;
    while (columns(line) + columns(piece) + 2 > width) {
      const [head, tail] = cut(piece, Math.max(1, width - columns(line)));
      lines.push(line + head);
      line = rest;
      piece = tail;
    }
    line += piece;
    empty = piece === '';
  }
  lines.push(line);
  return lines;
}

/** The words of a command line as a POSIX shell splits them: spaces inside quotes or after `\` do not split. */
function shellWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      word += ch;
      if (ch === quote) quote = undefined;
      else if (quote === '"' && ch === '\\' && i + 1 < command.length) word += command[++i];
      continue;
    }
    if (ch === ' ') {
      if (word !== '') words.push(word);
      word = '';
      continue;
    }
    word += ch;
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '\\' && i + 1 < command.length) word += command[++i];
  }
  if (word !== '') words.push(word);
  return words;
}

/** The first `n` code points of `text`, and the rest. */
function cut(text: string, n: number): [string, string] {
  const chars = [...text];
  return [chars.slice(0, n).join(''), chars.slice(n).join('')];
}
