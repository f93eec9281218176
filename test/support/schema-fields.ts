/** Every property name a JSON Schema declares, at any depth: what a doc page must mention. */
export function schemaFields(schema: unknown): Set<string> {
  const fields = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'properties' && typeof value === 'object' && value !== null) for (const f of Object.keys(value)) fields.add(f);
      walk(value);
    }
  };
  walk(schema);
  return fields;
}
