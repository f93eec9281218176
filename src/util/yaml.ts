import { parse } from 'yaml';

/** Aliases a document may resolve before it counts as an alias bomb ("billion laughs"). */
export const MAX_YAML_ALIASES = 100;

/**
 * One YAML document as plain data, refusing alias bombs: the yaml library throws a
 * ReferenceError when resolving aliases would exceed MAX_YAML_ALIASES, before it expands them.
 */
export function parseYamlBounded(text: string): unknown {
  return parse(text, { maxAliasCount: MAX_YAML_ALIASES });
}
