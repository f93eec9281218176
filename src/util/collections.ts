/**
 * Grouping without copies. `map.set(k, [...(map.get(k) ?? []), v])` copies the group on every
 * add: quadratic, and at 5,000 nodes in one pool it allocated a gigabyte (OS-02).
 */

/** Appends `value` to the list under `key`, creating the list on first use. */
export function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
