/**
 * Credentials that cannot be sent fail loudly, before any request: a client certificate or key
 * Node cannot read, a key that is not the certificate's, a token with CR/LF, a tokenFile that is
 * missing, a directory or empty, the same faults in an exec plugin's ExecCredential, and a
 * kubeconfig that is a YAML alias bomb. Each is exit 2 with one line naming the context, user and
 * field (or the file), and never a part of the credential. A plugin that leaves a child holding
 * its stdout cannot keep kposture alive past --timeout: its process group is killed.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFixtureServer, writeKubeconfigFor, TLS_DIR, type FixtureServer } from '../support/fixture-server.js';
import { writeSyntheticCluster } from '../support/fixture-cluster.js';
import { runBuiltCli, runMain, type CliRun } from '../support/fixture-cli.js';
import { KpostureError } from '../../src/errors.js';
import { collectLiveInventory } from '../../src/inventory/live.js';
import { KINDS } from '../../src/k8s/kinds.js';

const TOKEN = 'kp-broken-creds-token-5e6f7a8b9c0d';
const CERT_PEM = readFileSync(path.join(TLS_DIR, 'server.crt'), 'utf8');
const KEY_PEM = readFileSync(path.join(TLS_DIR, 'server.key'), 'utf8');
/** A real EC key that is not the certificate's. */
const OTHER_KEY_PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** Lines of the keys: any one of them printed is a leak. */
const KEY_LINES = [KEY_PEM, OTHER_KEY_PEM].flatMap((pem) => pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----')));
const b64 = (s: string): string => Buffer.from(s).toString('base64');

const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-broken-creds-'));
const cluster = writeSyntheticCluster({ namespaces: 1, podsPerNamespace: 2 });
let server: FixtureServer | undefined;
/** Processes a plugin left behind, killed whatever the outcome. */
const leftovers: number[] = [];

afterAll(async () => {
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  await server?.close();
});

async function fixture(): Promise<FixtureServer> {
  server ??= await startFixtureServer({ snapshot: [cluster], token: TOKEN });
  return server;
}

function file(name: string, content: string): string {
  const f = path.join(mkdtempSync(path.join(dir, 'f-')), name);
  writeFileSync(f, content, { mode: 0o600 });
  return f;
}

function kubeconfig(s: FixtureServer, user: Record<string, unknown>, context: string): string {
  return writeKubeconfigFor({ server: s.url, 'certificate-authority': path.join(TLS_DIR, 'ca.crt') }, user, {
    context,
    dir: mkdtempSync(path.join(dir, 'kc-')),
  });
}

/** An executable node script printing an ExecCredential with this status; named after the case. */
function execPlugin(name: string, status: Record<string, unknown>): Record<string, unknown> {
  const cmd = path.join(mkdtempSync(path.join(dir, 'plugin-')), name);
  writeFileSync(
    cmd,
    `#!${process.execPath}\nconsole.log(${JSON.stringify(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status }))});\n`,
  );
  chmodSync(cmd, 0o755);
  return { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: cmd, interactiveMode: 'Never' } };
}

function expectOneLine(run: CliRun, prefix: string, says: RegExp): void {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 2 });
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(prefix)).toBe(true);
  expect(lines[0]!.slice(prefix.length)).toMatch(says);
  expect(run.stderr).not.toMatch(/\n\s+at |Error:/);
  expect(run.stdout).toBe('');
}

function expectNoSecret(run: CliRun, planted: string[]): void {
  const text = run.stdout + run.stderr;
  expect([TOKEN, ...planted, ...KEY_LINES].filter((secret) => text.includes(secret))).toEqual([]);
}

interface Broken {
  name: string;
  user: (s: FixtureServer) => Record<string, unknown>;
  /** The rest of the line after `context "…", user "…": `. */
  says: RegExp | ((user: Record<string, unknown>) => RegExp);
  planted?: string[];
}

