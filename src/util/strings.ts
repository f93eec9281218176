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

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The one candidate closest to `word` (case-insensitive) within `maxDistance` edits, for a
 * "did you mean" hint; none when nothing is close or when several are equally close (a guess
 * between MT-01 and MT-02 would mislead more than it helps).
 */
export function closestMatch(word: string, candidates: readonly string[], maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  let tied = false;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
      tied = false;
    } else if (d === bestDistance) {
      tied = true;
    }
  }
  return tied ? undefined : best;
}

/** `a, b, c and 4 more`: the first `max` items and how many more there are, for one line of text. */
export function listSome(items: readonly string[], max: number): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}
