/**
 * A fleet for tests: several fixture API servers (test/support/fixture-server.ts), each a cluster
 * of its own, and one kubeconfig with a context per cluster, as a user with several clusters has.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { TLS_DIR, type FixtureServer } from './fixture-server.js';

export interface FleetMember {
  context: string;
  /** A running server, or the URL of one that does not answer (an unreachable cluster). */
  server: Pick<FixtureServer, 'url' | 'token'>;
}

/** One kubeconfig file (in a new temp folder) with a context, cluster and user per member; the first is current. */
export function writeFleetKubeconfig(members: readonly FleetMember[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-fleet-'));
  const ca = readFileSync(path.join(TLS_DIR, 'ca.crt')).toString('base64');
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: members.map((m) => ({ name: `${m.context}-cluster`, cluster: { server: m.server.url, 'certificate-authority-data': ca } })),
      users: members.map((m) => ({ name: `${m.context}-user`, user: { token: m.server.token } })),
      contexts: members.map((m) => ({ name: m.context, context: { cluster: `${m.context}-cluster`, user: `${m.context}-user` } })),
      'current-context': members[0]?.context ?? '',
    }),
    { mode: 0o600 },
  );
  return file;
}
