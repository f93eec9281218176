/**
 * Text from the cluster never reaches a terminal raw. A snapshot (or a live API server) whose
 * node software versions, namespace labels, image strings, server version and error messages
 * carry escape sequences (clear screen, window title, OSC 8 link, carriage return, conceal, C1
 * CSI, DEL; in image strings and container names too) is audited in-process: the table and stderr hold none of its control characters, only
 * their escaped forms, with colors off and on (kposture's own SGR color codes are the only escape
 * sequences left). JSON and SARIF escape by their own grammar and are not tested here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { syntheticCluster } from '../support/fixture-cluster.js';
import { runMain, type CliRun } from '../support/fixture-cli.js';
import { startFixtureServer, writeKubeconfig, type FixtureServer, type RecordedRequest } from '../support/fixture-server.js';

const HOSTILE = {
  clear: '\x1b[2J\x1b[H',
  title: '\x1b]0;pwned\x07',
  link: '\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\',
  cr: 'looks fine\rpwned',
  conceal: '\x1b[8mhidden',
  c1: '\x9b31m',
  del: '\x7f',
  lf: 'denied\nwrote /etc/passwd',
};

/** How each hostile piece must show up: visible, as an escape a person can read. */
const ESCAPED = {
  clear: '\\x1b[2J\\x1b[H',
  title: '\\x1b]0;pwned\\x07',
  link: '\\x1b]8;;https://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\',
  cr: 'looks fine\\rpwned',
  conceal: '\\x1b[8mhidden',
  c1: '\\x9b31m',
  del: '\\x7f',
  lf: 'denied\\nwrote /etc/passwd',
};

