import { readFileSync } from 'node:fs';
import { KpostureError } from '../errors.js';
import type { CatalogOverrides } from '../catalog/catalogs.js';
import type { CategoryId } from '../engine/check.js';
import { parseYamlBounded } from '../util/yaml.js';
import { compileSchema, formatAjvError } from '../util/schemas.js';

export const DEFAULT_SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'] as const;

export interface Config {
  systemNamespaces?: string[];
  checks?: { disable?: string[]; only?: string[]; options?: Record<string, Record<string, unknown>> };
  categories?: Partial<Record<CategoryId, boolean>>;
  catalogs?: CatalogOverrides;
}

/** Reads and validates a config file (YAML or JSON); errors name the file and field. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KpostureError(
      'config',
      `config ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'pass an existing file to --config',
    );
  }
  let data: unknown;
  try {
    data = parseYamlBounded(text) ?? {};
  } catch (err) {
    throw new KpostureError('config', `config ${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`, 'fix the syntax');
  }
  validateConfig(data, file);
  return data;
}

export function validateConfig(data: unknown, file: string): asserts data is Config {
  // The config schema refers to the catalogue schemas; ajv must know them first.
  for (const s of ['os-families', 'image-bases', 'policy-engines', 'cnis', 'tenancy-frameworks']) compileSchema(`${s}.schema.json`);
  const validate = compileSchema('config.schema.json');
  if (!validate(data)) {
    throw new KpostureError('config', `config ${file}: ${formatAjvError(validate.errors)}`, 'see docs/config.md');
  }
}
