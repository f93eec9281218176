/**
 * Per-check options (`checks.options.<ID>` in the config file), validated once, before the
 * cluster is read, against the JSON Schema each check declares in `meta.optionsSchema`. A
 * misspelled option or a value of the wrong type stops the audit with one line naming the field,
 * never a default silently used or a check turned `unknown`.
 */
import { KpostureError } from '../errors.js';
import { compileSchemaObject, type ErrorObject, type ValidateFunction } from '../util/schemas.js';
import type { CheckMeta } from './check.js';
import type { CheckIds } from './selection.js';

/** The validator of a check's options; throws when the check declares an invalid schema. */
export function compileOptionsSchema(meta: CheckMeta): ValidateFunction | undefined {
  if (!meta.optionsSchema) return undefined;
  try {
    return compileSchemaObject(meta.optionsSchema);
  } catch (err) {
    throw new KpostureError(
      'plugin',
      `check ${meta.id}: meta.optionsSchema is not a valid JSON Schema: ${(err as Error).message}`,
      'see docs/writing-checks.md#options',
    );
  }
}

/**
 * The options of the config file, keyed by each check's own id (`img-04` → `IMG-04`), after
 * checking them against the checks' schemas. `configFile` names the file in messages.
 */
export function validateCheckOptions(
  ids: CheckIds,
  options: Readonly<Record<string, Record<string, unknown>>>,
  configFile: string,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const where = (path: string): string => `config ${configFile}: field checks.options.${path}`;
  for (const [key, value] of Object.entries(options)) {
    const check = ids.find(key);
    if (!check) throw new KpostureError('config', `${where(key)}: unknown check id ${key}`, ids.hint(key));
    const id = check.meta.id;
    if (Object.prototype.hasOwnProperty.call(out, id)) {
      throw new KpostureError('config', `${where(key)}: the options of ${id} are given twice (check ids are case-insensitive)`, 'keep one entry');
    }
    const names = Object.keys(check.meta.optionsSchema?.properties ?? {}).sort();
    const takes = names.length > 0 ? `${id} takes: ${names.join(', ')}` : `${id} takes no options`;
    const validate = compileOptionsSchema(check.meta);
    if (!validate) {
      const first = Object.keys(value)[0];
      if (first !== undefined) throw new KpostureError('config', `${where(`${key}.${first}`)}: unknown option`, takes);
    } else if (!validate(value)) {
      const err = validate.errors![0]!;
      const unknownOption = err.keyword === 'additionalProperties' && err.instancePath === '';
      throw new KpostureError('config', `${where(`${key}${pathOf(err)}`)}: ${problemOf(err)}`, unknownOption ? takes : `see docs/checks/${id}.md`);
    }
    out[id] = value;
  }
  return out;
}

/** `.registries.0` for ajv's `/registries/0`, with the property an error is about appended. */
function pathOf(err: ErrorObject): string {
  const at = err.instancePath
    .split('/')
    .slice(1)
    .map((p) => `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`)
    .join('');
  if (err.keyword === 'additionalProperties') return `${at}.${(err.params as { additionalProperty: string }).additionalProperty}`;
  if (err.keyword === 'required') return `${at}.${(err.params as { missingProperty: string }).missingProperty}`;
  return at;
}

function problemOf(err: ErrorObject): string {
  switch (err.keyword) {
    case 'additionalProperties':
      return err.instancePath === '' ? 'unknown option' : 'unknown field';
    case 'required':
      return 'is required';
    case 'enum':
      return `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return err.message ?? 'is invalid';
  }
}
