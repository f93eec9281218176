import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

export type { ErrorObject, ValidateFunction };

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SCHEMA_DIR = path.join(PACKAGE_ROOT, 'schemas');

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv2020 {
  ajv ??= addFormats(new Ajv2020({ allErrors: false, strict: true, strictRequired: false }));
  return ajv;
}

/** One ajv instance for every schema in schemas/ (config, catalogues, report). */
export function compileSchema(file: string): ValidateFunction {
  const hit = compiled.get(file);
  if (hit) return hit;
  const schema = JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) as object;
  const validate = instance().compile(schema);
  compiled.set(file, validate);
  return validate;
}

/**
 * A schema given as an object (a check's optionsSchema), compiled by the same ajv instance; ajv
 * keeps it compiled for as long as the object lives. Throws when the schema itself is invalid.
 */
export function compileSchemaObject(schema: object): ValidateFunction {
  return instance().compile(schema);
}

/** `field spec.x: must be string` style text for the first ajv error. */
export function formatAjvError(errors: ErrorObject[] | null | undefined): string {
  const err = errors?.[0];
  if (!err) return 'invalid';
  const where = err.instancePath ? err.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
  let what = err.message ?? 'is invalid';
  if (err.keyword === 'additionalProperties') {
    what = `has unknown field "${(err.params as { additionalProperty: string }).additionalProperty}"`;
  } else if (err.keyword === 'enum') {
    what = `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`;
  }
  return `field ${where}: ${what}`;
}
