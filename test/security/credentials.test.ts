/**
 * Credentials never leave the process: with a known bearer token, a client key, a password, and
 * an exec plugin's output planted, every byte kposture prints (stdout, stderr, `--debug`
 * included) and writes (reports in every format, the snapshot file) is searched for them, on
 * success and on failure (401, a failing plugin, an unreachable server), in the clear and base64.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { closedPort, startFixtureServer, TLS_DIR, type FixtureServer } from '../support/fixture-server.js';
import { writeSyntheticCluster } from '../support/fixture-cluster.js';
import { runMain, type CliRun } from '../support/fixture-cli.js';
import { readOnlyViolations } from '../support/read-only.js';

const TOKEN = 'kp-known-token-4f9d8e7c6b5a49382716';
const EXEC_TOKEN = 'kp-exec-token-0a1b2c3d4e5f60718293';
const PASSWORD = 'kp-password-77aa66bb55cc';
const PLUGIN_NOISE = 'kp-plugin-stderr-3c4d5e';
const KEY_PEM = readFileSync(path.join(TLS_DIR, 'server.key'), 'utf8');
const CERT_PEM = readFileSync(path.join(TLS_DIR, 'server.crt'), 'utf8');

/** What must never show up, in the forms it could take. */
const NEEDLES: Record<string, string[]> = {
  token: [TOKEN, Buffer.from(TOKEN).toString('base64')],
  'exec token': [EXEC_TOKEN, Buffer.from(EXEC_TOKEN).toString('base64')],
  password: [PASSWORD, Buffer.from(`auditor:${PASSWORD}`).toString('base64')],
  'plugin stderr': [PLUGIN_NOISE],
  // The key's body lines (any one of them is a leak) and the kubeconfig's base64 of the whole PEM.
  'client key': [
    ...KEY_PEM.split('\n')
      .filter((l) => l.length >= 40 && !l.startsWith('-----'))
      .slice(0, 5),
    Buffer.from(KEY_PEM).toString('base64').slice(0, 60),
  ],
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-creds-'));
const cluster = writeSyntheticCluster({ namespaces: 2, podsPerNamespace: 2 });
const servers: FixtureServer[] = [];
let searched = 0;

afterAll(async () => {
  expect(readOnlyViolations(servers.flatMap((s) => s.requests))).toEqual([]);
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(token: string): Promise<FixtureServer> {
  const s = await startFixtureServer({ snapshot: [cluster], token });
  servers.push(s);
  return s;
}

function kubeconfig(server: string, user: Record<string, unknown>, name: string): string {
  const file = path.join(mkdtempSync(path.join(dir, `${name}-`)), 'config');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': Buffer.from(readFileSync(path.join(TLS_DIR, 'ca.crt'))).toString('base64') } }],
      users: [{ name: 'u', user }],
      contexts: [{ name, context: { cluster: 'c', user: 'u' } }],
      'current-context': name,
    }),
    { mode: 0o600 },
  );
  return file;
}

function plugin(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!${process.execPath}\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Runs every live command with --debug, writing every report format, and returns all it printed and wrote. */
async function everything(kc: string): Promise<{ runs: CliRun[]; text: string }> {
  const out = mkdtempSync(path.join(dir, 'out-'));
  const runs = [
    await runMain([
      'audit',
      '--debug',
      '--kubeconfig',
      kc,
      '--format',
      'json',
      '-o',
      path.join(out, 'report.json'),
      '--report',
      `sarif=${path.join(out, 'report.sarif')}`,
      '--report',
      `table=${path.join(out, 'report.txt')}`,
    ]),
    await runMain(['--debug', 'audit', '--kubeconfig', kc, '--request-timeout', '5']),
    await runMain(['snapshot', '--debug', '--kubeconfig', kc, '-o', path.join(out, 'snapshot.json')]),
  ];
  const files = readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8'));
  return { runs, text: [...runs.flatMap((r) => [r.stdout, r.stderr]), ...files].join('\n') };
}

function expectNoCredential(text: string): void {
  searched += text.length;
  const found = Object.entries(NEEDLES)
    .filter(([, forms]) => forms.some((f) => text.includes(f)))
    .map(([what]) => what);
  expect(found).toEqual([]);
}

describe('nothing printed or written carries a credential', () => {
  beforeAll(() => {
    expect(NEEDLES['client key']!.length).toBeGreaterThan(3);
  });

  test('a bearer token with a client certificate and key: success, with --debug', async () => {
    const server = await serve(TOKEN);
    const kc = kubeconfig(
      server.url,
      { token: TOKEN, 'client-certificate-data': Buffer.from(CERT_PEM).toString('base64'), 'client-key-data': Buffer.from(KEY_PEM).toString('base64') },
      'token-and-key',
    );
    const { runs, text } = await everything(kc);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    // The debug log is there (so there was something to leak into), and every request was authenticated.
    expect(text).toMatch(/GET \/api\/v1\/pods\?limit=500/);
    expect(server.requests.length).toBeGreaterThan(20);
    expect(server.requests.filter((r) => r.status === 401)).toEqual([]);
    expectNoCredential(text);
  });

  test('an exec credential plugin: its token and its stderr stay inside', async () => {
    const server = await serve(EXEC_TOKEN);
    const cmd = plugin(
      'exec-ok.mjs',
      `process.stderr.write('${PLUGIN_NOISE} issuing ${EXEC_TOKEN}\\n');
console.log(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: '${EXEC_TOKEN}', expirationTimestamp: '2999-01-01T00:00:00Z' } }));`,
    );
    const kc = kubeconfig(server.url, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: cmd, interactiveMode: 'Never' } }, 'exec');
    const { runs, text } = await everything(kc);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(server.requests.filter((r) => r.status === 401)).toEqual([]);
    expectNoCredential(text);
  });

  test('failures with --debug (stack traces printed): rejected token, rejected password, failing plugin, unreachable server', async () => {
    const server = await serve('the-only-accepted-token');
    const failing = plugin('exec-fail.mjs', `process.stderr.write('${PLUGIN_NOISE}: cannot refresh ${EXEC_TOKEN}\\n'); process.exit(1);`);
    const garbage = plugin('exec-garbage.mjs', `console.log('token: ${EXEC_TOKEN}');`);
    const unreachable = `https://127.0.0.1:${await closedPort()}`;
    const configs = [
      kubeconfig(server.url, { token: TOKEN }, 'rejected-token'),
      kubeconfig(server.url, { username: 'auditor', password: PASSWORD }, 'rejected-password'),
      kubeconfig(server.url, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: failing } }, 'failing-plugin'),
      kubeconfig(server.url, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: garbage } }, 'garbage-plugin'),
      kubeconfig(
        unreachable,
        { token: TOKEN, 'client-key-data': Buffer.from(KEY_PEM).toString('base64'), 'client-certificate-data': Buffer.from(CERT_PEM).toString('base64') },
        'unreachable',
      ),
    ];
    for (const kc of configs) {
      const { runs, text } = await everything(kc);
      expect(runs.map((r) => r.code)).toEqual([3, 3, 3]);
      // --debug printed the stack of the error: the place a cause's message could leak.
      expect(runs[0]!.stderr).toMatch(/\n\s+at /);
      expectNoCredential(text);
    }
  });

  test('searched a meaningful amount of output', () => {
    expect(searched).toBeGreaterThan(50_000);
  });
});
