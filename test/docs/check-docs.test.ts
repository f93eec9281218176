import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { GENERATED_END, generatedBlock, indexPage, mergePage } from '../../src/docs/check-docs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('generated check docs', () => {
  it.each(BUILTIN_CHECKS.map((c) => [c.meta.id, c] as const))('docs/checks/%s.md exists and is up to date (run `npm run docs`)', (id, check) => {
    const file = path.join(ROOT, 'docs/checks', `${id}.md`);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain(generatedBlock(check));
  });

  it.each(BUILTIN_CHECKS.filter((c) => c.meta.optionsSchema).map((c) => [c.meta.id, c] as const))('docs/checks/%s.md documents each option', (id, check) => {
    const page = readFileSync(path.join(ROOT, 'docs/checks', `${id}.md`), 'utf8');
    expect(page).toContain('## Options');
    for (const [name, spec] of Object.entries(check.meta.optionsSchema!.properties)) {
      expect(page).toContain(`| \`${name}\` |`);
      expect(page).toContain(spec.description);
    }
  });

  it('says on each page whether the check honours the namespace scope', () => {
    for (const check of BUILTIN_CHECKS) {
      const page = readFileSync(path.join(ROOT, 'docs/checks', `${check.meta.id}.md`), 'utf8');
      expect([check.meta.id, page.includes(check.meta.scope === 'tenant' ? '| Scope | tenant:' : '| Scope | cluster-wide:')]).toEqual([check.meta.id, true]);
    }
  });

  it('the index lists every check', () => {
    expect(readFileSync(path.join(ROOT, 'docs/checks/README.md'), 'utf8')).toBe(indexPage(BUILTIN_CHECKS));
  });

  it('keeps hand-written text when it refreshes the block', () => {
    const check = BUILTIN_CHECKS[0]!;
    const page = mergePage('# Old title\n\nHand-written scoring notes.\n', generatedBlock(check));
    expect(page).toContain('## Details\n\nHand-written scoring notes.');
    const again = mergePage(page, generatedBlock(check));
    expect(again).toBe(page);
    expect(again.indexOf(GENERATED_END)).toBeLessThan(again.indexOf('Hand-written'));
  });
});
