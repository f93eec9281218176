/**
 * `JSON.stringify(value, null, 2)` as a sequence of chunks, so that a document larger than a V8
 * string can hold (a 150,000-pod snapshot is ~1.5 GB) is written piece by piece. The outer
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
      const item = value[i] === undefined || typeof value[i] === 'function' ? null : value[i];
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
  // JSON strings hold no raw newline, so every newline here is layout and takes the indent.
  const text = JSON.stringify(value, null, 2) ?? 'null';
  yield indent === '' ? text : text.replace(/\n/g, `\n${indent}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}
