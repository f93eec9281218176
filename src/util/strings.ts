/**
 * One copy of each distinct string. Parsed JSON gives every object its own copy of its
 * namespace, image, kind, label values…; at 150,000 pods that is tens of MB of duplicates.
 * Bounded: past MAX_STRINGS entries the table starts over (sharing saves memory, nothing else).
 */
export class StringTable {
  private readonly known = new Map<string, string>();

  /** The first string equal to `s` this table has seen. */
  intern(s: string): string {
    const known = this.known.get(s);
    if (known !== undefined) return known;
    if (this.known.size >= MAX_STRINGS) this.known.clear();
    this.known.set(s, s);
    return s;
  }

  /**
   * Replaces, in place, every string in `value` (plain objects and arrays) by its shared copy.
   * Records that come back from a worker thread are copies; this gives them back the sharing
   * the main thread's projection has.
   */
  share<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.intern(value);
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.walk(value[i]);
      return value;
    }
    const record = value as Record<string, unknown>;
    for (const key in record) record[key] = this.walk(record[key]);
    return record;
  }
}

const MAX_STRINGS = 500_000;
