/**
 * Hostile and malformed input: kubeconfigs, snapshots and config files that are broken, wrongly
 * shaped, binary or huge. Each is either rejected with exit 2 and one line naming the file and
 * what is wrong in it, or (when the data is well-formed enough to audit) audited with every
 * outcome valid — never an internal error, never a stack trace, never unbounded memory.
 * Runs main() in-process; the 1 GB files run in a child with a small heap.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import type { Report } from '../../src/report/model.js';
import { REPO_ROOT, TLS_DIR } from '../support/fixture-server.js';
import { runBuiltCli, runMain, type CliRun } from '../support/fixture-cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-hostile-'));
const DEMO = path.join(REPO_ROOT, 'fixtures', 'clusters', 'demo', 'snapshot');
const tally = { tried: 0, rejected: 0, audited: 0 };

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  console.log(`hostile input: ${JSON.stringify(tally)}`);
});

function file(name: string, content: string | Buffer): string {
  const f = path.join(dir, name);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, content);
  return f;
}

/** Deterministic junk: every byte value, NUL included, in a scrambled order. */
function junk(n: number, withNul = true): Buffer {
  const b = Buffer.alloc(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = withNul ? x & 0xff : (x & 0xfe) | 1;
  }
  return b;
}

/** Exit 2, one line, naming the file; then the rest of the line must match `says`. */
function expectRejected(run: CliRun, named: string, says: RegExp): void {
  tally.tried++;
  const lines = run.stderr.split('\n').filter(Boolean);
  expect({ code: run.code, lines: lines.length, stderr: run.stderr }).toMatchObject({ code: 2, lines: 1 });
  expect(lines[0]).toContain(named);
  expect(lines[0]).toMatch(says);
  expect(run.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(run.stdout).toBe('');
  tally.rejected++;
}

const reportSchema = compileSchema('report.schema.json');

/** Audited: a report valid against its schema, in which every check's outcome holds to the contract. */
function expectAudited(run: CliRun): Report {
  tally.tried++;
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(run.stdout) as Report;
  expect(reportSchema(report) ? 'valid' : formatAjvError(reportSchema.errors)).toBe('valid');
  for (const c of report.checks) {
    const problem =
      c.status === 'unknown' || c.status === 'not-applicable'
        ? c.reason
          ? undefined
          : 'no reason'
        : c.status === 'fail' && c.findings.length === 0
          ? 'fail without findings'
          : typeof c.score !== 'number'
            ? 'no score'
            : undefined;
    expect({ id: c.id, problem }).toEqual({ id: c.id, problem: undefined });
  }
  tally.audited++;
  return report;
}

// ---------------------------------------------------------------------------------------------

/** The kubeconfig the cases below break, one field at a time. */
interface KubeconfigDoc {
  apiVersion: string;
  kind: string;
  clusters: { name: string; cluster?: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  'current-context': string;
}

function kubeconfigText(patch: (c: KubeconfigDoc) => void): string {
  const config: KubeconfigDoc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': path.join(TLS_DIR, 'ca.crt') } }],
    users: [{ name: 'u', user: { token: 'unused-token' } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  };
  patch(config);
  return stringify(config);
}

const KUBECONFIGS: [string, () => string | Buffer, RegExp][] = [
  ['bad YAML', () => 'clusters:\n  - name: a\n   cluster: {server: https://x}\n', /invalid YAML/],
  ['tabs for indentation', () => 'clusters:\n\t- name: a\n', /invalid YAML/],
  ['an empty file', () => '', /not a kubeconfig/],
  ['a YAML scalar', () => '42\n', /not a kubeconfig|no current-context/],
  ['a YAML list', () => '- a\n- b\n', /sets no current-context \(it defines no context\)/],
  ['binary junk', () => junk(2048), /invalid YAML|not a kubeconfig/],
  ['current-context names no context', () => kubeconfigText((c) => (c['current-context'] = 'gone')), /context "gone" is not in kubeconfig .* \(available: x\)/],
  [
    'the context names a cluster that is not defined',
    () => kubeconfigText((c) => (c.contexts[0]!.context.cluster = 'nowhere')),
    /names cluster "nowhere", which is not defined/,
  ],
  [
    'the context names a user that is not defined',
    () => kubeconfigText((c) => (c.contexts[0]!.context.user = 'nobody')),
    /names user "nobody", which is not defined/,
  ],
  ['a cluster entry without its cluster', () => kubeconfigText((c) => delete c.clusters[0]!.cluster), /clusters\[0\]\.cluster is missing/],
  ['a server that is not a URL', () => kubeconfigText((c) => (c.clusters[0]!.cluster!.server = 'not a url')), /server is not a URL/],
  ['a server of the wrong type', () => kubeconfigText((c) => (c.clusters[0]!.cluster!.server = 5)), /not a kubeconfig|server is not a URL/],
  [
    'plain http without insecure-skip-tls-verify',
    () => kubeconfigText((c) => (c.clusters[0]!.cluster!.server = 'http://127.0.0.1:8080')),
    /server must be an https:\/\/ URL/,
  ],
  [
    'a certificate-authority file that does not exist',
    () => kubeconfigText((c) => (c.clusters[0]!.cluster!['certificate-authority'] = '/nonexistent/ca.crt')),
    /cluster "c" certificate-authority \/nonexistent\/ca\.crt: no such file/,
  ],
  [
    'a client-key file that does not exist',
    () =>
      kubeconfigText((c) =>
        Object.assign(c.users[0]!.user, { 'client-certificate': path.join(TLS_DIR, 'server.crt'), 'client-key': path.join(dir, 'missing.key') }),
      ),
    /user "u" client-key .*missing\.key: no such file/,
  ],
  [
    'a client-certificate that is a directory',
    () => kubeconfigText((c) => Object.assign(c.users[0]!.user, { 'client-certificate': dir, 'client-key': path.join(TLS_DIR, 'server.key') })),
    /user "u" client-certificate .*: is a directory/,
  ],
];

describe('kubeconfig', () => {
  test.each(KUBECONFIGS)('%s: exit 2, one line naming the file', async (name, content, says) => {
    const f = file(`kubeconfigs/${name.replace(/\W+/g, '-')}`, content());
    for (const command of [['audit'], ['snapshot', '-o', path.join(dir, 'never.json')]]) {
      expectRejected(await runMain([...command, '--kubeconfig', f]), path.basename(f), says);
    }
  });

  test('unreadable: missing, a directory, and (when not root) no permission', async () => {
    expectRejected(await runMain(['audit', '--kubeconfig', path.join(dir, 'no-such-kubeconfig')]), 'no-such-kubeconfig', /no such file/);
    expectRejected(await runMain(['audit', '--kubeconfig', dir]), dir, /is a directory/);
    if (process.getuid?.() !== 0) {
      const f = file(
        'kubeconfigs/locked',
        kubeconfigText(() => undefined),
      );
      execFileSync('chmod', ['000', f]);
      expectRejected(await runMain(['audit', '--kubeconfig', f]), 'locked', /permission denied/);
    }
    expectRejected(await runMain(['audit'], { env: { KUBECONFIG: path.join(dir, 'a-missing-file') } }), 'a-missing-file', /KUBECONFIG names no existing file/);
  });
});

// ---------------------------------------------------------------------------------------------

const list = (kind: string, items: unknown[]): string => JSON.stringify({ apiVersion: 'v1', kind, items });

const SNAPSHOTS: [string, string, () => string | Buffer, RegExp][] = [
  ['invalid JSON (cut short)', 'cut.json', () => '{"apiVersion":"v1","kind":"List","items": [', /invalid JSON: the file ends inside items/],
  ['invalid JSON (syntax)', 'syntax.json', () => '{,}', /invalid JSON: .*\(byte 1\)/],
  ['invalid YAML (tabs)', 'tabs.yaml', () => 'apiVersion: v1\nkind: List\nitems:\n\t- a\n', /:\d+: invalid YAML/],
  ['invalid YAML (unclosed flow)', 'flow.yaml', () => 'items: [a, b\n', /invalid YAML/],
  [
    'a YAML alias bomb',
    'bomb.yaml',
    () => ['a: &a [1,1,1,1,1,1,1,1,1]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)].join('\n'),
    /invalid YAML: Excessive alias count/,
  ],
  ['a string', 'string.json', () => '"hello"', /field \(document\) must be a Kubernetes object or list/],
  ['a number', 'number.yaml', () => '42\n', /field \(document\) must be a Kubernetes object or list/],
  ['an array of numbers', 'array.json', () => '[1, 2, 3]', /must be a Kubernetes object or list/],
  ['items that are not an array', 'items.json', () => JSON.stringify({ kind: 'List', items: 'nope' }), /field items must be an array/],
  [
    'a typed list whose items are an object',
    'typed.json',
    () => JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: {} }),
    /field items must be an array/,
  ],
  ['labels: 5', 'labels.json', () => list('NamespaceList', [{ metadata: { name: 'a', labels: 5 } }]), /field items\[0\]\.metadata\.labels must be/],
  [
    'a label value that is a number',
    'label-value.json',
    () => list('NamespaceList', [{ metadata: { name: 'a', labels: { team: 5 } } }]),
    /field items\[0\]\.metadata\.labels\.team must be a string/,
  ],
  ['metadata: a string', 'metadata.json', () => list('NamespaceList', [{ metadata: 'x' }]), /field items\[0\]\.metadata must be an object/],
  ['name: a number', 'name.json', () => list('NamespaceList', [{ metadata: { name: 5 } }]), /field items\[0\]\.metadata\.name must be a non-empty string/],
  [
    'namespace: a list',
    'namespace.json',
    () => list('PodList', [{ metadata: { name: 'p', namespace: ['a'] } }]),
    /field items\[0\]\.metadata\.namespace must be a string/,
  ],
  [
    'annotations: a list',
    'annotations.yaml',
    () => 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  annotations: [x]\n',
    /metadata\.annotations must be/,
  ],
  ['an item without metadata', 'no-metadata.json', () => list('PodList', [{}]), /field items\[0\]\.metadata must be an object/],
  [
    'an item without a name',
    'no-name.json',
    () => list('PodList', [{ metadata: { namespace: 'a' } }]),
    /field items\[0\]\.metadata\.name must be a non-empty string/,
  ],
  ['a list without kind', 'no-kind.json', () => JSON.stringify({ items: [{ metadata: { name: 'p' } }] }), /field kind must be a non-empty string/],
  ['binary junk in a .json file', 'junk.json', () => junk(8192), /binary data, not JSON or YAML/],
  ['binary junk in a .yaml file', 'junk.yaml', () => junk(8192), /binary data|invalid YAML/],
  ['junk without NUL bytes', 'junk-no-nul.yaml', () => junk(8192, false), /invalid YAML|must be a Kubernetes object|binary/],
  ['a UTF-16 file', 'utf16.json', () => Buffer.from('\ufeff{"kind":"List"}', 'utf16le'), /binary data|invalid JSON/],
  ['an empty file', 'empty.yaml', () => '', /the file is empty/],
];

describe('snapshot', () => {
  test.each(SNAPSHOTS)('%s: exit 2, one line naming the file and field', async (_name, base, content, says) => {
    const f = file(`snapshots/${base}`, content());
    expectRejected(await runMain(['audit', '--snapshot', f]), base, says);
  });

  test('wrong types deeper than the loader looks are audited: the checks stay within the contract', async () => {
    const pod = (spec: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      metadata: { name: 'p', namespace: 'team-a', ...extra },
      spec,
      status: { phase: 'Running' },
    });
    const cases: [string, unknown[]][] = [
      ['containers: a string', [pod({ containers: 'x' })]],
      ['image: a number', [pod({ containers: [{ name: 'a', image: 5 }] })]],
      ['a container that is null', [pod({ containers: [null, { name: 'b', image: 'alpine' }] })]],
      ['securityContext: a list', [pod({ containers: [{ name: 'a', image: 'alpine', securityContext: [] }] })]],
      ['env: an object', [pod({ containers: [{ name: 'a', image: 'alpine', env: { A: 1 } }] })]],
      ['ownerReferences: a string', [pod({ containers: [] }, { ownerReferences: 'x' })]],
      ['spec: null', [pod(null)]],
      ['status: a number', [{ ...pod({ containers: [{ name: 'a', image: 'alpine' }] }), status: 7 }]],
      ['labels: {} and annotations: {}', [pod({ containers: [{ name: 'a', image: 'alpine' }] }, { labels: {}, annotations: {} })]],
    ];
    for (const [name, pods] of cases) {
      const f = file(
        `snapshots/deep/${name.replace(/\W+/g, '-')}.json`,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            { apiVersion: 'v1', kind: 'PodList', items: pods },
            { apiVersion: 'v1', kind: 'NamespaceList', items: [{ metadata: { name: 'team-a' } }] },
          ],
        }),
      );
      const report = expectAudited(await runMain(['audit', '--snapshot', f, '--format', 'json']));
      expect(report.inventory.find((k) => k.kind === 'Pod')).toMatchObject({ status: 'ok', count: 1 });
    }
  });

  test('a document that is null is no data: every check unknown, nothing passes or fails', async () => {
    const f = file('snapshots/null.json', 'null');
    const report = expectAudited(await runMain(['audit', '--snapshot', f, '--format', 'json']));
    expect(report.coverage).toBe(0);
    expect(report.checks.filter((c) => c.status === 'pass' || c.status === 'fail')).toEqual([]);
  });

  test('a missing path and a folder without snapshot files', async () => {
    expectRejected(await runMain(['audit', '--snapshot', path.join(dir, 'nowhere')]), 'nowhere', /no such file or directory/);
    mkdirSync(path.join(dir, 'empty-folder'), { recursive: true });
    file('empty-folder/notes.txt', 'not a snapshot');
    expectRejected(await runMain(['audit', '--snapshot', path.join(dir, 'empty-folder')]), 'empty-folder', /holds no \.json, \.yaml or \.yml file/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('a 1 GB snapshot', () => {
  const GB = 1024 * 1024 * 1024;

  /** A 1 GB file: `head`, then real bytes up to `realBytes`, then a sparse hole (NUL when read). */
  function sparse(name: string, head: string, fill: number, realBytes: number, tail = ''): string {
    const f = path.join(dir, name);
    const fd = openSync(f, 'w');
    try {
      writeSync(fd, head);
      const chunk = Buffer.alloc(16 * 1024 * 1024, fill);
      let written = Buffer.byteLength(head);
      while (written < realBytes) written += writeSync(fd, chunk, 0, Math.min(chunk.length, realBytes - written));
      if (tail) writeSync(fd, tail, GB - Buffer.byteLength(tail));
      ftruncateSync(fd, GB);
    } finally {
      closeSync(fd);
    }
    return f;
  }

  test('a JSON list running into a hole of NUL bytes is rejected at once as binary', async () => {
    const f = sparse('sparse.json', '{"apiVersion":"v1","kind":"NamespaceList","items":[{"metadata":{"name":"a"}},', 0x20, 0);
    try {
      const run = await runMain(['audit', '--snapshot', f]);
      expectRejected(run, 'sparse.json', /binary data, not JSON or YAML/);
    } finally {
      rmSync(f, { force: true });
    }
  });

  test('a 1 GB YAML file is refused by size before it is read', async () => {
    const f = sparse('huge.yaml', 'apiVersion: v1\nkind: List\nitems:\n', 0x20, 0);
    try {
      const run = await runMain(['audit', '--snapshot', f]);
      expectRejected(run, 'huge.yaml', /1024 MiB is larger than the 512 MiB a YAML snapshot file may be/);
    } finally {
      rmSync(f, { force: true });
    }
  });

  test('one value of hundreds of MB is refused with bounded memory (a child with a 64 MB heap)', async () => {
    const f = sparse(
      'giant-value.json',
      '{"apiVersion":"v1","kind":"NamespaceList","items":[{"metadata":{"name":"a","annotations":{"x":"',
      0x61,
      200 * 1024 * 1024,
    );
    try {
      const run = await runBuiltCli(process.execPath, ['audit', '--snapshot', f], { NODE_OPTIONS: '--max-old-space-size=64' });
      expectRejected(run, 'giant-value.json', /a value larger than 128 MiB, which no Kubernetes object is \(byte \d+, in items\[0\]\)/);
    } finally {
      rmSync(f, { force: true });
    }
  });

  test('1 GB of valid JSON is streamed in bounded memory (a child with a 64 MB heap)', () => {
    // Two namespaces with a gigabyte of whitespace between them: valid, and all of it must be read.
    const f = path.join(dir, 'padded.json');
    const fd = openSync(f, 'w');
    try {
      writeSync(fd, '{"apiVersion":"v1","kind":"NamespaceList","items":[{"metadata":{"name":"a"}},');
      const spaces = Buffer.alloc(16 * 1024 * 1024, 0x20);
      for (let i = 0; i < 64; i++) writeSync(fd, spaces);
      writeSync(fd, '{"metadata":{"name":"b"}}]}');
    } finally {
      closeSync(fd);
    }
    try {
      const script = `
        const { loadSnapshot } = await import(${JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'dist', 'src', 'inventory', 'snapshot.js')).href)});
        const inv = loadSnapshot([${JSON.stringify(f)}]);
        const ns = inv.kinds.get('Namespace');
        // The peak of this process's own memory: VmHWM belongs to the address space exec made.
        // getrusage's maxRSS is not: Linux carries over the peak of the forked copy of the parent
        // (here a Jest worker of a few hundred MB), which made this test fail when the worker was large.
        const { readFileSync } = await import('node:fs');
        const hwm = /^VmHWM:\\s+(\\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
        const peakKb = hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS;
        console.log(JSON.stringify({ status: ns.status, names: ns.items.map((n) => n.metadata.name), maxRssMb: Math.round(peakKb / 1024) }));`;
      const out = execFileSync(process.execPath, ['--max-old-space-size=64', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      const result = JSON.parse(out) as { status: string; names: string[]; maxRssMb: number };
      tally.tried++;
      tally.audited++;
      expect(result.status).toBe('ok');
      expect(result.names).toEqual(['a', 'b']);
      expect(result.maxRssMb).toBeLessThan(300);
    } finally {
      rmSync(f, { force: true });
    }
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

const CONFIGS: [string, string, () => string | Buffer, RegExp][] = [
  ['bad YAML', 'bad.yaml', () => 'systemNamespaces: [a\n', /invalid YAML/],
  ['an unknown field', 'unknown.yaml', () => 'frobnicate: true\n', /field \(top level\): has unknown field "frobnicate"/],
  ['an unknown nested field', 'nested.yaml', () => 'checks:\n  enable: [MT-04]\n', /field checks: has unknown field "enable"/],
  ['systemNamespaces: 5', 'type.yaml', () => 'systemNamespaces: 5\n', /field systemNamespaces: must be array/],
  ['a namespace that is a number', 'item-type.yaml', () => 'systemNamespaces: [kube-system, 5]\n', /field systemNamespaces\.1: must be string/],
  ['checks.disable: a string', 'disable.yaml', () => 'checks:\n  disable: NP-02\n', /field checks\.disable: must be array/],
  ['categories.die: "yes"', 'category.yaml', () => 'categories:\n  die: "yes"\n', /field categories\.die: must be boolean/],
  [
    'a catalogue entry missing a field',
    'catalog.yaml',
    () => 'catalogs:\n  osFamilies:\n    - id: x\n',
    /field catalogs\.osFamilies\.0: needs one of providerID, osImage, kernelVersion, labels, labelSets/,
  ],
  ['a list at the top', 'list.yaml', () => '- a\n- b\n', /field \(top level\): must be object/],
  ['a number in JSON', 'number.json', () => '42', /field \(top level\): must be object/],
  [
    'a YAML alias bomb',
    'bomb.yaml',
    () => ['a: &a [1,1,1,1,1,1,1,1,1]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)].join('\n'),
    /invalid YAML: Excessive alias count/,
  ],
  ['binary junk', 'junk.yaml', () => junk(4096), /invalid YAML/],
];

describe('config file', () => {
  test.each(CONFIGS)('%s: exit 2, one line naming the file and field', async (_name, base, content, says) => {
    const f = file(`configs/${base}`, content());
    expectRejected(await runMain(['audit', '--snapshot', DEMO, '--config', f]), base, says);
  });

  test('missing, and a directory', async () => {
    expectRejected(await runMain(['audit', '--snapshot', DEMO, '--config', path.join(dir, 'no-config.yaml')]), 'no-config.yaml', /cannot read: ENOENT/);
    expectRejected(await runMain(['audit', '--snapshot', DEMO, '--config', dir]), dir, /cannot read: EISDIR/);
  });

  test('a check option of the wrong type or a misspelled one: exit 2, one line naming the field (the engine validates options)', async () => {
    const wrongType = file('configs/option.yaml', 'checks:\n  options:\n    IMG-04:\n      registries: 5\n');
    expectRejected(
      await runMain(['audit', '--snapshot', DEMO, '--config', wrongType, '--format', 'json']),
      'option.yaml',
      /field checks\.options\.IMG-04\.registries: must be array/,
    );
    const typo = file('configs/option-typo.yaml', 'checks:\n  options:\n    IMG-04:\n      registrys: [registry.corp.io]\n');
    expectRejected(
      await runMain(['audit', '--snapshot', DEMO, '--config', typo]),
      'option-typo.yaml',
      /field checks\.options\.IMG-04\.registrys: unknown option \(IMG-04 takes: registries\)/,
    );
  });
});
