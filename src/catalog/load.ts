import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { KpostureError } from '../errors.js';
import { compileSchema, formatAjvError } from '../util/schemas.js';
import type { Catalogs } from './catalogs.js';

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CATALOG_DIR = path.join(PACKAGE_ROOT, 'catalog');

const FILES: Record<keyof Catalogs, { file: string; schema: string }> = {
  osFamilies: { file: 'os-families.json', schema: 'os-families.schema.json' },
  imageRules: { file: 'image-bases.json', schema: 'image-bases.schema.json' },
  policyEngines: { file: 'policy-engines.json', schema: 'policy-engines.schema.json' },
  cnis: { file: 'cnis.json', schema: 'cnis.schema.json' },
  tenancyFrameworks: { file: 'tenancy-frameworks.json', schema: 'tenancy-frameworks.schema.json' },
};

/** Reads and validates one built-in catalogue file; returns its entries. */
export function loadCatalogFile(name: keyof Catalogs, dir = CATALOG_DIR): unknown[] {
  const { file, schema } = FILES[name];
  const full = path.join(dir, file);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(full, 'utf8'));
  } catch (err) {
    throw new KpostureError('config', `${full}: cannot read catalogue: ${(err as Error).message}`, 'reinstall kposture');
  }
  const validate = compileSchema(schema);
  if (!validate(data)) {
    throw new KpostureError('config', `${full}: ${formatAjvError(validate.errors)}`, 'fix the catalogue entry');
  }
  return (data as { entries: unknown[] }).entries;
}

let cached: Catalogs | undefined;

export function loadBuiltinCatalogs(): Catalogs {
  cached ??= {
    osFamilies: loadCatalogFile('osFamilies') as Catalogs['osFamilies'],
    imageRules: loadCatalogFile('imageRules') as Catalogs['imageRules'],
    policyEngines: loadCatalogFile('policyEngines') as Catalogs['policyEngines'],
    cnis: loadCatalogFile('cnis') as Catalogs['cnis'],
    tenancyFrameworks: loadCatalogFile('tenancyFrameworks') as Catalogs['tenancyFrameworks'],
  };
  return cached;
}
