/**
 * The floor: what reading the cluster costs with nothing else done.
 * - live: paged GETs of the same lists kposture reads (same limit; kposture lists pods whole,
 *   finished ones included), one keep-alive connection, each body `JSON.parse`d and dropped;
 * - snapshot: the same file read item by item (src/inventory/json-items.ts), each item parsed and
 *   dropped;
 * - snapshot-whole: `JSON.parse` of the whole file, for sizes where one string can hold it.
 * Prints one JSON line: what was read.
 *   node dist/bench/floor.js live --server URL --token T --ca FILE --paths /api/v1/pods,… [--limit 500]
 *   node dist/bench/floor.js snapshot FILE
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonItems, type ListHandler } from '../src/inventory/json-items.js';

function get(agent: https.Agent, url: URL, headers: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${url.pathname}: ${res.statusCode}`))));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

export async function liveFloor(
  server: string,
  token: string,
  ca: Buffer,
  paths: string[],
  limit: number,
): Promise<{ items: number; pages: number; bytes: number }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  let items = 0;
  let pages = 0;
  let bytes = 0;
  try {
    for (const p of paths) {
      let token: string | undefined;
      do {
        const url = new URL(p, server);
        url.searchParams.set('limit', String(limit));
        if (token) url.searchParams.set('continue', token);
        const body = await get(agent, url, headers);
        const page = JSON.parse(body.toString('utf8')) as { items?: unknown[]; metadata?: { continue?: string } };
        items += page.items?.length ?? 0;
        pages++;
        bytes += body.length;
        token = page.metadata?.continue || undefined;
      } while (token);
    }
  } finally {
    agent.destroy();
  }
  return { items, pages, bytes };
}

export function snapshotFloor(file: string): { items: number } {
  let items = 0;
  const list: ListHandler = {
    nested: true,
    item: (): void => {
      items++;
    },
    openList: () => list,
    close: (): void => undefined,
  };
  readJsonItems(file, { value: () => undefined, openList: () => list, isListKind: (k) => typeof k === 'string' && k.endsWith('List') });
  return { items };
}

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  let result: unknown;
  if (mode === 'live') {
    const server = arg('--server');
    const token = arg('--token');
    const ca = arg('--ca');
    const paths = arg('--paths');
    if (!server || !token || !ca || !paths) throw new Error('usage: floor.js live --server URL --token T --ca FILE --paths P1,P2 [--limit N]');
    result = await liveFloor(server, token, readFileSync(ca), paths.split(','), Number(arg('--limit') ?? '500'));
  } else if (mode === 'snapshot' && process.argv[3]) {
    result = snapshotFloor(process.argv[3]);
  } else if (mode === 'snapshot-whole' && process.argv[3]) {
    const value = JSON.parse(readFileSync(process.argv[3], 'utf8')) as { items?: unknown[] };
    result = { topLevelItems: value.items?.length ?? 0 };
  } else {
    throw new Error('usage: floor.js live … | snapshot FILE | snapshot-whole FILE');
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
