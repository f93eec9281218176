import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { KpostureError, describeError } from '../errors.js';
import { compileSchema, formatAjvError } from '../util/schemas.js';
import { isRecord } from '../k8s/object.js';
import type { Check, CheckMeta } from './check.js';
import { compileOptionsSchema } from './options.js';
import { registerPluginSource } from './sandbox.js';

/**
 * Loads `--plugin FILE` modules. A plugin is an ESM module whose default export
 * (or `checks` export) is a check or an array of checks with the built-in contract.
 */
export async function loadPlugins(files: string[], cwd: string): Promise<Check[]> {
  const checks: Check[] = [];
  for (const file of files) checks.push(...(await loadPlugin(file, cwd)));
  return checks;
}

async function loadPlugin(file: string, cwd: string): Promise<Check[]> {
  const full = path.resolve(cwd, file);
  if (!existsSync(full)) throw new KpostureError('plugin', `plugin ${file}: no such file`, 'pass the path of an ESM module (.js or .mjs)');
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(full).href)) as Record<string, unknown>;
  } catch (err) {
    throw new KpostureError('plugin', `plugin ${file}: cannot be loaded: ${describeError(err).split('\n')[0]}`, 'it must be an ESM module that exports checks');
  }
  const exported = mod.checks ?? mod.default;
  const list = Array.isArray(exported) ? exported : [exported];
  if (exported === undefined || list.length === 0) {
    throw new KpostureError('plugin', `plugin ${file}: exports no checks`, 'export default a check or an array of checks');
  }
  return list.map((c, i) => {
    const check = validateCheck(c, `plugin ${file}: check ${i}`);
    registerPluginSource(check, full, i);
    return check;
  });
}

export function validateCheck(value: unknown, where: string): Check {
  if (!isRecord(value) || typeof value.evaluate !== 'function') {
    throw new KpostureError('plugin', `${where}: must be an object with meta and an evaluate(context) function`, 'see docs/plugins.md');
  }
  const validate = compileSchema('check-meta.schema.json');
  if (!validate(value.meta)) {
    throw new KpostureError('plugin', `${where}: meta ${formatAjvError(validate.errors)}`, 'see docs/plugins.md');
  }
  try {
    compileOptionsSchema(value.meta as CheckMeta);
  } catch (err) {
    throw new KpostureError('plugin', `${where}: ${describeError(err)}`, 'see docs/writing-checks.md#options');
  }
  return value as unknown as Check;
}
