/**
 * When the cluster cannot be read at all, both live commands stop quickly with exit 3 (the
 * cluster) or 2 (the configuration) and one line: which context and server, what failed, what to
 * try. Nothing on stdout, no file written, no credential or plugin output echoed.
 * (test/inventory/live.test.ts covers some of these for `audit`; here every case runs for both
 * commands, and the hanging credential plugin also through the built CLI, which must exit.)
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closedPort, startFixtureServer, writeKubeconfig, writeKubeconfigFor, TLS_DIR, type FixtureServer } from '../support/fixture-server.js';
import { writeSyntheticCluster } from '../support/fixture-cluster.js';
import { runBuiltCli, runMain, type CliRun } from '../support/fixture-cli.js';
import { readOnlyViolations } from '../support/read-only.js';

const PLUGIN_SECRET = 'plugin-stderr-secret-91b3';
const servers: FixtureServer[] = [];
const cluster = writeSyntheticCluster({ namespaces: 2, podsPerNamespace: 2 });
const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-cluster-errors-'));

afterAll(async () => {
  expect(readOnlyViolations(servers.flatMap((s) => s.requests))).toEqual([]);
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(opts: Parameters<typeof startFixtureServer>[0] = {}): Promise<FixtureServer> {
  const s = await startFixtureServer({ snapshot: [cluster], ...opts });
  servers.push(s);
  return s;
}

/** An executable node script (shebang with this node), so the plugin's name is its file name. */
function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!${process.execPath}\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function execKubeconfig(server: FixtureServer, command: string, context: string): string {
  return writeKubeconfigFor(
    { server: server.url, 'certificate-authority': path.join(TLS_DIR, 'ca.crt') },
    { exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args: ['--cluster', 'prod'], interactiveMode: 'Never' } },
    { context, dir: mkdtempSync(path.join(dir, 'kc-')) },
  );
}

interface Scenario {
  name: string;
  /** The kubeconfig, the server URL the message must name, and extra flags. */
  setup: () => Promise<{ kubeconfig: string; server: string; context: string; flags?: string[]; planted?: string[] }>;
  code: 2 | 3;
  /** What the one line says after `context "…" (server): `. */
  says: RegExp;
  boundMs: number;
}

const scenarios: Scenario[] = [
  {
    name: 'nothing listens on the server port',
    setup: async () => {
      const url = `https://127.0.0.1:${await closedPort()}`;
      return { kubeconfig: writeKubeconfig({ url, token: 'unused-token-aa' }, { context: 'offline' }).file, server: url, context: 'offline' };
    },
    code: 3,
    says: /: connection refused \(is the cluster running and the server address right\? try `kubectl cluster-info`\)$/,
    boundMs: 10_000,
  },
  {
    name: 'the kubeconfig CA did not sign the server certificate',
    setup: async () => {
      const s = await serve();
      return { kubeconfig: writeKubeconfig(s, { ca: 'other', context: 'mitm' }).file, server: s.url, context: 'mitm' };
    },
    code: 3,
    says: /: TLS verification failed: .*\(the kubeconfig's certificate-authority does not match the server: refresh the kubeconfig from the cluster's provider\)$/,
    boundMs: 10_000,
  },
  {
    name: 'the token is wrong or expired (401)',
    setup: async () => {
      const s = await serve();
      return {
        kubeconfig: writeKubeconfig(s, { token: 'expired-token-b7c1', context: 'stale' }).file,
        server: s.url,
        context: 'stale',
        planted: ['expired-token-b7c1'],
      };
    },
    code: 3,
    says: /: the server rejected the credentials \(401 Unauthorized\) \(the token or client certificate is wrong or expired: log in again or refresh the kubeconfig\)$/,
    boundMs: 10_000,
  },
  {
    name: 'the token expires in the middle of the lists',
    setup: async () => {
      let answered = 0;
      const s = await serve({
        maxPageSize: 2,
        intercept: (_req, res) => {
          if (++answered <= 12) return false;
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401, message: 'Unauthorized' }));
          return true;
        },
      });
      return { kubeconfig: writeKubeconfig(s, { context: 'midway' }).file, server: s.url, context: 'midway', planted: [s.token] };
    },
    code: 3,
    says: /: the server rejected the credentials \(401 Unauthorized\)/,
    boundMs: 10_000,
  },
  {
    name: 'the exec credential plugin exits 1',
    setup: async () => {
      const s = await serve();
      const plugin = script('fail-plugin.mjs', `process.stderr.write('token=${PLUGIN_SECRET}\\n'); process.exit(1);`);
      return { kubeconfig: execKubeconfig(s, plugin, 'eks-prod'), server: s.url, context: 'eks-prod', planted: [PLUGIN_SECRET] };
    },
    code: 3,
    says: /: cannot get credentials: the credential plugin "fail-plugin\.mjs" exited with an error \(run the credential command by hand to see why, or log in to the cluster again\)$/,
    boundMs: 10_000,
  },
  {
    name: 'the exec credential plugin prints something that is not an ExecCredential',
    setup: async () => {
      const s = await serve();
      const plugin = script('chatty-plugin.mjs', `console.log('Please visit https://login.example.com/device and enter ${PLUGIN_SECRET}');`);
      return { kubeconfig: execKubeconfig(s, plugin, 'gke-dev'), server: s.url, context: 'gke-dev', planted: [PLUGIN_SECRET] };
    },
    code: 3,
    says: /: cannot get credentials: the credential plugin "chatty-plugin\.mjs" printed something that is not an ExecCredential/,
    boundMs: 10_000,
  },
  {
    name: 'the exec credential plugin never finishes',
    setup: async () => {
      const s = await serve();
      const plugin = script('hang-plugin.mjs', 'setInterval(() => undefined, 1000);');
      return { kubeconfig: execKubeconfig(s, plugin, 'aks-qa'), server: s.url, context: 'aks-qa', flags: ['--request-timeout', '1'] };
    },
    code: 3,
    says: /: cannot get credentials: the credential plugin "hang-plugin\.mjs" did not answer within 1s/,
    boundMs: 10_000,
  },
];