const GARBAGE_CERT = 'kp-not-a-certificate-2a3b4c';
const GARBAGE_KEY = 'kp-not-a-key-5d6e7f';
const CRLF_TOKEN = `${TOKEN}\r\nX-Injected: kp-injected-8a9b`;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const KUBECONFIG_CASES: Broken[] = [
  {
    name: 'client-certificate-data that is not a PEM certificate',
    user: () => ({ 'client-certificate-data': b64(GARBAGE_CERT), 'client-key-data': b64(KEY_PEM) }),
    says: /^client-certificate-data is not a PEM certificate \(OpenSSL: [^)]+\) \(fix the user's credentials in the kubeconfig/,
    planted: [GARBAGE_CERT, b64(GARBAGE_CERT)],
  },
  {
    name: 'client-key-data that is not a private key',
    user: () => ({ 'client-certificate-data': b64(CERT_PEM), 'client-key-data': b64(GARBAGE_KEY) }),
    says: /^client-key-data is not a usable PEM private key \(OpenSSL: [^)]+\)/,
    planted: [GARBAGE_KEY, b64(GARBAGE_KEY)],
  },
  {
    name: 'a certificate and a key that are not a pair',
    user: () => ({ 'client-certificate-data': b64(CERT_PEM), 'client-key-data': b64(OTHER_KEY_PEM) }),
    says: /^client-certificate-data and client-key-data do not match: the key is not the certificate's/,
  },
  {
    name: 'certificate and key files that are not a pair',
    user: () => ({ 'client-certificate': path.join(TLS_DIR, 'server.crt'), 'client-key': file('other.key', OTHER_KEY_PEM) }),
    says: (user) =>
      new RegExp(`^client-certificate ${escape(path.join(TLS_DIR, 'server.crt'))} and client-key ${escape(user['client-key'] as string)} do not match`),
  },
  {
    name: 'a client certificate without its key',
    user: () => ({ 'client-certificate-data': b64(CERT_PEM), token: TOKEN }),
    says: /^client-certificate-data has no client key to go with it/,
  },
  {
    name: 'a token with CR/LF',
    user: () => ({ token: CRLF_TOKEN }),
    says: /^token contains a character an HTTP header cannot carry \(CR, LF or another control character\)/,
    planted: ['kp-injected-8a9b'],
  },
  {
    name: 'an impersonated user name with CR/LF',
    user: () => ({ token: TOKEN, as: 'jane\r\nX-Injected: kp-injected-8a9b' }),
    says: /^as contains a character an HTTP header cannot carry/,
  },
  {
    name: 'a tokenFile whose token has a line break inside',
    user: () => ({ tokenFile: file('token', `${CRLF_TOKEN}\n`) }),
    says: (user) => new RegExp(`^the token in tokenFile ${escape(user.tokenFile as string)} contains a character an HTTP header cannot carry`),
    planted: ['kp-injected-8a9b'],
  },
  {
    name: 'a tokenFile that does not exist',
    user: () => ({ tokenFile: path.join(dir, 'no-such-token') }),
    says: new RegExp(`^tokenFile ${escape(path.join(dir, 'no-such-token'))}: no such file \\(fix the path in the kubeconfig`),
  },
  {
    name: 'a tokenFile that is a directory',
    user: () => ({ tokenFile: dir }),
    says: new RegExp(`^tokenFile ${escape(dir)}: is a directory`),
  },
  {
    name: 'a tokenFile that is empty',
    user: () => ({ tokenFile: file('token', '\n') }),
    says: /^tokenFile \S+: the file is empty/,
  },
];

describe('kubeconfig credentials that cannot be sent: exit 2 naming context, user and field, no request', () => {
  test.each(KUBECONFIG_CASES)('$name', async ({ name, user, says, planted = [] }) => {
    const s = await fixture();
    const context = name.replace(/\W+/g, '-');
    const fields = user(s);
    const kc = kubeconfig(s, fields, context);
    const before = s.requests.length;
    for (const command of ['audit', 'snapshot']) {
      const run = await runMain([command, '--kubeconfig', kc, ...(command === 'snapshot' ? ['-o', path.join(dir, `${context}.json`)] : [])]);
      expectOneLine(run, `kposture: kubeconfig ${kc}: context "${context}", user "${context}-user": `, typeof says === 'function' ? says(fields) : says);
      expectNoSecret(run, planted);
    }
    expect(s.requests.length).toBe(before);
    expect(existsSync(path.join(dir, `${context}.json`))).toBe(false);
  });

  test('usable credentials still pass: a certificate with its own key, and a tokenFile relative to the kubeconfig (read as kubectl reads it)', async () => {
    const s = await fixture();
    const kcDir = mkdtempSync(path.join(dir, 'kc-'));
    mkdirSync(path.join(kcDir, 'secrets'));
    writeFileSync(path.join(kcDir, 'secrets', 'token'), `${TOKEN}\n`, { mode: 0o600 });
    const kc = writeKubeconfigFor(
      { server: s.url, 'certificate-authority': path.join(TLS_DIR, 'ca.crt') },
      { tokenFile: 'secrets/token', 'client-certificate-data': b64(CERT_PEM), 'client-key-data': b64(KEY_PEM) },
      { context: 'usable', dir: kcDir },
    );
    const before = s.requests.length;
    const run = await runMain(['audit', '--kubeconfig', kc, '--format', 'json']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const requests = s.requests.slice(before);
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((r) => r.status !== 200)).toEqual([]);
  });
});

