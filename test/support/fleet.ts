/**
 * A fleet for tests: several fixture API servers (test/support/fixture-server.ts), each a cluster
 * of its own, and one kubeconfig with a context per cluster, as a user with several clusters has.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TLS_DIR, writeKubeconfigContexts, type FixtureServer } from './fixture-server.js';

export interface FleetMember {
  context: string;
  /** A running server, or the URL of one that does not answer (an unreachable cluster). */
  server: Pick<FixtureServer, 'url' | 'token'>;
}

/** One kubeconfig file (in a new temp folder) with a context, cluster and user per member; the first is current. */
export function writeFleetKubeconfig(members: readonly FleetMember[]): string {
  const ca = readFileSync(path.join(TLS_DIR, 'ca.crt')).toString('base64');
  return writeKubeconfigContexts(
    members.map((m) => ({ context: m.context, cluster: { server: m.server.url, 'certificate-authority-data': ca }, user: { token: m.server.token } })),
    mkdtempSync(path.join(os.tmpdir(), 'kposture-fleet-')),
  );
}
