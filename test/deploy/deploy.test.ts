/**
 * deploy/, kposture's own deployment (a Kustomize base: namespace, service account, the role
 * `kposture rbac` prints, quota, network policies, a reports volume, the CronJob), and the
 * Dockerfile of the image it runs. kposture's deployment has to pass kposture's own checklist:
 * `kubectl kustomize deploy/` is audited with `kposture audit --manifests -` and no finding may
 * name one of its objects. The rendering tests need kubectl (skipped with a message without it).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { Report } from '../../src/report/model.js';
import { REPO_ROOT, removeDir, runCli, tempDir, WEAK } from '../cli/run.js';
import { findTool } from '../support/tools.js';

const KUBECTL = findTool('kubectl');
const BIN = path.join(REPO_ROOT, 'bin', 'kposture.js');
const dir = tempDir('deploy');
afterAll(() => removeDir(dir));

interface K8sDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface Container {
  image: string;
  args: string[];
  env?: { name: string; value: string }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: ({ name: string } & Record<string, unknown>)[];
}

function readDocs(file: string): K8sDoc[] {
  return parseAllDocuments(readFileSync(path.join(REPO_ROOT, file), 'utf8')).map((d) => d.toJS() as K8sDoc);
}

const rendered = new Map<string, string>();
/** `kubectl kustomize deploy/` (or another folder), once. */
function render(folder = 'deploy'): string {
  let text = rendered.get(folder);
  if (text === undefined) {
    const run = spawnSync(KUBECTL!, ['kustomize', path.join(REPO_ROOT, folder)], { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) throw new Error(`kubectl kustomize ${folder} failed: ${run.stderr}`);
    text = run.stdout;
    rendered.set(folder, text);
  }
  return text;
}

function renderedDocs(folder = 'deploy'): K8sDoc[] {
  return parseAllDocuments(render(folder)).map((d) => d.toJS() as K8sDoc);
}

function podSpec(docs: K8sDoc[]): PodSpec {
  const cronJob = docs.find((d) => d.kind === 'CronJob') as unknown as { spec: { jobTemplate: { spec: { template: { spec: PodSpec } } } } };
  return cronJob.spec.jobTemplate.spec.template.spec;
}

/** Kubernetes quantities of memory in MiB. */
function mib(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

/** The XL live audit's peak RSS in docs/performance.md's latest figures: the median and the highest run. */
function benchmarkPeak(): { median: number; max: number } {
  const row = readFileSync(path.join(REPO_ROOT, 'docs', 'performance.md'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('| XL |'));
  const cell = row?.split('|')[3] ?? '';
  const numbers = [...cell.matchAll(/\d+/g)].map((m) => Number(m[0]));
  if (numbers.length === 0) throw new Error(`no XL peak RSS in docs/performance.md: ${row}`);
  return { median: numbers[0]!, max: Math.max(...numbers) };
}

describe('deploy/', () => {
  it('holds the ClusterRole and binding `kposture rbac` prints, unchanged', async () => {
    const printed = await runCli(['rbac']);
    expect(printed.code).toBe(0);
    const expected = parseAllDocuments(printed.stdout).map((d) => d.toJS() as unknown);
    expect(readDocs('deploy/rbac.yaml')).toEqual(expected);
  });

  it('runs the image the Dockerfile builds, tagged with the package version', () => {
    const kustomization = parse(readFileSync(path.join(REPO_ROOT, 'deploy', 'kustomization.yaml'), 'utf8')) as {
      images: { name: string; newName: string; newTag: string }[];
    };
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(kustomization.images).toEqual([expect.objectContaining({ name: 'kposture', newTag: version })]);
  });

  it('runs the CronJob arguments that write every report to the volume', async () => {
    const cronJob = readDocs('deploy/cronjob.yaml')[0]!;
    const args = podSpec([cronJob]).containers[0]!.args.map((a) => a.replace('/reports/', `${dir}/`));
    const run = await runCli([...args, '--snapshot', WEAK]);
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    for (const file of ['kposture.json', 'kposture.md', 'kposture.prom']) expect(run.stderr).toContain(`wrote ${path.join(dir, file)}`);
    expect((JSON.parse(readFileSync(path.join(dir, 'kposture.json'), 'utf8')) as Report).score).toBe(16.7);
  });
});

const describeRendered = KUBECTL ? describe : describe.skip;
if (!KUBECTL) console.log('kubectl is not installed: deploy/ is not rendered, its audit is skipped (install kubectl to run it)');

describeRendered('deploy/ rendered by kubectl kustomize', () => {
  it('is least privilege: read-only role, no token but one short-lived projected token, non-root, read-only root', () => {
    const docs = renderedDocs();
    expect(docs.map((d) => `${d.kind} ${d.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole kposture-reader',
        'ClusterRoleBinding kposture-reader',
        'CronJob kposture',
        'LimitRange kposture',
        'Namespace kposture',
        'NetworkPolicy default-deny',
        'NetworkPolicy kposture-egress-api-server',
        'PersistentVolumeClaim kposture-reports',
        'ResourceQuota kposture',
        'ServiceAccount kposture',
      ].sort(),
    );
    const role = docs.find((d) => d.kind === 'ClusterRole') as unknown as { rules: { verbs: string[]; resources?: string[] }[] };
    expect([...new Set(role.rules.flatMap((r) => r.verbs))].sort()).toEqual(['get', 'list']);
    expect(role.rules.flatMap((r) => r.resources ?? [])).not.toContain('secrets');
    const account = docs.find((d) => d.kind === 'ServiceAccount')!;
    expect(account.automountServiceAccountToken).toBe(false);

    const pod = podSpec(docs);
    expect(pod.serviceAccountName).toBe('kposture');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    const [container] = pod.containers;
    expect(container!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const tokenVolume = pod.volumes.find((v) => v.name === 'api-token') as unknown as {
      projected: { sources: { serviceAccountToken?: { expirationSeconds: number; audience?: string } }[] };
    };
    const tokens = tokenVolume.projected.sources.filter((s) => s.serviceAccountToken);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.serviceAccountToken!.expirationSeconds).toBeLessThanOrEqual(3600);
    expect(container!.volumeMounts.find((m) => m.name === 'api-token')).toEqual({
      name: 'api-token',
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      readOnly: true,
    });
    // Reports go to the volume, the only writable place besides a small /tmp.
    expect(
      container!.volumeMounts
        .filter((m) => !m.readOnly)
        .map((m) => m.mountPath)
        .sort(),
    ).toEqual(['/reports', '/tmp']);
    expect(container!.args.filter((a) => a.startsWith('--report=')).every((a) => a.split('=')[2]!.startsWith('/reports/'))).toBe(true);
  });

  it('sizes memory from the benchmark: the request covers the XL peak, the limit and the heap leave room above it', () => {
    const [container] = podSpec(renderedDocs()).containers;
    const peak = benchmarkPeak();
    const request = mib(container!.resources.requests.memory!);
    const limit = mib(container!.resources.limits.memory!);
    expect(request).toBeGreaterThanOrEqual(peak.median);
    expect(limit).toBeGreaterThanOrEqual(peak.max * 1.5);
    // The heap is set explicitly, above the peak and under the limit.
    const heap = Number(/--max-old-space-size=(\d+)/.exec(container!.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')?.[1]);
    expect(heap).toBeGreaterThanOrEqual(peak.max);
    expect(heap).toBeLessThan(limit);
  });

  it('with the Pushgateway overlay of examples/ pushes and may reach only the gateway and DNS besides', () => {
    const docs = renderedDocs('examples/pushgateway');
    const args = podSpec(docs).containers[0]!.args;
    expect(args.filter((a) => a.startsWith('--pushgateway'))).toEqual([
      '--pushgateway=http://pushgateway.monitoring.svc:9091',
      '--pushgateway-group=cluster=prod-eu1',
    ]);
    expect(docs.filter((d) => d.kind === 'NetworkPolicy').map((d) => d.metadata.name)).toEqual([
      'default-deny',
      'kposture-egress-api-server',
      'kposture-egress-pushgateway',
    ]);
  });

  it.each(['deploy', 'examples/pushgateway'])('%s is audited clean by kposture itself (kposture audit --manifests -)', (folder) => {
    // kposture's image is built FROM gcr.io/distroless/nodejs (Dockerfile): a user declares their
    // own images to IMG-01 the same way (docs/config.md, catalogs.imageRules).
    const config = path.join(dir, 'kposture.yaml');
    const rule = { id: 'kposture', class: 'distroless', repository: 'ghcr.io/kposture/kposture', source: 'the repository Dockerfile' };
    writeFileSync(config, `catalogs:\n  imageRules:\n    - ${JSON.stringify(rule)}\n`);
    const run = spawnSync(process.execPath, [BIN, 'audit', '--manifests', '-', '--format', 'json', '--config', config], {
      input: render(folder),
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '' },
    });
    if (/unknown option '--manifests'/.test(run.stderr)) {
      console.log('kposture audit --manifests is not in this build yet (issue 18 §3): the self-audit of deploy/ is skipped');
      return;
    }
    expect(run.stderr).not.toMatch(/^kposture:/m);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    const ours = new Set(renderedDocs(folder).map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`));
    const names = (r: { kind: string; namespace?: string; name: string }): string => `${r.kind}/${r.namespace ?? ''}/${r.name}`;
    const against = report.checks.flatMap((c) =>
      c.findings
        .filter(
          (f) => f.namespace === 'kposture' || ours.has(names(f.resource)) || (f.affected ?? []).some((a) => ours.has(names(a)) || a.namespace === 'kposture'),
        )
        .map((f) => `${c.id} ${f.message}`),
    );
    expect(against).toEqual([]);
    // The checks that look at what deploy/ holds did evaluate it, and passed.
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    for (const id of ['IMG-01', 'IMG-02', 'IMG-03', 'MT-02', 'MT-03', 'MT-04', 'MT-05', 'NP-02', 'NP-03', 'NP-04', 'NP-05', 'NP-06', 'DIE-03']) {
      expect(`${id} ${status[id]}`).toBe(`${id} pass`);
    }
  });
});

describe('the Dockerfile', () => {
  const stages = [...readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8').matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);

  it('builds in one stage and runs on a distroless Node runtime, every base pinned by digest', () => {
    expect(stages).toHaveLength(2);
    for (const image of stages) expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(stages[1]).toMatch(/^gcr\.io\/distroless\/nodejs\d+-debian\d+(:nonroot)?@/);
  });

  it("runs as the user deploy/'s CronJob sets", () => {
    const user = /^USER (\d+):(\d+)$/m.exec(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    const pod = podSpec(readDocs('deploy/cronjob.yaml'));
    expect(Number(user?.[1])).toBe(pod.securityContext.runAsUser);
  });
});
