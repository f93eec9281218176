/**
 * A finding's `verify` command is meant to be pasted into a shell, and the names in it come from
 * the cluster. A snapshot whose namespaces and node pool are named to break out of a command
 * (`a;touch pwned;#`, `$(touch …)`, quotes) is audited in-process; every verify command of the
 * report is then run by a real POSIX shell (/bin/sh) with `kubectl` and `grep` replaced by stubs
 * on PATH that record their arguments. Each command must pass kubectl exactly the intended
 * arguments and run nothing else: no file appears in the folder it runs in.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syntheticCluster } from '../support/fixture-cluster.js';
import { runMain } from '../support/fixture-cli.js';

const NAMESPACES: Record<string, string> = {
  'team-a': 'a;touch pwned-semicolon;#',
  'team-b': '$(touch pwned-subst)',
  'team-c': "c'; touch pwned-quote; echo '`touch pwned-backtick`",
};
const POOL = 'pool;touch pwned-pool';

/** The synthetic cluster with its tenant namespaces renamed and its nodes in one hostile pool. */
function hostileCluster(): unknown {
  const rename = (value: unknown): unknown => {
    if (typeof value === 'string') return NAMESPACES[value] ?? value;
    if (Array.isArray(value)) return value.map(rename);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rename(v)]));
    return value;
  };
  const list = rename(syntheticCluster()) as { items: { kind: string; items: { metadata: { labels: Record<string, string> } }[] }[] };
  for (const node of list.items.find((l) => l.kind === 'NodeList')!.items) node.metadata.labels['eks.amazonaws.com/nodegroup'] = POOL;
  return list;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `kubectl` and `grep` stubs that write their name and arguments, NUL-separated, to a file each. */
function stubs(): { bin: string; calls: string } {
  const bin = path.join(dir, 'bin');
  const calls = path.join(dir, 'calls');
  mkdirSync(bin, { recursive: true });
  mkdirSync(calls, { recursive: true });
  for (const name of ['kubectl', 'grep']) {
    const stub = path.join(bin, name);
    writeFileSync(stub, `#!/bin/sh\nprintf '%s\\0' "${name}" "$@" > "$(mktemp "$KPOSTURE_CALLS/${name}.XXXXXX")"\n`);
    chmodSync(stub, 0o755);
  }
  return { bin, calls };
}

interface Ran {
  argvs: string[][];
  created: string[];
  status: number | null;
}

/** Runs `line` with /bin/sh in an empty folder; returns what the stubs were called with and what files appeared. */
function runInShell(line: string, env: { bin: string; calls: string }): Ran {
  const cwd = mkdtempSync(path.join(dir, 'cwd-'));
  for (const f of readdirSync(env.calls)) rmSync(path.join(env.calls, f));
  const { status } = spawnSync('/bin/sh', ['-c', line], {
    cwd,
    env: { PATH: `${env.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, KPOSTURE_CALLS: env.calls },
    stdio: 'ignore',
  });
  const argvs = readdirSync(env.calls)
    .map((f) => readFileSync(path.join(env.calls, f), 'utf8').split('\0').slice(0, -1))
    .sort((a, b) => a.join(' ').localeCompare(b.join(' '), 'en'));
  return { argvs, created: readdirSync(cwd), status };
}

interface JsonFinding {
  messageId: string;
  resource: { kind: string; name: string; namespace?: string };
  verify: string;
  explainedBy?: unknown;
}

describe('verify commands of a cluster whose names are shell syntax', () => {
  const snapshot = path.join(dir, 'cluster.json');
  writeFileSync(snapshot, JSON.stringify(hostileCluster()));
  const env = stubs();
  let findings: { check: string; f: JsonFinding }[] = [];
  beforeAll(async () => {
    const json = await runMain(['audit', '--snapshot', snapshot, '--format', 'json']);
    if (json.code !== 0) throw new Error(`audit failed: ${json.stderr}`);
    const report = JSON.parse(json.stdout) as { checks: { id: string; findings: JsonFinding[] }[] };
    findings = report.checks.flatMap((c) => c.findings.map((f) => ({ check: c.id, f })));
  });

  it('are carried the same by the JSON and SARIF reports', async () => {
    const sarif = await runMain(['audit', '--snapshot', snapshot, '--format', 'sarif']);
    const results = (JSON.parse(sarif.stdout) as { runs: { results: { properties: { verify: string } }[] }[] }).runs[0]!.results;
    // SARIF leaves out the findings another finding of the same root cause explains (docs/sarif.md).
    const standing = findings.filter(({ f }) => f.explainedBy === undefined);
    expect(standing.length).toBeLessThan(findings.length);
    expect(results.map((r) => r.properties.verify).sort()).toEqual(standing.map(({ f }) => f.verify).sort());
    // The hostile names do reach verify commands (MT-03, MT-04, NP-02..04, IMG-03, OS-02 at least).
    for (const name of Object.values(NAMESPACES)) expect(findings.filter(({ f }) => f.verify.includes(shellWord(name))).length).toBeGreaterThan(3);
    expect(findings.some(({ f }) => f.verify.includes(shellWord(`eks.amazonaws.com/nodegroup=${POOL}`)))).toBe(true);
  });

  it('run nothing but kubectl and grep, and create no file', () => {
    expect(findings.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const { check, f } of findings) {
      const ran = runInShell(f.verify, env);
      const strangers = ran.argvs.filter((argv) => argv[0] !== 'kubectl' && argv[0] !== 'grep');
      if (ran.created.length > 0 || strangers.length > 0 || ran.argvs.length === 0 || ran.status !== 0) {
        problems.push(`${check} ${f.verify}: exit ${ran.status}, created ${JSON.stringify(ran.created)}, ran ${JSON.stringify(ran.argvs)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('pass kubectl each hostile name as exactly one argument', () => {
    const ns = NAMESPACES['team-b']!;
    const byMessage = (check: string, messageId: string, namespace: string): string =>
      findings.find(({ check: c, f }) => c === check && f.messageId === messageId && (f.resource.namespace ?? f.resource.name) === namespace)!.f.verify;
    expect(runInShell(byMessage('MT-04', 'weak', ns), env).argvs).toEqual([['kubectl', 'get', 'namespace', ns, '--show-labels']]);
    for (const name of Object.values(NAMESPACES)) {
      expect(runInShell(byMessage('MT-03', 'missingBoth', name), env).argvs).toEqual([
        ['kubectl', '-n', name, 'get', 'resourcequota,limitrange', '-o', 'wide'],
      ]);
    }
    const drift = findings.find(({ check }) => check === 'OS-02')!.f.verify;
    expect(runInShell(drift, env).argvs[0]!.slice(0, 5)).toEqual(['kubectl', 'get', 'nodes', '-l', `eks.amazonaws.com/nodegroup=${POOL}`]);
  });

  it('keep ordinary names bare, as a person would type them', () => {
    const web = findings.find(({ check, f }) => check === 'IMG-03' && f.resource.name === 'web')!.f.verify;
    expect(web).toMatch(/^kubectl -n '[^']*(?:'\\''[^']*)*' get deployment web -o 'jsonpath=/);
    const osImages = findings.find(({ check }) => check === 'OS-01')!.f.verify;
    expect(osImages).toBe('kubectl get nodes -o custom-columns=NAME:.metadata.name,OS:.status.nodeInfo.osImage');
  });
});

/** How the quoted name reads inside a command (mirrors util/shell.ts, checked by test/util/shell.test.ts). */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}
