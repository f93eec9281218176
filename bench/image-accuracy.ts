/**
 * How well the image name rules alone classify real public image references: the accuracy set in
 * test/data/image-references/references.json (expected classes from each project's build file)
 * and the held-out set beside it (images no rule was written for), classified with the built-in
 * catalogue only. Prints both figures and every miss.
 *   node dist/bench/image-accuracy.js [--json]
 * docs/image-name-rules.md explains the sets and the figures.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageClass, ImageRule } from '../src/catalog/catalogs.js';
import { loadCatalogFile } from '../src/catalog/load.js';
import { imageClassifier, parseImageRef } from '../src/k8s/images.js';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/data/image-references');
const IMAGE_REFERENCE_SETS = { accuracy: 'references.json', heldOut: 'held-out.json' } as const;

export interface ImageReference {
  image: string;
  expected: Exclude<ImageClass, 'unknown'>;
  why: string;
}

export interface Miss {
  image: string;
  expected: ImageClass;
  got: ImageClass;
  rule: string | null;
}

export interface NameRuleAccuracy {
  total: number;
  correct: number;
  /** Correct answers over all references. */
  accuracy: number;
  /** References no rule matched. */
  unknown: number;
  /** A wrong class, not unknown: the answers that mislead. */
  wrong: number;
  /** `full` given to an image that is not full: the error the issue forbids. */
  falseFull: number;
  misses: Miss[];
}

export function loadImageReferences(set: keyof typeof IMAGE_REFERENCE_SETS = 'accuracy'): ImageReference[] {
  return (JSON.parse(readFileSync(path.join(DATA, IMAGE_REFERENCE_SETS[set]), 'utf8')) as { references: ImageReference[] }).references;
}

export function measureNameRuleAccuracy(references: readonly ImageReference[], rules: readonly ImageRule[]): NameRuleAccuracy {
  const classify = imageClassifier(rules);
  const misses: Miss[] = [];
  for (const { image, expected } of references) {
    const parsed = parseImageRef(image);
    const { class: got, rule } = parsed.ok ? classify(parsed.ref) : { class: 'unknown' as const, rule: undefined };
    if (got !== expected) misses.push({ image, expected, got, rule: rule?.id ?? null });
  }
  const total = references.length;
  const correct = total - misses.length;
  return {
    total,
    correct,
    accuracy: total === 0 ? 0 : correct / total,
    unknown: misses.filter((m) => m.got === 'unknown').length,
    wrong: misses.filter((m) => m.got !== 'unknown').length,
    falseFull: misses.filter((m) => m.got === 'full').length,
    misses,
  };
}

function main(): void {
  const rules = loadCatalogFile('imageRules') as ImageRule[];
  const results = {
    accuracy: measureNameRuleAccuracy(loadImageReferences('accuracy'), rules),
    heldOut: measureNameRuleAccuracy(loadImageReferences('heldOut'), rules),
  };
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
  const lines = Object.entries(results).flatMap(([set, result]) => [
    `${IMAGE_REFERENCE_SETS[set as keyof typeof IMAGE_REFERENCE_SETS]}, name rules only: ${result.correct} of ${result.total} correct (${pct(result.accuracy)})`,
    `  unknown: ${result.unknown}; wrong class: ${result.wrong}; full on a non-full image: ${result.falseFull}`,
    ...result.misses.map((m) => `  ${m.image}: expected ${m.expected}, got ${m.got}${m.rule ? ` (rule ${m.rule})` : ''}`),
  ]);
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
