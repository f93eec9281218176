/**
 * Reads a JSON file of Kubernetes lists item by item, in bounded memory.
 *
 * A List of 150,000 pods is more JSON than a V8 string can hold, and many times that once parsed
 * whole (docs/performance.md#snapshot-files-item-by-item-any-size). This reader walks the file in
 * chunks and hands each element of an `items` array to the caller as soon as it is complete; the
 * caller keeps what it needs (a slim record) and the rest is garbage at once. Lists nest (a `List`
 * of typed lists, as `kposture snapshot` writes): an object with an `items` array is streamed the
 * same way, at any depth.
 *
 * Only the boundaries of items are found here; each item is parsed by `JSON.parse` on its own
 * bytes, which also validates it. Finding the boundary is a scan that skips strings (so brackets
 * and escaped quotes inside them are not structure). For pretty-printed files there is a faster
 * way, checked by `JSON.parse` itself: an item that starts a line with N spaces ends at the next
 * line that is N spaces and `}` (JSON strings cannot contain a raw newline, and a valid JSON text
 * that starts with `{` ends exactly at its matching `}`, so a wrong guess never parses; it falls
 * back to the scan).
 */
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK_BYTES = 4 * 1024 * 1024;
/** The most bytes one item (or any value the reader must hold whole) may take. */
const MAX_VALUE_BYTES = 128 * 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;

/** The file is not valid JSON; `offset` is the byte where the problem was found. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** JSON path of the value being read, e.g. `items[4].items[1200]`. */
    readonly where: string,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** The file holds a NUL byte: binary data, not JSON. */
export class BinaryDataError extends Error {
  constructor() {
    super('binary data');
    this.name = 'BinaryDataError';
  }
}

/** What the caller does with the lists and values of a document. */
export interface ListHandler {
  /**
   * false when no element of this list can itself be a list (a typed list: `PodList` holds
   * pods), so elements need no look at their fields before they are parsed.
   */
  readonly nested: boolean;
  /** An element of `items` that is not a list, parsed. */
  item(value: unknown, index: number): void;
  /**
   * When present, the object elements of a typed list (`nested` false) are not parsed here: the
   * reader finds where each one ends and passes its byte range in the file, to be parsed
   * elsewhere (item-decoders.ts). The end of a pretty-printed element is found by the shortcut
   * without JSON.parse to confirm it, so a range that does not parse means "read the file again
   * without ranges", never an error of the file by itself.
   */
  readonly range?: (start: number, end: number, index: number) => void;
  /**
   * For the elements of a list that is not typed (`nested`), which are read up to their `kind`
   * first: whether the element whose `kind` is this (not a list) goes to `range` instead of being
   * parsed here.
   */
  takesRange?(kind: unknown): boolean;
  /** An element of `items` that is a list: the fields that came before its `items`. */
  openList(index: number, head: Record<string, unknown>): ListHandler;
  /** The end of this list: all its fields but `items`. */
  close(fields: Record<string, unknown>): void;
}

export interface DocumentHandler {
  /** A document that is not a list (or a list whose items are not an array), parsed. */
  value(value: unknown): void;
  /** A document that is a list: the fields that came before its `items`. */
  openList(head: Record<string, unknown>): ListHandler;
  /**
   * Whether an object whose `kind` has this value, seen before its `items`, is a list. An
   * object with `items` and no `kind` before them is streamed as a list.
   */
  isListKind(kind: unknown): boolean;
}

/**
 * Reads one JSON document from `file`, calling the handler as lists open and items complete.
 * Throws JsonSyntaxError for invalid or truncated JSON, BinaryDataError for NUL bytes.
 */
export function readJsonItems(file: string, handler: DocumentHandler, options: { chunkBytes?: number } = {}): void {
  const fd = openSync(file, 'r');
  try {
    const read: Read = (buf, offset, length, position) => readSync(fd, buf, offset, length, position);
    new Scanner(read, handler, options.chunkBytes ?? CHUNK_BYTES).document();
  } finally {
    closeSync(fd);
  }
}

/** Reads up to `length` bytes at `position` of the source into `buf` at `offset`; 0 at the end. */
type Read = (buf: Buffer, offset: number, length: number, position: number) => number;

/** True when the file starts (after a UTF-8 BOM and whitespace) with `{` or `[`. */
export function startsLikeJson(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    let offset = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n === 0) return false;
      let i = offset === 0 && n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
      while (i < n && isWhitespace(buf[i]!)) i++;
      if (i < n) return buf[i] === OPEN_BRACE || buf[i] === OPEN_BRACKET;
      offset += n;
    }
  } finally {
    closeSync(fd);
  }
}

