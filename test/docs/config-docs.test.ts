/**
 * docs/config.md says what schemas/config.schema.json says: every waiver field is documented, and
 * every YAML example in the page is a valid config file (schema, check ids, selectors), so a user
 * who copies one gets no exit 2.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { validateConfig } from '../../src/config/config.js';
import { configWaivers } from '../../src/config/waivers.js';
import { parseWaiverAnnotation } from '../../src/engine/waiver-annotations.js';
import { WAIVER_ANNOTATION } from '../../src/engine/waiver-model.js';
import { REPO_ROOT } from '../cli/run.js';

const DOC = readFileSync(path.join(REPO_ROOT, 'docs', 'config.md'), 'utf8');
const SCHEMA = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'config.schema.json'), 'utf8')) as {
  $defs: { waiver: { properties: Record<string, unknown> } };
};
const KNOWN = BUILTIN_CHECKS.map((c) => c.meta.id);
const yamlBlocks = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/config.md', () => {
  it('documents every field of a waiver', () => {
    const undocumented = Object.keys(SCHEMA.$defs.waiver.properties).filter((f) => !DOC.includes(`| \`${f}\` |`));
    expect(undocumented).toEqual([]);
  });

  it('has config examples that are valid config files, waivers included', () => {
    const configs = yamlBlocks.filter((b) => !b.startsWith('apiVersion:'));
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const block of configs) {
      const data = parse(block) as unknown;
      validateConfig(data, 'docs/config.md');
      expect(() => configWaivers(data.waivers ?? [], 'docs/config.md', { knownChecks: KNOWN, allowPermanent: false })).not.toThrow();
    }
  });

  it('has an annotation example that follows the grammar', () => {
    const manifest = yamlBlocks.find((b) => b.startsWith('apiVersion:'))!;
    const obj = parse(manifest) as { kind: string; metadata: { name: string; namespace: string; annotations: Record<string, string> } };
    const value = obj.metadata.annotations[WAIVER_ANNOTATION]!;
    const parsed = parseWaiverAnnotation(
      value,
      { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name },
      { knownChecks: KNOWN, allowPermanent: false },
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.waivers.map((w) => w.checks)).toEqual([['DIE-03'], ['IMG-03', 'IMG-02']]);
  });
});
