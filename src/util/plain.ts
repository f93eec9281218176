/**
 * Plain objects laid out compactly. V8 gives an object made by `{}` room for four fields inside
 * it and keeps any further field in a separate backing store (~30 B more per object). Objects
 * made with `new` get their inline room from the first objects their constructor made (V8's
 * slack tracking), so a constructor per kind of record (a shape, a field count) makes objects
 * that hold exactly their fields. With Object.prototype as prototype, what it makes is a plain
 * object in every observable way: prototype, `constructor`, JSON, structured clone.
 */
export type PlainObjectMaker = new () => Record<string, unknown>;

export function plainObjectMaker(): PlainObjectMaker {
  const PlainRecord = function PlainRecord(): void {};
  PlainRecord.prototype = Object.prototype;
  return PlainRecord as unknown as PlainObjectMaker;
}

/** Sets an own property, `__proto__` included (JSON may hold one; it must stay plain data). */
export function setOwnField(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