function isWhitespace(b: number): boolean {
  return b === SPACE || b === NEWLINE || b === CR || b === TAB;
}

/** Per list: whether the line-indentation shortcut still holds for its elements. */
interface ListState {
  handler: ListHandler;
  shortcut: boolean;
}

/** The longest stretch the shortcut searches for an element's end before scanning instead. */
const SHORTCUT_REACH = 16 * 1024 * 1024;

class Scanner {
  private buf: Buffer;
  /** Valid bytes in buf. */
  private len = 0;
  /** Read position in buf. */
  private pos = 0;
  /** File offset of buf[0]. */
  private base = 0;
  /** File offset from which bytes must stay in buf (the value being read); -1: none. */
  private keepFrom = -1;
  private eof = false;
  /** JSON path of the element being read, for error messages. */
  private where = '';

  constructor(
    private readonly read: Read,
    private readonly handler: DocumentHandler,
    /** Bytes read at a time (tests use a few, to put chunk boundaries everywhere). */
    private readonly chunk: number,
  ) {
    this.buf = Buffer.allocUnsafe(chunk);
  }

  document(): void {
    while (this.len < 3 && this.more());
    if (this.len >= 3 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.pos = 3;
    const c = this.peek();
    if (c < 0) throw this.error('the file holds no JSON value');
    if (c === OPEN_BRACE) this.object(undefined, 0);
    else this.handler.value(this.parseValue());
    if (this.peek() >= 0) throw this.error('unexpected data after the JSON document');
  }

  // -------------------------------------------------------------------------------------------
  // Objects that may be lists

  /**
   * The object at pos, which may be a list: its members are read one by one until `kind` says
   * it is not a list (then it is parsed whole) or `items` turns out to be an array (then it is
   * streamed). A plain value goes to the parent list, or to the document handler at the top.
   */
  private object(parent: ListState | undefined, index: number): void {
    const start = this.abs(this.pos);
    const savedKeep = this.keepFrom;
    this.keepFrom = start;
    this.pos++; // {
    const before: string[] = [];
    let c = this.peek();
    if (c !== CLOSE_BRACE) {
      for (;;) {
        const { key, member } = this.member();
        if (key === 'items' && this.buf[this.pos] === OPEN_BRACKET) {
          this.keepFrom = savedKeep;
          this.streamList(before, parent, index);
          return;
        }
        const valueStart = this.abs(this.pos);
        this.skipValue();
        const valueEnd = this.abs(this.pos);
        before.push(`${member}${this.text(valueStart, valueEnd)}`);
        const kind = key === 'kind' ? this.parseSlice(valueStart, valueEnd) : undefined;
        if (key === 'kind' && !this.handler.isListKind(kind)) {
          // Not a list: the rest is part of one plain value, parsed here or by the handler.
          if (parent?.handler.range && parent.handler.takesRange?.(kind)) {
            const end = this.objectEnd(start, parent);
            this.keepFrom = savedKeep;
            parent.handler.range(start, end, index);
            return;
          }
          this.deliver(this.finishObject(start, parent), parent, index, savedKeep);
          return;
        }
        c = this.peek();
        if (c === CLOSE_BRACE) break;
        if (c !== COMMA) throw this.error(c < 0 ? 'the file ends inside an object' : 'expected , or } after an object member');
        this.pos++;
      }
    }
    this.pos++; // }
    this.deliver(this.parseSlice(start, this.abs(this.pos)), parent, index, savedKeep);
  }

  private deliver(value: unknown, parent: ListState | undefined, index: number, savedKeep: number): void {
    this.keepFrom = savedKeep;
    if (parent) parent.handler.item(value, index);
    else this.handler.value(value);
  }

  /** At a member of an object: reads `"key":`, leaves pos on the value; returns the key and that text. */
  private member(): { key: string; member: string } {
    const c = this.peek();
    if (c !== QUOTE) throw this.error(c < 0 ? 'the file ends inside an object' : 'expected a string key');
    const keyStart = this.abs(this.pos);
    this.skipString();
    const keyEnd = this.abs(this.pos);
    const colon = this.peek();
    if (colon !== COLON) throw this.error(colon < 0 ? 'the file ends inside an object' : 'expected : after an object key');
    this.pos++;
    if (this.peek() < 0) throw this.error('the file ends inside an object');
    // Only `items` and `kind` are compared; a key spelled with escapes is simply not one of them
    // here, and JSON.parse reads it right where the object is parsed whole.
    const key = this.buf.toString('latin1', keyStart - this.base + 1, keyEnd - this.base - 1);
    return { key, member: `${this.text(keyStart, keyEnd)}:` };
  }

  /** At `[` of `items`, after the members in `before` (as text). */
  private streamList(before: string[], parent: ListState | undefined, index: number): void {
    const head = this.parseMembers(before);
    const handler = parent ? parent.handler.openList(index, head) : this.handler.openList(head);
    const list: ListState = { handler, shortcut: true };
    const outer = this.where;
    this.pos++; // [
    let i = 0;
    let c = this.peek();
    if (c !== CLOSE_BRACKET) {
      for (;;) {
        if (c < 0) throw this.error('the file ends inside items');
        this.where = `${outer ? `${outer}.` : ''}items[${i}]`;
        if (c === OPEN_BRACE && handler.nested) this.object(list, i);
        else if (c === OPEN_BRACE && handler.range) this.plainObjectRange(list, i);
        else if (c === OPEN_BRACE) handler.item(this.plainObject(list), i);
        else handler.item(this.parseValue(), i);
        i++;
        c = this.peek();
        if (c === CLOSE_BRACKET) break;
        if (c !== COMMA) throw this.error(c < 0 ? 'the file ends inside items' : 'expected , or ] after an element of items');
        this.pos++;
        c = this.peek();
      }
    }
    this.pos++; // ]
    this.where = outer;
    // The members after items (kind and metadata, in kubectl's order), each kept as text.
    const after: string[] = [];
    for (;;) {
      c = this.peek();
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) throw this.error(c < 0 ? 'the file ends inside an object' : 'expected , or } after an object member');
      this.pos++;
      this.peek();
      this.keepFrom = this.abs(this.pos);
      const { member } = this.member();
      const valueStart = this.abs(this.pos);
      this.skipValue();
      after.push(`${member}${this.text(valueStart, this.abs(this.pos))}`);
      this.keepFrom = -1;
    }
    this.pos++; // }
    // All members but items, by JSON.parse's own rules (of duplicates, the last one wins).
    handler.close(after.length === 0 ? head : this.parseMembers([...before, ...after]));
  }