/** The SGR codes kposture's colors use (chalk at level 1). */
const OWN_SGR = /\x1b\[(?:1|2|22|31|32|33|36|39|90)m/g;
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** The control characters in `text` that are not a line feed or (when colored) kposture's own SGR codes. */
function rawControls(text: string): string[] {
  const found: string[] = [];
  for (const [i, line] of text.replace(OWN_SGR, '').split('\n').entries()) {
    if (CONTROL.test(line)) found.push(`line ${i + 1}: ${JSON.stringify(line)}`);
  }
  return found;
}

type Objects = Record<string, Record<string, unknown>>;
type Cluster = { items: { kind: string; items: Objects[] }[]; metadata: { annotations: Record<string, string> } };

/** The synthetic cluster with hostile text in the fields the issue names. */
function hostileCluster(): Cluster {
  const list = syntheticCluster() as unknown as Cluster;
  const items = (kind: string): Objects[] => list.items.find((l) => l.kind === `${kind}List`)!.items;
  const [n0, n1, n2] = items('Node').map((n) => (n.status as { nodeInfo: Record<string, string> }).nodeInfo);
  n0!.osImage = `Ubuntu 22.04.4 LTS${HOSTILE.clear}`;
  n1!.kubeletVersion = `v1.30.3${HOSTILE.title}`;
  n2!.containerRuntimeVersion = `containerd://1.7.18${HOSTILE.link}`;
  for (const ns of items('Namespace')) {
    const labels = ns.metadata!.labels as Record<string, string>;
    if (labels['pod-security.kubernetes.io/enforce'] === 'privileged') labels['pod-security.kubernetes.io/enforce'] = `privileged${HOSTILE.conceal}`;
  }
  // The image parser rejects such an image (it shows in the JSON subjects only); the container
  // name reaches IMG-03's finding message.
  const image = `ubuntu:22.04${HOSTILE.c1}${HOSTILE.del}${HOSTILE.cr}`;
  const respell = (spec: { containers: { name: string; image: string }[]; initContainers: { name: string; image: string }[] }): void => {
    for (const c of [...spec.containers, ...spec.initContainers]) {
      if (c.image === 'ubuntu:22.04') c.image = image;
      if (c.name === 'sidecar') c.name = `sidecar${HOSTILE.c1}${HOSTILE.del}${HOSTILE.cr}`;
    }
  };
  for (const pod of items('Pod')) respell(pod.spec as never);
  for (const owner of [...items('Deployment'), ...items('ReplicaSet')]) respell((owner.spec as { template: { spec: never } }).template.spec);
  // Not a Kubernetes version: OS-03 is unknown and says so on a "Could not evaluate" line.
  list.metadata.annotations['kposture.dev/server-version'] = `v1.30.3${HOSTILE.title}${HOSTILE.lf}`;
  return list;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-terminal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeSnapshot(): string {
  const file = path.join(dir, 'cluster.json');
  writeFileSync(file, JSON.stringify(hostileCluster()));
  return file;
}

function expectEscaped(text: string, keys: (keyof typeof HOSTILE)[]): void {
  for (const key of keys) expect(text).toContain(ESCAPED[key]);
}

describe('the table report of a snapshot with escape sequences in its content', () => {
  const snapshot = writeSnapshot();

  it.each<[string, NodeJS.ProcessEnv]>([
    ['colors off', { NO_COLOR: '1' }],
    ['colors on', { FORCE_COLOR: '1' }],
  ])('shows every control character escaped, %s', async (colors, env) => {
    const run = await runMain(['audit', '--snapshot', snapshot], { env });
    expect(run.code).toBe(0);
    if (colors === 'colors on') expect(run.stdout).toMatch(OWN_SGR);
    expect(rawControls(run.stdout)).toEqual([]);
    expect(rawControls(run.stderr)).toEqual([]);
    // osImage (OS-01, OS-02), kubeletVersion and containerRuntimeVersion (OS-02), a namespace label
    // value (MT-04), a container name (IMG-03), the server version (header and OS-03's unknown line).
    expectEscaped(run.stdout, ['clear', 'title', 'link', 'conceal', 'c1', 'del', 'cr', 'lf']);
    // The table wraps long lines: the unknown line with its continuation lines, joined again.
    const lines = run.stdout.replace(OWN_SGR, '').split('\n');
    const at = lines.findIndex((l) => l.startsWith('  ? OS-03 '));
    const rest = lines.slice(at + 1);
    const continued = rest.slice(
      0,
      Math.max(
        0,
        rest.findIndex((l) => !l.startsWith('    ')),
      ),
    );
    const unknownLine = [lines[at]!, ...continued.map((l) => l.trim())].join(' ');
    expect(unknownLine).toContain(`"v1.30.3${ESCAPED.title}${ESCAPED.lf}" is not a Kubernetes version`);
    // A line feed in a value does not start a line of its own.
    expect(run.stdout).not.toMatch(/^wrote \/etc\/passwd/m);
  });
});

describe('stderr lines that carry what a server or a snapshot said', () => {
  it('shows the error line of a snapshot file named with escape sequences as one escaped line', async () => {
    const folder = path.join(dir, 'bad');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `nodes${HOSTILE.clear}${HOSTILE.title}.json`), '{"kind": "List", "items": [');
    const run = await runMain(['audit', '--snapshot', folder]);
    expect(run.code).toBe(2);
    expect(rawControls(run.stderr)).toEqual([]);
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expectEscaped(run.stderr, ['clear', 'title']);
  });

  describe('against a live API server that forbids a kind with a hostile message', () => {
    let server: FixtureServer;
    const message = `resourcequotas is forbidden${HOSTILE.clear}${HOSTILE.conceal}${HOSTILE.lf}`;
    const forbidQuotas = (req: RecordedRequest, res: http.ServerResponse): boolean => {
      if (!req.path.endsWith('/resourcequotas')) return false;
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', code: 403 });
      res.writeHead(403, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return true;
    };
    let kubeconfig: string;
    beforeAll(async () => {
      server = await startFixtureServer({ snapshot: [writeSnapshot()], serverVersion: 'v1.30.3', intercept: forbidQuotas });
      kubeconfig = writeKubeconfig(server, { context: `prod${HOSTILE.title}`, dir: mkdtempSync(path.join(dir, 'kubeconfig-')) }).file;
    });
    afterAll(async () => server.close());

    const expectOneLineEach = (run: CliRun): void => {
      expect(rawControls(run.stderr)).toEqual([]);
      expect(run.stderr).not.toMatch(/^wrote \/etc\/passwd/m);
    };

    it('`snapshot` writes its "left out" and "wrote" lines escaped', async () => {
      const out = path.join(dir, 'live-snapshot.json');
      const run = await runMain(['snapshot', '-o', out], { env: { KUBECONFIG: kubeconfig, NO_COLOR: '1' } });
      expect(run.code).toBe(0);
      expectOneLineEach(run);
      const leftOut = run.stderr.split('\n').find((l) => l.startsWith('left out ResourceQuota'));
      // (client-node turns the message's line feed into a space before kposture sees it)
      expect(leftOut).toContain(`resourcequotas is forbidden${ESCAPED.clear}${ESCAPED.conceal}`);
      expect(run.stderr).toContain(`from context "prod${ESCAPED.title}"`);
    });

    it('`audit --debug` logs "could not list" escaped, and the table shows the live target escaped', async () => {
      const run = await runMain(['audit', '--debug'], { env: { KUBECONFIG: kubeconfig, FORCE_COLOR: '1' } });
      expect(run.code).toBe(0);
      expectOneLineEach(run);
      expect(run.stderr).toMatch(/^could not list ResourceQuota: .*resourcequotas is forbidden\\x1b\[2J/m);
      expect(rawControls(run.stdout)).toEqual([]);
      expect(run.stdout).toContain(`context prod${ESCAPED.title}`);
      expectEscaped(run.stdout, ['clear', 'link', 'conceal', 'c1', 'del', 'cr']);
    });
  });
});
