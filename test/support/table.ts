/**
 * The table with every indented line joined to the line before, so that a sentence the table
 * wrapped at 80 columns can be matched whole (indented lines that are not continuations join
 * too, which a `toContain` does not mind).
 */
export function unwrapped(table: string): string {
  return table.replace(/\n {2,}/g, ' ');
}