  /** An object known to be a plain value (an element of a typed list): parsed whole. */
  private plainObject(list: ListState): unknown {
    return this.atObject((start) => this.finishObject(start, list));
  }

  /** Like plainObject, but passes the object's byte range to the handler instead of parsing it. */
  private plainObjectRange(list: ListState, index: number): void {
    const [start, end] = this.atObject((s) => [s, this.objectEnd(s, list)] as const);
    list.handler.range!(start, end, index);
  }

  /** Runs `read` on the object whose `{` is at pos, with its bytes kept in the buffer meanwhile. */
  private atObject<T>(read: (start: number) => T): T {
    const start = this.abs(this.pos);
    const savedKeep = this.keepFrom;
    this.keepFrom = start;
    this.pos++; // {
    const result = read(start);
    this.keepFrom = savedKeep;
    return result;
  }

  /**
   * Inside the object that starts at `start` (kept in the buffer): moves pos past its closing
   * brace and returns the file offset there, by the shortcut when it applies (unconfirmed) and
   * by a scan otherwise.
   */
  private objectEnd(start: number, list: ListState): number {
    const end = this.shortcutEnd(start, list);
    this.pos = end !== undefined ? end - this.base : this.scanNested(1);
    return this.abs(this.pos);
  }

  /**
   * Inside the object that starts at `start` (kept in the buffer): moves pos past its closing
   * brace and returns the object parsed. Elements of pretty-printed lists take the shortcut
   * described at the top of this file, confirmed by JSON.parse; the first miss turns it off for
   * the rest of the list.
   */
  private finishObject(start: number, list: ListState | undefined): unknown {
    const end = list ? this.shortcutEnd(start, list) : undefined;
    if (end !== undefined) {
      try {
        const value: unknown = JSON.parse(this.text(start, end));
        this.pos = end - this.base;
        return value;
      } catch {
        // Not the matching brace after all (irregular indentation): scan instead.
        list!.shortcut = false;
      }
    }
    this.pos = this.scanNested(1);
    return this.parseSlice(start, this.abs(this.pos));
  }

