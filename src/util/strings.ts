/**
 * One copy of each distinct string. Parsed JSON gives every object its own copy of its
 * namespace, image, kind, label values…; in a large cluster that is a large share of the
 * inventory in duplicates (docs/performance.md#page-decoder-workers).
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
}

const MAX_STRINGS = 500_000;
