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
  // verbose: errors carry the schema they failed, which formatAjvError reads for alternatives (anyOf).
  ajv ??= addFormats(new Ajv2020({ allErrors: false, strict: true, strictRequired: false, verbose: true }));
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
  const err = alternativesError(errors) ?? errors?.[0];
  if (!err) return 'invalid';
  const path = err.instancePath ? err.instancePath.slice(1).replace(/\//g, '.') : '';
  const where = path || '(top level)';
  let what = err.message ?? 'is invalid';
  if (err.keyword === 'additionalProperties') {
    what = `has unknown field "${(err.params as { additionalProperty: string }).additionalProperty}"`;
  } else if (err.keyword === 'enum') {
    what = `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`;
  } else if (err.keyword === 'required') {
    const missing = (err.params as { missingProperty: string }).missingProperty;
    return `field ${path ? `${path}.${missing}` : missing}: required`;
  } else if (err.keyword === 'anyOf' || err.keyword === 'oneOf') {
    const names = requiredAlternatives(err.schema)!.join(', ');
    const several = Array.isArray((err.params as { passingSchemas?: unknown }).passingSchemas);
    what = several ? `give only one of ${names}` : `needs one of ${names}`;
  }
  return `field ${where}: ${what}`;
}

/**
 * An anyOf/oneOf whose alternatives only require a field each ("check or checks"; "kind,
 * namespace, name or selector") says more as one sentence than as its first alternative's error.
 */
function alternativesError(errors: ErrorObject[] | null | undefined): ErrorObject | undefined {
  return errors?.find((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && requiredAlternatives(e.schema) !== undefined);
}

function requiredAlternatives(schema: unknown): string[] | undefined {
  if (!Array.isArray(schema) || schema.length === 0) return undefined;
  const names: string[] = [];
  for (const alternative of schema as unknown[]) {
    const keys = typeof alternative === 'object' && alternative !== null ? Object.keys(alternative) : [];
    const required = (alternative as { required?: unknown }).required;
    if (keys.length !== 1 || !Array.isArray(required) || required.length !== 1) return undefined;
    names.push(String(required[0]));
  }
  return names;
}