const EXEC_CASES: Broken[] = [
  {
    name: 'status.clientCertificateData that is not a PEM certificate',
    user: () => execPlugin('garbage-cert.mjs', { clientCertificateData: GARBAGE_CERT, clientKeyData: KEY_PEM }),
    says: /^the credential plugin "garbage-cert\.mjs" printed an ExecCredential whose status\.clientCertificateData is not a PEM certificate \(OpenSSL: [^)]+\) \(run the credential command by hand/,
    planted: [GARBAGE_CERT],
  },
  {
    name: 'a certificate and key that are not a pair',
    user: () => execPlugin('mismatch.mjs', { clientCertificateData: CERT_PEM, clientKeyData: OTHER_KEY_PEM }),
    says: /^the credential plugin "mismatch\.mjs" printed an ExecCredential whose status\.clientCertificateData and status\.clientKeyData do not match/,
  },
  {
    name: 'status.token with CR/LF',
    user: () => execPlugin('crlf-token.mjs', { token: CRLF_TOKEN }),
    says: /^the credential plugin "crlf-token\.mjs" printed an ExecCredential whose status\.token contains a character an HTTP header cannot carry/,
    planted: ['kp-injected-8a9b'],
  },
];

describe('an exec plugin that prints credentials that cannot be sent: exit 2 naming context, user and field, no request', () => {
  test.each(EXEC_CASES)('$name', async ({ name, user, says, planted = [] }) => {
    const s = await fixture();
    const context = name.replace(/\W+/g, '-');
    const kc = kubeconfig(s, user(s), context);
    const before = s.requests.length;
    const run = await runMain(['audit', '--kubeconfig', kc]);
    expectOneLine(run, `kposture: context "${context}", user "${context}-user": `, says as RegExp);
    expectNoSecret(run, planted);
    expect(s.requests.length).toBe(before);
  });
});

