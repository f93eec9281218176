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
 * A shell command in lines a shell reads back as the same command. It is broken between words
 * (a space outside quotes), the line ending with ` \`. A word longer than a line (a long
 * jsonpath) is broken inside, the line ending with `\` (after closing a single quote: `'\`) and
 * the rest starting at the first column (reopening the quote), since a shell joins the two halves
 * of a word only when nothing comes between them.
 */
export function wrapCommand(command: string, width: number, first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of shellWords(command)) {
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
    }
    const pieces = splitWord(word, width - columns(line), width);
    line += pieces[0]!;
    for (const piece of pieces.slice(1)) {
      lines.push(line);
      line = piece;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/**
 * A word cut into pieces that a shell joins back: each piece but the last ends with a line
 * continuation (`\`, or `'\` inside single quotes, the next piece reopening them). The first
 * piece fits `firstRoom`, the others `room`, each with two columns to spare. A backslash is never
 * parted from the character it escapes.
 */
function splitWord(word: string, firstRoom: number, room: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let fresh = 0; // columns of the piece that are the word's own (not a reopened quote)
  let limit = Math.max(4, firstRoom);
  let quote: '"' | "'" | undefined;
  let escaped = false;
  for (const ch of word) {
    if (fresh > 0 && !escaped && columns(piece) + 1 + 2 > limit) {
      pieces.push(quote === "'" ? `${piece}'\\` : `${piece}\\`);
      piece = quote === "'" ? "'" : '';
      fresh = 0;
      limit = Math.max(4, room);
    }
    piece += ch;
    fresh++;
    if (escaped) escaped = false;
    else if (quote === "'") quote = ch === "'" ? undefined : quote;
    else if (ch === '\\') escaped = true;
    else if (quote === '"') quote = ch === '"' ? undefined : quote;
    else if (ch === "'" || ch === '"') quote = ch;
  }
  pieces.push(piece);
  return pieces;
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
      else if (quote === '"' && ch === '\\' && i + 1 < command.length) word += command[++i]!;
      continue;
    }
    if (ch === ' ') {
      if (word !== '') words.push(word);
      word = '';
      continue;
    }
    word += ch;
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '\\' && i + 1 < command.length) word += command[++i]!;
  }
  if (word !== '') words.push(word);
  return words;
}

/** The first `n` code points of `text`, and the rest. */
function cut(text: string, n: number): [string, string] {
  const chars = Array.from(text);
  return [chars.slice(0, n).join(''), chars.slice(n).join('')];
}
