import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileSchema, formatAjvError } from '../../src/util/schemas.js';
import { runMain, type CliRun } from '../support/fixture-cli.js';
import { findTool } from '../support/tools.js';
import { REPO_ROOT, WEAK, removeDir, runCli, tempDir } from './run.js';

const validateReport = compileSchema('report.schema.json');
const BIN = path.join(REPO_ROOT, 'bin', 'kposture.js');
const KUBECTL = findTool('kubectl');
const INGRESS = 'fixtures/manifests/ingress-nginx';

interface ReportCheck {
  id: string;
  status: string;
  reason?: string;
  findings?: { resource: { kind: string; namespace?: string; name: string }; location: { uri: string; startLine: number } }[];
}
interface JsonReport {
  target: Record<string, unknown>;
  coverage: number;
  checks: ReportCheck[];
  inventory: { kind: string; status: string; count: number; reason?: string }[];
}

/** main() in-process with `stdin` as standard input. */
function withStdin(argv: string[], stdin: string, cwd = REPO_ROOT): Promise<CliRun> {
  return runMain(argv, { env: {}, cwd, stdin });
}

const check = (report: JsonReport, id: string): ReportCheck => report.checks.find((c) => c.id === id)!;

describe('kposture audit --manifests', () => {
  it("audits a real project's install folder: the Kustomize file skipped in one line, cluster-only checks unknown, coverage down", async () => {
    const run = await runCli(['audit', '--manifests', INGRESS, '--no-config', '--format', 'json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`skipped ${INGRESS}/kustomization.yaml: a Kustomize file, not a Kubernetes object (render the folder: kubectl kustomize)\n`);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(validateReport(report) || formatAjvError(validateReport.errors)).toBe(true);
    expect(report.target).toEqual({ source: 'manifests', manifests: [INGRESS] });
    expect(check(report, 'OS-01')).toMatchObject({ status: 'unknown', reason: 'Nodes are not in the manifests: only a running cluster has them' });
    expect(check(report, 'NP-01').status).toBe('unknown');
    expect(check(report, 'NP-01').reason).toMatch(/^the CNI's DaemonSet is not in the manifests/);
    expect(check(report, 'PE-01').reason).toBe('CustomResourceDefinition.apiextensions.k8s.io is not in the manifests: only a running cluster shows them all');
    expect(report.inventory.find((k) => k.kind === 'Node')).toEqual({
      kind: 'Node',
      status: 'missing',
      count: 0,
      reason: 'Nodes are not in the manifests: only a running cluster has them',
    });
    expect(report.coverage).toBeLessThan(50);
    // What the manifests do say is judged: the namespace they declare has no Pod Security level,
    // and the finding points at the line of deploy.yaml that declares it.
    const mt04 = check(report, 'MT-04');
    expect(mt04.status).toBe('fail');
    expect(mt04.findings![0]).toMatchObject({
      resource: { kind: 'Namespace', name: 'ingress-nginx' },
      location: { uri: `${INGRESS}/deploy.yaml`, startLine: 1 },
    });
    // A pod template's problem is its workload's, located at the workload.
    const img03 = check(report, 'IMG-03');
    expect(img03.status).toBe('fail');
    expect(img03.findings!.map((f) => `${f.resource.kind} ${f.resource.name} ${f.location.startLine}`)).toEqual(['Deployment ingress-nginx-controller 391']);
  });

  it("audits a policy engine's install as installed: Gatekeeper's webhook fails open", async () => {
    const run = await runCli(['audit', '--manifests', 'fixtures/manifests/gatekeeper', '--no-config', '--format', 'json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(check(report, 'PE-01').status).toBe('pass');
    const pe03 = check(report, 'PE-03');
    expect(pe03.status).toBe('fail');
    expect(pe03.findings!.map((f) => f.resource.name)).toEqual(['gatekeeper-validating-webhook-configuration']);
    // Its 3 replicas stand for 3 ready pods.
    expect(check(report, 'PE-04').status).toBe('pass');
  });

  it('reads standard input, with --default-namespace for objects that name none', async () => {
    const yaml = readFileSync(path.join(REPO_ROOT, 'test/data/manifests/shop.yaml'), 'utf8');
    const run = await withStdin(
      ['audit', '--manifests', '-', '--default-namespace', 'shop', '--no-config', '--format', 'json', '--check', 'MT-04', '--check', 'NP-06'],
      yaml,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.target).toEqual({ source: 'manifests', manifests: ['-'] });
    // shop is only implied by the default namespace: it exists, without a Pod Security level.
    expect(check(report, 'MT-04').findings!.map((f) => [f.resource.name, f.location.uri])).toEqual([['shop', 'stdin']]);
    // The policy and the pods of the Deployment's template meet in the default namespace.
    expect(check(report, 'NP-06').status).toBe('pass');
  });

  it('gates CI on the manifests as on a cluster: exit 1 and the verdict line', async () => {
    const run = await runCli(['audit', '--manifests', INGRESS, '--no-config', '--fail-under', '80', '--min-coverage', '0', '-q']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^kposture .* — manifests fixtures\/manifests\/ingress-nginx$/m);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^gate failed: score [\d.]+ < 80/);
  });

  it.each<[string, string[], RegExp]>([
    ['--manifests with --snapshot', ['--manifests', INGRESS, '--snapshot', WEAK], /--manifests cannot be combined with --snapshot, --kubeconfig or --context/],
    ['--default-namespace without --manifests', ['--snapshot', WEAK, '--default-namespace', 'shop'], /--default-namespace applies only with --manifests/],
    ['a bad --default-namespace', ['--manifests', INGRESS, '--default-namespace', 'Shop_1'], /--default-namespace Shop_1: not a namespace name/],
    ['--manifests - twice', ['--manifests', '-', '--manifests', '-'], /--manifests - is given twice/],
    ['a path that does not exist', ['--manifests', 'no/such/dir'], /manifests no\/such\/dir: no such file or directory/],
  ])('exits 2 with one line for %s', async (_name, flags, mentions) => {
    const run = await withStdin(['audit', '--no-config', ...flags], '');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(mentions);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 naming the file and document of malformed YAML, and writes no report file', async () => {
    const dir = tempDir('manifests-bad');
    try {
      writeFileSync(
        path.join(dir, 'app.yaml'),
        'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n',
      );
      const run = await runCli(['audit', '--manifests', 'app.yaml', '--no-config', '--report', 'json=out.json'], { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^kposture: manifests app\.yaml: document 2 \(line \d+\): invalid YAML: .*\n/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(() => readFileSync(path.join(dir, 'out.json'))).toThrow();
    } finally {
      removeDir(dir);
    }
  });

  (KUBECTL ? it : it.skip)(
    `audits what \`kubectl kustomize\` renders, read from a pipe by the binary${KUBECTL ? '' : ' (skipped: kubectl is not installed; Debian package kubernetes-client)'}`,
    () => {
      const dir = tempDir('manifests-kustomize');
      try {
        mkdirSync(path.join(dir, 'base'));
        writeFileSync(path.join(dir, 'base', 'kustomization.yaml'), 'namespace: batch\nresources: [cronjob.yaml, policy.yaml]\n');
        writeFileSync(path.join(dir, 'base', 'cronjob.yaml'), readFileSync(path.join(REPO_ROOT, 'test/data/manifests/cronjob.yaml')));
        writeFileSync(path.join(dir, 'base', 'policy.yaml'), readFileSync(path.join(REPO_ROOT, 'test/data/manifests/report-egress.yaml')));
        const rendered = spawnSync(KUBECTL!, ['kustomize', path.join(dir, 'base')], { encoding: 'utf8', timeout: 60_000 });
        expect(rendered.stderr).toBe('');
        expect(rendered.status).toBe(0);
        const run = spawnSync(
          process.execPath,
          [BIN, 'audit', '--manifests', '-', '--no-config', '--format', 'json', '--check', 'IMG-03', '--check', 'NP-06'],
          {
            cwd: dir,
            input: rendered.stdout,
            encoding: 'utf8',
            timeout: 60_000,
            env: { PATH: process.env.PATH ?? '' },
          },
        );
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        const report = JSON.parse(run.stdout) as JsonReport;
        // The CronJob's pod template (jobTemplate.spec.template) is judged, reported on the CronJob.
        expect(check(report, 'IMG-03').findings!.map((f) => `${f.resource.kind} ${f.resource.namespace}/${f.resource.name}`)).toEqual(['CronJob batch/report']);
        // The policy Kustomize put in the namespace selects the CronJob's pods.
        expect(check(report, 'NP-06').status).toBe('pass');
      } finally {
        removeDir(dir);
      }
    },
  );
});