  /**
   * Where the shortcut says the object that starts at `start` ends (pos just inside it), not yet
   * confirmed; undefined when it does not apply, and the shortcut is off for the list from the
   * first element it cannot place. Leaves pos where it was.
   */
  private shortcutEnd(start: number, list: ListState): number | undefined {
    if (!list.shortcut) return undefined;
    const here = this.abs(this.pos);
    const indent = this.indentOf(start);
    let end: number | undefined;
    if (indent === null) {
      list.shortcut = false;
    } else if (indent !== undefined) {
      end = this.findLineClose(indent, here, start + SHORTCUT_REACH);
      if (end === undefined) list.shortcut = false;
    }
    this.pos = here - this.base;
    return end;
  }

  /**
   * The spaces or tabs that precede the byte at `start` on its line; null when something else
   * does (the file is not pretty-printed); undefined when the line start is no longer in the
   * buffer, so it cannot be told.
   */
  private indentOf(start: number): string | null | undefined {
    const p = start - this.base;
    let i = p - 1;
    while (i >= 0 && (this.buf[i] === SPACE || this.buf[i] === TAB)) i--;
    if (i < 0) return undefined;
    if (this.buf[i] !== NEWLINE) return null;
    return this.buf.toString('latin1', i + 1, p);
  }

  /** File offset just after the first `\n<indent>}` at or after `from`, reading on up to `limit`. */
  private findLineClose(indent: string, from: number, limit: number): number | undefined {
    // Each `}` is found with a one-byte search (memchr), then the line before it is checked:
    // much cheaper than searching for the whole pattern
    // (docs/performance.md#snapshot-files-item-by-item-any-size).
    const width = indent.length;
    const spaces = indent.charCodeAt(0) === TAB ? TAB : SPACE;
    const uniform = indent === String.fromCharCode(spaces).repeat(width);
    let at = from - this.base;
    for (;;) {
      const buf = this.buf;
      for (;;) {
        const close = buf.indexOf(CLOSE_BRACE, at);
        if (close < 0 || close >= this.len) break;
        at = close + 1;
        const newline = close - width - 1;
        if (newline < from - this.base - 1 || buf[newline] !== NEWLINE) continue;
        let i = newline + 1;
        if (uniform) while (i < close && buf[i] === spaces) i++;
        else while (i < close && buf[i] === indent.charCodeAt(i - newline - 1)) i++;
        if (i === close) return this.abs(close + 1);
      }
      if (this.abs(this.len) > limit) return undefined;
      // Everything read so far was searched; the element itself stays (keepFrom <= its start).
      const searched = this.abs(this.len);
      this.pos = this.len;
      if (!this.more()) return undefined;
      at = searched - this.base;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Values

  private parseValue(): unknown {
    const start = this.abs(this.pos);
    const savedKeep = this.keepFrom;
    this.keepFrom = start;
    this.skipValue();
    const value = this.parseSlice(start, this.abs(this.pos));
    this.keepFrom = savedKeep;
    return value;
  }

  /**
   * The members of a list object other than `items`, put together and parsed. A bad one (a raw
   * control character in a key, say) is a syntax error of the file, like any other.
   */
  private parseMembers(members: string[]): Record<string, unknown> {
    try {
      return JSON.parse(`{${members.join(',')}}`) as Record<string, unknown>;
    } catch (err) {
      throw new JsonSyntaxError(describeParseError(err as Error, '').message, this.abs(this.pos), this.where);
    }
  }

  private parseSlice(start: number, end: number): unknown {
    const text = this.text(start, end);
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      const { message, position } = describeParseError(err as Error, text);
      throw new JsonSyntaxError(message, start + position, this.where);
    }
  }

  /** Moves pos past the value at pos (string, object, array or scalar) without parsing it. */
  private skipValue(): void {
    const c = this.buf[this.pos]!;
    if (c === QUOTE) return this.skipString();
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      this.pos++;
      this.pos = this.scanNested(1);
      return;
    }
    // A number, true, false or null: up to the next delimiter. Whether it is valid is
    // JSON.parse's to say, when the value around it is parsed.
    for (;;) {
      while (this.pos < this.len) {
        const b = this.buf[this.pos]!;
        if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isWhitespace(b)) return;
        if (b === QUOTE || b === OPEN_BRACE || b === OPEN_BRACKET || b === COLON) throw this.error('unexpected character in a value');
        this.pos++;
      }
      if (!this.more()) return;
    }
  }

  /**
   * From pos, inside `depth` open brackets: returns the buffer index just past the bracket that
   * closes the outermost one. Strings are skipped whole, so brackets in them do not count.
   * Bracket kinds are not matched here: JSON.parse rejects `{]` when the value is parsed.
   */
  private scanNested(depth: number): number {
    let p = this.pos;
    for (;;) {
      // Re-read after every string: skipping one may have read on, moving or replacing the buffer.
      const buf = this.buf;
      const len = this.len;
      let inString = false;
      while (p < len) {
        const b = buf[p]!;
        if (b === QUOTE) {
          inString = true;
          break;
        }
        if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
        else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
          if (--depth === 0) return p + 1;
        }
        p++;
      }
      this.pos = p;
      if (inString) {
        this.skipString();
      } else if (!this.more()) {
        throw this.error(this.where ? 'the file ends inside an item' : 'the file ends inside the document');
      }
      p = this.pos;
    }
  }

  /** At an opening quote: moves pos just past the closing one. */
  private skipString(): void {
    const open = this.abs(this.pos);
    const savedKeep = this.keepFrom;
    // The backslashes before a quote must stay readable to tell `\"` (escaped) from `\\"`.
    if (savedKeep < 0) this.keepFrom = open;
    let from = this.pos + 1;
    for (;;) {
      const q = this.buf.indexOf(QUOTE, from);
      if (q < 0 || q >= this.len) {
        this.pos = this.len;
        if (!this.more()) throw this.error('the file ends inside a string');
        from = this.pos;
        continue;
      }
      let backslashes = 0;
      const first = open - this.base;
      for (let i = q - 1; i > first && this.buf[i] === BACKSLASH; i--) backslashes++;
      if (backslashes % 2 === 0) {
        this.pos = q + 1;
        this.keepFrom = savedKeep;
        return;
      }
      from = q + 1;
    }
  }

  // -------------------------------------------------------------------------------------------
  // The buffer

  private abs(p: number): number {
    return this.base + p;
  }

  private text(start: number, end: number): string {
    return this.buf.toString('utf8', start - this.base, end - this.base);
  }

  /** The next non-whitespace byte (pos moved onto it), or -1 at the end of the file. */
  private peek(): number {
    for (;;) {
      while (this.pos < this.len) {
        const b = this.buf[this.pos]!;
        if (b !== SPACE && b !== NEWLINE && b !== CR && b !== TAB) return b;
        this.pos++;
      }
      if (!this.more()) return -1;
    }
  }

  /**
   * Reads the next chunk after what the buffer holds. Bytes before pos are dropped unless the
   * value being read started there (keepFrom); buffer indexes move by what was dropped, so
   * callers hold file offsets (abs) across this call, or read pos back. False at end of file.
   */
  private more(): boolean {
    if (this.eof) return false;
    const keep = this.keepFrom >= 0 ? Math.min(this.keepFrom - this.base, this.pos) : this.pos;
    if (keep > 0) {
      this.buf.copy(this.buf, 0, keep, this.len);
      this.len -= keep;
      this.pos -= keep;
      this.base += keep;
    }
    if (this.buf.length - this.len < this.chunk / 2) {
      // Only one value is ever held; a Kubernetes object is at most a few MiB (etcd's limit), so
      // a value this large is not one, and holding it would exhaust memory (or V8's string limit).
      if (this.len + this.chunk > MAX_VALUE_BYTES) throw this.error(`a value larger than ${MAX_VALUE_BYTES / 1048576} MiB, which no Kubernetes object is`);
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + this.chunk));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    const n = this.read(this.buf, this.len, this.buf.length - this.len, this.base + this.len);
    if (n === 0) {
      this.eof = true;
      return false;
    }
    if (this.buf.subarray(this.len, this.len + n).includes(0)) throw new BinaryDataError();
    this.len += n;
    return true;
  }

  private error(message: string): JsonSyntaxError {
    return new JsonSyntaxError(message, this.abs(this.pos), this.where);
  }
}

/** V8's message without the position (reported as a file offset) and the quoted source text. */
function describeParseError(err: Error, text: string): { message: string; position: number } {
  const raw = err.message.split('\n')[0]!;
  const at = /at position (\d+)/.exec(raw);
  if (/Unexpected end of JSON input/.test(raw)) return { message: 'the value ends too early', position: text.length };
  const message = raw
    .replace(/,? "(?:[^"\\]|\\.)*" is not valid JSON$/, '')
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/ \(line \d+ column \d+\)$/, '');
  return { message, position: at ? Number(at[1]) : 0 };
}
