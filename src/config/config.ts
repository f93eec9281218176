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
  images?: ImagesConfig;
  waivers?: ConfigWaiver[];
}

/** `images:` (schemas/config.schema.json): image inspection. */
export interface ImagesConfig {
  inspect?: boolean;
  offline?: boolean;
  insecureRegistries?: string[];
  maxMiB?: number;
  timeLimitSeconds?: number;
}

/** One entry of `waivers:` as written (schemas/config.schema.json); config/waivers.ts reads it. */
export interface ConfigWaiver {
  check?: string;
  checks?: string[];
  kind?: string;
  namespace?: string;
  name?: string;
  selector?: Record<string, unknown>;
  reason: string;
  owner?: string;
  expires?: string;
  link?: string;
}

/**
 * Reads and validates a config file (YAML or JSON); errors name the file and field, as `shownAs`
 * (the path the user gave, or the one found relative to the working directory).
 */
export function loadConfig(file: string, shownAs = file): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KpostureError(
      'config',
      `config ${shownAs}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'pass an existing file to --config',
    );
  }
  let data: unknown;
  try {
    data = parseYamlBounded(text) ?? {};
  } catch (err) {
    throw new KpostureError('config', `config ${shownAs}: invalid YAML: ${(err as Error).message.split('\n')[0]}`, 'fix the syntax');
  }
  validateConfig(data, shownAs);
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
