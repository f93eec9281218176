import { describe, expect, it } from '@jest/globals';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import type { Check } from '../../src/engine/check.js';
import { compileOptionsSchema, validateCheckOptions } from '../../src/engine/options.js';
import { validateCheck } from '../../src/engine/plugins.js';
import { CheckIds } from '../../src/engine/selection.js';
import { KpostureError } from '../../src/errors.js';

const ids = new CheckIds(BUILTIN_CHECKS);

function validate(options: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  return validateCheckOptions(ids, options, '.kposture.yaml');
}

function problem(options: Record<string, Record<string, unknown>>): string {
  try {
    validate(options);
  } catch (err) {
    if (err instanceof KpostureError) {
      expect(err.exitCode).toBe(2);
      return err.oneLine();
    }
    throw err;
  }
  throw new Error('expected the options to be refused');
}

describe('per-check options', () => {
  it('accepts valid options and keys them by the check id, whatever the case written', () => {
    expect(validate({ 'img-04': { registries: ['registry.corp.io', 'ghcr.io/acme'] }, 'IMG-01': { minimalCredit: 1 }, 'os-02': { poolLabels: [] } })).toEqual({
      'IMG-04': { registries: ['registry.corp.io', 'ghcr.io/acme'] },
      'IMG-01': { minimalCredit: 1 },
      'OS-02': { poolLabels: [] },
    });
    expect(validate({ 'MT-04': {} })).toEqual({ 'MT-04': {} });
  });

  it('names a misspelled option and the options the check takes', () => {
    expect(problem({ 'IMG-04': { registrys: ['registry.corp.io'] } })).toBe(
      'config .kposture.yaml: field checks.options.IMG-04.registrys: unknown option (IMG-04 takes: registries)',
    );
    expect(problem({ 'MT-04': { level: 'restricted' } })).toBe(
      'config .kposture.yaml: field checks.options.MT-04.level: unknown option (MT-04 takes no options)',
    );
  });

  it('names the field of a value of the wrong type or out of range', () => {
    expect(problem({ 'IMG-04': { registries: 'registry.corp.io' } })).toBe(
      'config .kposture.yaml: field checks.options.IMG-04.registries: must be array (see docs/checks/IMG-04.md)',
    );
    expect(problem({ 'IMG-04': { registries: ['ok.io', 42] } })).toBe(
      'config .kposture.yaml: field checks.options.IMG-04.registries.1: must be string (see docs/checks/IMG-04.md)',
    );
    expect(problem({ 'IMG-04': { registries: [] } })).toMatch(/field checks.options.IMG-04.registries: must NOT have fewer than 1 items/);
    expect(problem({ 'IMG-04': { registries: ['  '] } })).toMatch(/field checks.options.IMG-04.registries.0: must match pattern/);
    expect(problem({ 'IMG-01': { minimalCredit: 2 } })).toBe(
      'config .kposture.yaml: field checks.options.IMG-01.minimalCredit: must be <= 1 (see docs/checks/IMG-01.md)',
    );
    expect(problem({ 'OS-02': { poolLabels: [''] } })).toMatch(/field checks.options.OS-02.poolLabels.0: must NOT have fewer than 1 characters/);
  });

  it('refuses options of an unknown check, with a "did you mean", and the same check twice', () => {
    expect(problem({ 'IMG-4': { registries: ['a.io'] } })).toBe(
      'config .kposture.yaml: field checks.options.IMG-4: unknown check id IMG-4 (did you mean IMG-04?)',
    );
    expect(problem({ 'IMG-04': { registries: ['a.io'] }, 'img-04': { registries: ['b.io'] } })).toMatch(
      /field checks.options.img-04: the options of IMG-04 are given twice/,
    );
  });

  it('compiles every built-in schema, and documents every option', () => {
    for (const check of BUILTIN_CHECKS) {
      expect([check.meta.id, compileOptionsSchema(check.meta) === undefined]).toEqual([check.meta.id, check.meta.optionsSchema === undefined]);
    }
    expect(BUILTIN_CHECKS.filter((c) => c.meta.optionsSchema).map((c) => [c.meta.id, Object.keys(c.meta.optionsSchema!.properties)])).toEqual([
      ['IMG-01', ['minimalCredit']],
      ['IMG-04', ['registries']],
      ['OS-02', ['poolLabels']],
    ]);
  });

  it('refuses a plugin whose options schema lets unknown options through or is not a schema', () => {
    const base = BUILTIN_CHECKS[0]!;
    const plugin = (optionsSchema: unknown): Check => ({ ...base, meta: { ...base.meta, id: 'ACME-01', optionsSchema } as never });
    expect(() => validateCheck(plugin({ type: 'object', properties: { a: { description: 'a' } } }), 'plugin acme.mjs: check 0')).toThrow(
      /plugin acme.mjs: check 0: meta field optionsSchema.additionalProperties: required/,
    );
    expect(() =>
      validateCheck(
        plugin({ type: 'object', additionalProperties: false, properties: { a: { description: 'a', type: 'strnig' } } }),
        'plugin acme.mjs: check 0',
      ),
    ).toThrow(/plugin acme.mjs: check 0: check ACME-01: meta.optionsSchema is not a valid JSON Schema/);
  });
});
