/**
 * Writes a synthetic cluster as a snapshot file, streaming: the XL cluster is ~800 MB of JSON,
 * more than one string can hold, so objects are serialised one at a time.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { KIND_GENERATORS, SYNTHETIC_KINDS, SYNTHETIC_SERVER_VERSION, type ClusterSize } from './synth.js';

export type SnapshotStyle =
  /** What `kposture snapshot` writes: a List of typed lists, 2-space indentation, kind before items. */
  | 'kposture'
  /** What `kubectl get a,b,c -A -o json` writes: one List, 4-space indentation, keys sorted (kind after items). */
  | 'kubectl';

export interface WrittenSnapshot {
  bytes: number;
  objects: number;
}

class Out {
  private parts: string[] = [];
  private pending = 0;
  bytes = 0;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.pending += s.length;
    if (this.pending > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.parts = [];
    this.pending = 0;
  }
}

/** JSON.stringify with indentation, nested at `depth` levels of `indent` spaces. */
function pretty(value: unknown, indent: number, depth: number): string {
  const text = JSON.stringify(value, null, indent);
  return text.replace(/\n/g, `\n${' '.repeat(indent * depth)}`);
}

/** Recursively sorts object keys, as Go's encoding/json writes maps (kubectl's output). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

export function writeSnapshotFile(size: ClusterSize, file: string, style: SnapshotStyle = 'kposture'): WrittenSnapshot {
  const fd = openSync(file, 'w');
  const out = new Out(fd);
  let objects = 0;
  try {
    if (style === 'kposture') {
      const annotations = { 'kposture.dev/context': 'bench', 'kposture.dev/server-version': SYNTHETIC_SERVER_VERSION };
      out.write(`{\n  "apiVersion": "v1",\n  "kind": "List",\n  "metadata": {\n    "annotations": ${pretty(annotations, 2, 2)}\n  },\n  "items": [`);
      SYNTHETIC_KINDS.forEach((g, k) => {
        out.write(
          `${k === 0 ? '' : ','}\n    {\n      "apiVersion": ${JSON.stringify(g.apiVersion)},\n      "kind": ${JSON.stringify(g.listKind)},\n      "items": [`,
        );
        let first = true;
        for (const item of g.items?.(size) ?? []) {
          out.write(`${first ? '' : ','}\n        ${pretty(item, 2, 4)}`);
          first = false;
          objects++;
        }
        out.write(`${first ? '' : '\n      '}]\n    }`);
      });
      out.write('\n  ]\n}\n');
    } else {
      // kubectl prints one List of objects: kinds without objects leave no trace (so the audit of
      // such a file reports them unknown, as it should).
      out.write('{\n    "apiVersion": "v1",\n    "items": [');
      let first = true;
      for (const g of KIND_GENERATORS) {
        for (const item of g.items?.(size) ?? []) {
          out.write(`${first ? '' : ','}\n        ${pretty(sortKeys(item), 4, 2)}`);
          first = false;
          objects++;
        }
      }
      out.write('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n');
    }
    out.flush();
  } finally {
    closeSync(fd);
  }
  return { bytes: out.bytes, objects };
}