test('in a pod, a service account token with CR/LF: exit 2 naming the provider and the token, no request', async () => {
  const s = await fixture();
  const sa = mkdtempSync(path.join(dir, 'sa-'));
  writeFileSync(path.join(sa, 'token'), CRLF_TOKEN);
  writeFileSync(path.join(sa, 'ca.crt'), readFileSync(path.join(TLS_DIR, 'ca.crt')));
  const before = s.requests.length;
  const err = await collectLiveInventory({
    kinds: [KINDS.Namespace],
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(s.url).port },
    homeDir: mkdtempSync(path.join(dir, 'nohome-')),
    serviceAccountDir: sa,
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(KpostureError);
  expect((err as KpostureError).exitCode).toBe(2);
  expect((err as KpostureError).oneLine()).toMatch(
    /^context "in-cluster", user "in-cluster": the tokenFile credential provider made credentials that cannot be sent: the token contains a character an HTTP header cannot carry/,
  );
  expect((err as KpostureError).oneLine()).not.toContain('kp-injected-8a9b');
  expect(s.requests.length).toBe(before);
});

/**
 * Nine levels of nine aliases each would expand to 9^9 leaves; seven are enough to show it (on
 * the code before this test, client-node expanded them into the plugin's arguments: ~275 MiB
 * peak and an E2BIG, exit 3) without costing gigabytes where the limit is missing.
 */
function aliasBomb(s: FixtureServer, levels: number): string {
  const lines = ['x0: &a0 [xxxxxxxx, xxxxxxxx, xxxxxxxx, xxxxxxxx, xxxxxxxx, xxxxxxxx, xxxxxxxx, xxxxxxxx, xxxxxxxx]'];
  for (let i = 1; i < levels; i++)
    lines.push(
      `x${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  lines.push(
    `clusters: [{name: c, cluster: {server: "${s.url}", certificate-authority: "${path.join(TLS_DIR, 'ca.crt')}"}}]`,
    `users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true, args: *a${levels - 1}}}}]`,
    'contexts: [{name: bomb, context: {cluster: c, user: u}}]',
    'current-context: bomb',
  );
  return file('kubeconfig', `${lines.join('\n')}\n`);
}

describe('a kubeconfig that is a YAML alias bomb is refused before it is expanded', () => {
  const says = /^invalid YAML: Excessive alias count indicates a resource exhaustion attack \(a kubeconfig needs no YAML aliases/;

  test('given with --kubeconfig: exit 2 naming the file', async () => {
    const s = await fixture();
    const kc = aliasBomb(s, 7);
    expect(readFileSync(kc).length).toBeLessThan(800);
    const run = await runMain(['audit', '--kubeconfig', kc]);
    expectOneLine(run, `kposture: kubeconfig --kubeconfig ${kc}: `, says);
    expect(run.ms).toBeLessThan(10_000);
  });

  test('second in a KUBECONFIG path list: exit 2 naming that file', async () => {
    const s = await fixture();
    const first = kubeconfig(s, { token: TOKEN }, 'first');
    const bomb = aliasBomb(s, 7);
    const run = await runMain(['audit'], { env: { NO_COLOR: '1', KUBECONFIG: [first, bomb].join(path.delimiter) } });
    expectOneLine(run, `kposture: kubeconfig ${bomb}: `, says);
  });

  test('a kubeconfig with a few aliases (a shared cluster entry) is still read', async () => {
    const s = await fixture();
    const kc = file(
      'kubeconfig',
      [
        `clusters: [{name: a, cluster: &shared {server: "${s.url}", certificate-authority: "${path.join(TLS_DIR, 'ca.crt')}"}}, {name: b, cluster: *shared}]`,
        `users: [{name: u, user: {token: ${TOKEN}}}]`,
        'contexts: [{name: via-alias, context: {cluster: b, user: u}}]',
        'current-context: via-alias',
        '',
      ].join('\n'),
    );
    const run = await runMain(['audit', '--kubeconfig', kc, '--format', 'json']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

/** A process's state from /proc ('Z' for a zombie nobody reaped yet), or undefined when it is gone. */
function processState(pid: number): string | undefined {
  try {
    return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The child sleeps 600 s: a run that waited for it would take that long. The bound is far below
 * that and far above a loaded machine's start-up and --timeout (a bound, not a speed assertion).
 */
const STUCK_BOUND_MS = 90_000;

test(
  'a plugin that leaves a child holding its stdout: the built CLI exits at --timeout, and the child is killed with the plugin',
  async () => {
    const s = await fixture();
    const pluginDir = mkdtempSync(path.join(dir, 'stuck-'));
    const pidFile = path.join(pluginDir, 'child.pid');
    const plugin = path.join(pluginDir, 'stuck-plugin.sh');
    // A valid credential, printed by a plugin that exits at once; the background sleep keeps the
    // pipe open, and client-node waits for the pipe to close.
    writeFileSync(
      plugin,
      `#!/bin/sh\nsleep 600 &\necho $! > '${pidFile}'\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${TOKEN}"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const kc = writeKubeconfigFor(
      { server: s.url, 'certificate-authority': path.join(TLS_DIR, 'ca.crt') },
      { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } },
      { context: 'stuck', dir: pluginDir },
    );
    const running = runBuiltCli(process.execPath, ['audit', '--kubeconfig', kc, '--timeout', '3'], {});
    // Bounded even where the deadline does not hold: the sleep is killed here, which releases the CLI.
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      running,
      new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), STUCK_BOUND_MS))),
    ]);
    clearTimeout(timer);
    const child = Number(readFileSync(pidFile, 'utf8'));
    leftovers.push(child);
    const state = processState(child);
    if (outcome === 'still running') process.kill(child, 'SIGKILL');
    expect(outcome).not.toBe('still running');
    const run = outcome as CliRun;
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^kposture: context "stuck" \(https:\/\/[^)]+\): cannot get credentials: the credential plugin "stuck-plugin\.sh" did not answer before the audit deadline/,
    );
    // Killed with the plugin's process group (a zombie until something reaps it), not left running.
    expect([undefined, 'Z']).toContain(state);
    expect(s.requests.filter((r) => r.status !== 200)).toEqual([]);
  },
  STUCK_BOUND_MS + 60_000,
);
