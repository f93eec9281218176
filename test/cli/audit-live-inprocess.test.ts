import { startFixtureServer, writeKubeconfig, type FixtureServer } from '../support/fixture-server.js';
import { writeSyntheticCluster } from '../support/fixture-cluster.js';
import { runMain } from '../support/fixture-cli.js';

describe('audit (in-process) against the fixture API server', () => {
  let server: FixtureServer;
  beforeAll(async () => {
    server = await startFixtureServer({ snapshot: [writeSyntheticCluster()] });
  });
  afterAll(async () => {
    expect(server.requests.filter((r) => r.method !== 'GET' || /secrets/i.test(r.path))).toEqual([]);
    await server.close();
  });

  it('finds the cluster through KUBECONFIG in the environment it is given', async () => {
    const { file } = writeKubeconfig(server, { context: 'from-env' });
    const run = await runMain(['audit', '--format', 'json', '--check', 'MT-04'], { env: { KUBECONFIG: file, NO_COLOR: '1' } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { target: { source: string; context: string } };
    expect(report.target).toMatchObject({ source: 'live', context: 'from-env' });
  });

  it('reads the whole cluster for a scoped audit, one list per kind, and shows tenant checks only the scope', async () => {
    const { file } = writeKubeconfig(server);
    const before = server.requests.length;
    const run = await runMain(['audit', '--format', 'json', '--check', 'MT-04', '--check', 'MT-03', '--namespace', 'team-a'], {
      env: { KUBECONFIG: file, NO_COLOR: '1' },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const paths = server.requests.slice(before).map((r) => r.path);
    // Cluster-wide lists only (e.g. /api/v1/pods), never one list per namespace.
    expect(paths.filter((p) => /\/namespaces\/[^/?]+\//.test(p))).toEqual([]);
    expect(paths.some((p) => p.startsWith('/api/v1/pods'))).toBe(true);
    const report = JSON.parse(run.stdout) as { scope: { tenantNamespaces: string[] }; checks: { id: string; subjects: { resource: { name: string } }[] }[] };
    expect(report.scope.tenantNamespaces).toEqual(['team-a']);
    expect(report.checks.find((c) => c.id === 'MT-04')!.subjects.map((s) => s.resource.name)).toEqual(['team-a']);
  });

  it('logs each request on stderr with --debug given after the command, and never the token', async () => {
    const { file } = writeKubeconfig(server);
    const run = await runMain(['audit', '--check', 'MT-04', '--format', 'json', '--debug'], { env: { KUBECONFIG: file } });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/GET \/api\/v1\/namespaces\?limit=500/);
    expect(run.stderr).not.toContain(server.token);
    expect(run.stdout).not.toContain(server.token);
  });
});
