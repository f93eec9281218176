/**
 * `JSON.stringify(value, null, 2)` as a sequence of chunks, so that a document larger than a V8
 * string can hold (the snapshot of a large cluster) is written piece by piece. The outer
 * `levels` of objects and arrays are laid out here; anything deeper is stringified whole, one
 * list item at a time. The bytes are exactly those of JSON.stringify (a test holds this).
 */
export function* jsonChunks(value: unknown, levels = 4, indent = '', trailer = ''): Generator<string> {
  yield* layout(value, levels, indent);
  if (trailer) yield trailer;
}

function* layout(value: unknown, levels: number, indent: string): Generator<string> {
  if (levels > 0 && Array.isArray(value) && value.length > 0) {
    const inner = `${indent}  `;
    yield '[\n';
    for (let i = 0; i < value.length; i++) {
      yield inner;
      // JSON.stringify writes null for array entries it cannot represent.
      const entry: unknown = value[i];
      const item = entry === undefined || typeof entry === 'function' ? null : entry;
      yield* layout(item, levels - 1, inner);
      yield i < value.length - 1 ? ',\n' : '\n';
    }
    yield `${indent}]`;
    return;
  }
  if (levels > 0 && isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function');
    if (entries.length > 0) {
      const inner = `${indent}  `;
      yield '{\n';
      for (let i = 0; i < entries.length; i++) {
        const [key, v] = entries[i]!;
        yield `${inner}${JSON.stringify(key)}: `;
        yield* layout(v, levels - 1, inner);
        yield i < entries.length - 1 ? ',\n' : '\n';
      }
      yield `${indent}}`;
      return;
    }
  }
  yield stringifyAt(value, indent);
}

/**
 * `value` as JSON.stringify(value, null, 2) lays it out at `indent` (two spaces per level). It is
 * stringified inside one single-element array per level and cut out of the result, so that
 * JSON.stringify writes every line's indent itself: adding the indent in a second pass over the
 * text was a noticeable share of rendering a large report (docs/performance.md#what-the-heap-holds).
 * The cut is O(1) (a slice of the string).
 */
function stringifyAt(value: unknown, indent: string): string {
  const depth = indent.length / 2;
  if (depth === 0) return stringifyOrUndefined(value) ?? 'null';
  let wrapped: unknown = value;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  const cut = wrapperLengths(depth);
  return text.slice(cut.before, text.length - cut.after);
}

/** JSON.stringify with its real type: it gives undefined for undefined, functions and symbols. */
function stringifyOrUndefined(value: unknown): string | undefined {
  return JSON.stringify(value, null, 2);
}

/** Lengths of what `depth` wrapping arrays add before and after the value: `[\n  [\n    ` and `\n  ]\n]`. */
function wrapperLengths(depth: number): { before: number; after: number } {
  let known = WRAPPERS[depth];
  if (!known) {
    let before = 0;
    let after = 0;
    for (let level = 1; level <= depth; level++) {
      before += '[\n'.length + 2 * level;
      after += '\n'.length + 2 * (level - 1) + ']'.length;
    }
    WRAPPERS[depth] = known = { before, after };
  }
  return known;
}
const WRAPPERS: { before: number; after: number }[] = [];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}