function expectOneLine(run: CliRun, context: string, server: string, says: RegExp): void {
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(`kposture: context "${context}" (${server})`)).toBe(true);
  expect(lines[0]).toMatch(says);
  expect(run.stderr).not.toMatch(/\n\s+at |Error:/);
  expect(run.stdout).toBe('');
}

describe.each(['audit', 'snapshot'])('%s', (command) => {
  test.each(scenarios)('$name: exit $code with one line naming context and server', async (scenario) => {
    const { kubeconfig, server, context, flags = [], planted = [] } = await scenario.setup();
    const out = path.join(mkdtempSync(path.join(dir, 'out-')), 'out.json');
    const args = command === 'audit' ? ['audit', '-o', out, '--format', 'json'] : ['snapshot', '-o', out];
    const run = await runMain([...args, '--kubeconfig', kubeconfig, ...flags]);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: scenario.code });
    expectOneLine(run, context, server, scenario.says);
    expect(run.ms).toBeLessThan(scenario.boundMs);
    expect(existsSync(out)).toBe(false);
    for (const secret of planted) expect(run.stdout + run.stderr).not.toContain(secret);
  });

  test('an unknown context: exit 2 naming the kubeconfig file and the contexts it has', async () => {
    const s = await serve();
    const kc = writeKubeconfig(s, { context: 'prod-eu' });
    const run = await runMain([
      command,
      ...(command === 'snapshot' ? ['-o', path.join(kc.dir, 'x.json')] : []),
      '--kubeconfig',
      kc.file,
      '--context',
      'prod-us',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `kposture: context "prod-us" is not in kubeconfig ${kc.file} (available: prod-eu) (pick one of the available contexts with --context)\n`,
    );
    expect(s.requests).toEqual([]);
  });

  test('a kubeconfig without a current context: exit 2 saying how to pick one', async () => {
    const s = await serve();
    const kc = writeKubeconfig(s, { context: 'only' });
    writeFileSync(kc.file, readFileSync(kc.file, 'utf8').replace(/^current-context:.*$/m, ''));
    const run = await runMain([command, ...(command === 'snapshot' ? ['-o', path.join(kc.dir, 'x.json')] : []), '--kubeconfig', kc.file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`kposture: kubeconfig ${kc.file} sets no current-context (available: only) (pick one with --context NAME)\n`);
  });
});

test('the built CLI exits promptly when a credential plugin hangs (the plugin is stopped, not waited for)', async () => {
  const s = await serve();
  const marker = `hang-${process.pid}-${Date.now()}`;
  const plugin = script(`${marker}.mjs`, 'setInterval(() => undefined, 1000);');
  const kc = execKubeconfig(s, plugin, 'aks-qa');
  const run = await runBuiltCli(process.execPath, ['audit', '--kubeconfig', kc, '--request-timeout', '1'], {});
  expect(run.code).toBe(3);
  expect(run.stderr).toContain('the credential plugin');
  expect(run.ms).toBeLessThan(15_000);
  // No plugin process left behind.
  const { execFileSync } = await import('node:child_process');
  const left = (() => {
    try {
      return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' });
    } catch {
      return '';
    }
  })();
  expect(left).toBe('');
});
