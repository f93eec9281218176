import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { CATEGORY_IDS } from '../../src/engine/check.js';
import { validateCheck } from '../../src/engine/plugins.js';
import { kindSpec } from '../../src/k8s/kinds.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Check ids, and so check file names: `NP-02`. Other modules of a category (`view.ts`) are helpers its checks share. */
const CHECK_FILE = /^[A-Z]+-\d+\.ts$/;

function categoryFiles(): [string, string][] {
  const out: [string, string][] = [];
  for (const category of readdirSync(path.join(ROOT, 'checks'), { withFileTypes: true })) {
    if (!category.isDirectory()) continue;
    for (const file of readdirSync(path.join(ROOT, 'checks', category.name))) {
      if (file.endsWith('.ts')) out.push([category.name, file]);
    }
  }
  return out;
}

/** Every `checks/<category>/<ID>.ts` file, as [category, id]. */
function checkFiles(): [string, string][] {
  return categoryFiles()
    .filter(([, file]) => CHECK_FILE.test(file))
    .map(([category, file]): [string, string] => [category, file.slice(0, -3)])
    .sort((a, b) => a[1].localeCompare(b[1], 'en'));
}

/** The other modules of the category folders, as [category, file]. */
function helperFiles(): [string, string][] {
  return categoryFiles().filter(([, file]) => !CHECK_FILE.test(file));
}

describe('check registry conventions', () => {
  it('registers every check file exactly once, sorted by id', () => {
    const ids = BUILTIN_CHECKS.map((c) => c.meta.id);
    expect(ids).toEqual(checkFiles().map(([, id]) => id));
    expect(ids).toEqual([...ids].sort((a, b) => a.localeCompare(b, 'en')));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(checkFiles())('%s/%s: id = file name, folder = category, valid meta, known kinds, messages used', async (category, id) => {
    const mod = (await import(path.join(ROOT, 'dist/checks', category, `${id}.js`))) as { default: unknown };
    const check = validateCheck(mod.default, `checks/${category}/${id}.ts`);
    expect(check.meta.id).toBe(id);
    expect(check.meta.category).toBe(category);
    expect(CATEGORY_IDS).toContain(category);
    for (const kind of [...check.meta.reads, ...(check.meta.optionalReads ?? [])]) {
      expect(kindSpec(kind)?.id ?? `unknown kind ${kind}`).toBe(kind);
    }
    expect(check.meta.references.length).toBeGreaterThan(0);
  });

  it.each(helperFiles())('%s/%s is a helper, not a check: its name is no check id and it exports no check', async (category, file) => {
    expect(file).toMatch(/^[a-z][a-z0-9-]*\.ts$/);
    const mod = (await import(path.join(ROOT, 'dist/checks', category, file.replace(/\.ts$/, '.js')))) as Record<string, unknown>;
    expect(mod.default).toBeUndefined();
  });

  it.each(checkFiles())('%s/%s has a test file beside it', (category, id) => {
    expect(existsSync(path.join(ROOT, 'test/checks', category, `${id}.test.ts`))).toBe(true);
  });
});
