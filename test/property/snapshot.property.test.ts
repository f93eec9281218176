/**
 * Property: the snapshot loader, fed generated files, either loads an inventory (and every
 * built-in check then runs over it within the contract) or rejects the file with an input error
 * (exit 2) in one line naming the file — never any other exception. Files are List documents of
 * typed lists built from mutated fixture objects, in JSON or YAML, and the same files damaged at
 * the byte level (cut, spliced, bytes flipped or inserted).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { KpostureError } from '../../src/errors.js';
import { runChecks } from '../../src/engine/run.js';
import { validateOutcome } from '../../src/engine/validate.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import { slimProjection } from '../../src/k8s/slim.js';
import { kindSpec } from '../../src/k8s/kinds.js';
import { sample, type Sample } from './corpus.js';

const SEED = Number(process.env.KPOSTURE_FC_SEED ?? 20240501);
const RUNS = Number(process.env.KPOSTURE_FC_RUNS ?? 150);
const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-prop-snap-'));
const catalogs = loadBuiltinCatalogs();
const tally = { cases: 0, loaded: 0, rejected: 0, outcomes: 0 };
let serial = 0;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  console.log(`property (snapshot loader): ${JSON.stringify(tally)}`);
});

/** A `List` of typed lists, one per kind, as `kposture snapshot` writes (kubectl's shapes too). */
function document(samples: Sample[], typed: boolean): unknown {
  if (!typed) return { apiVersion: 'v1', kind: 'List', items: samples.map((s) => s.obj) };
  const byKind = new Map<string, unknown[]>();
  for (const s of samples) byKind.set(s.id, [...(byKind.get(s.id) ?? []), s.obj]);
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [...byKind].map(([id, items]) => {
      const spec = kindSpec(id);
      const kind = id.split('.')[0]!;
      return { apiVersion: spec?.group ? `${spec.group}/${spec.versions[0]}` : 'v1', kind: `${kind}List`, items };
    }),
  };
}

const damage = fc.array(
  fc.record({ at: fc.nat(), op: fc.constantFrom('cut', 'flip', 'insert', 'delete'), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  { minLength: 1, maxLength: 4 },
);

function damaged(text: Buffer, edits: { at: number; op: string; bytes: Uint8Array }[]): Buffer {
  let b = text;
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length;
    if (e.op === 'cut') b = b.subarray(0, at);
    else if (e.op === 'flip') b = Buffer.concat([b.subarray(0, at), Buffer.from([b[at]! ^ (e.bytes[0]! | 1)]), b.subarray(at + 1)]);
    else if (e.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(e.bytes), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.bytes.length)]);
  }
  return b;
}

/** Loads the file; an input error must be one line naming it. Returns problems, [] when fine. */
function judge(file: string, content: Buffer | string): string[] {
  writeFileSync(file, content);
  tally.cases++;
  const problems: string[] = [];
  let inventory;
  try {
    inventory = loadSnapshot([file], dir, { project: slimProjection() });
  } catch (err) {
    if (!(err instanceof KpostureError) || err.exitCode !== 2) return [`not an input error: ${String(err)}`];
    const line = err.oneLine();
    if (line.includes('\n')) problems.push(`more than one line: ${line}`);
    if (!line.includes(path.basename(file))) problems.push(`does not name the file: ${line}`);
    tally.rejected++;
    return problems;
  }
  tally.loaded++;
  for (const { check, outcome } of runChecks({ inventory, checks: BUILTIN_CHECKS, catalogs, systemNamespaces: new Set(['kube-system']) })) {
    tally.outcomes++;
    const invalid = validateOutcome(outcome, check.meta.messages);
    if (invalid) problems.push(`${check.meta.id}: ${invalid}`);
    if (outcome.status === 'unknown' && /failed while evaluating|malformed outcome|cannot be read/.test(outcome.reason))
      problems.push(`${check.meta.id}: ${outcome.reason}`);
  }
  return problems;
}

describe('loadSnapshot over generated files', () => {
  test(`Lists of mutated and arbitrary objects, JSON and YAML (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 12 }), fc.boolean(), fc.constantFrom('json', 'yaml'), (samples, typed, format) => {
        const doc = document(samples, typed);
        const file = path.join(dir, `gen-${serial++}.${format}`);
        expect(judge(file, format === 'json' ? JSON.stringify(doc, null, 2) : stringify(doc))).toEqual([]);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  test(`the same files damaged byte by byte (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 6 }), fc.constantFrom('json', 'yaml'), damage, (samples, format, edits) => {
        const doc = document(samples, true);
        const text = Buffer.from(format === 'json' ? JSON.stringify(doc, null, 1) : stringify(doc));
        const file = path.join(dir, `dmg-${serial++}.${format}`);
        expect(judge(file, damaged(text, edits))).toEqual([]);
      }),
      { numRuns: RUNS, seed: SEED + 2 },
    );
  });

  test('the generated files were both loaded and rejected, often', () => {
    expect(tally.loaded).toBeGreaterThan(RUNS / 5);
    expect(tally.rejected).toBeGreaterThan(RUNS / 5);
  });
});
