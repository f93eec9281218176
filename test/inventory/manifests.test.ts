import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { KpostureError } from '../../src/errors.js';
import { loadManifests, type ManifestsOptions } from '../../src/inventory/manifests.js';
import { collectionOf, describeStatus, type Inventory } from '../../src/k8s/inventory.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { labelsOf, nameOf, namespaceOf, type K8sObject } from '../../src/k8s/object.js';
import { podOwnerIndex, workloadOf } from '../../src/k8s/owners.js';
import { slimProjection } from '../../src/k8s/slim.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CNIS = loadBuiltinCatalogs().cnis;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kposture-manifests-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

function load(paths: string[], cwd: string, options: Partial<ManifestsOptions> = {}): { inventory: Inventory; notes: string[] } {
  const notes: string[] = [];
  const inventory = loadManifests({ paths, cwd, cnis: CNIS, note: (line) => notes.push(line), ...options });
  return { inventory, notes };
}

function loadError(paths: string[], cwd: string, options: Partial<ManifestsOptions> = {}): KpostureError {
  try {
    load(paths, cwd, options);
  } catch (err) {
    expect(err).toBeInstanceOf(KpostureError);
    return err as KpostureError;
  }
  throw new Error('expected the manifests to be rejected');
}

const items = (inventory: Inventory, kind: string): K8sObject[] => collectionOf(inventory, kind).items;
const names = (objects: K8sObject[]): string[] => objects.map((o) => `${namespaceOf(o) ?? ''}/${nameOf(o)}`).sort();

describe('manifests: a real project install (ingress-nginx, deploy/static/provider/cloud)', () => {
  const { inventory, notes } = load(['fixtures/manifests/ingress-nginx'], REPO_ROOT);

  it('skips the kustomization.yaml beside it with one note, and reads the objects of deploy.yaml', () => {
    expect(notes).toEqual([expect.stringMatching(/^skipped fixtures\/manifests\/ingress-nginx\/kustomization\.yaml: a Kustomize file/)]);
    expect(inventory.source).toEqual({ type: 'manifests', paths: ['fixtures/manifests/ingress-nginx'] });
    expect(inventory.files).toEqual(['fixtures/manifests/ingress-nginx/deploy.yaml']);
    expect(names(items(inventory, KINDS.Deployment))).toEqual(['ingress-nginx/ingress-nginx-controller']);
    expect(names(items(inventory, KINDS.ValidatingWebhookConfiguration))).toEqual(['/ingress-nginx-admission']);
  });

  it('makes the pods the workloads will create, traced to their workload through the owners it adds', () => {
    const pods = items(inventory, KINDS.Pod);
    // The Deployment (no replicas: 1) through its ReplicaSet; each admission Job runs one pod.
    expect(names(pods)).toEqual([
      'ingress-nginx/ingress-nginx-admission-create-0',
      'ingress-nginx/ingress-nginx-admission-patch-0',
      'ingress-nginx/ingress-nginx-controller-template-0',
    ]);
    const index = podOwnerIndex((kind) => collectionOf(inventory, kind));
    const workloads = pods.map((p) => workloadOf(p, index)).map((w) => `${w.ref.kind} ${w.ref.name}${w.inferred ? ' (inferred)' : ''}`);
    expect(workloads.sort()).toEqual(['Deployment ingress-nginx-controller', 'Job ingress-nginx-admission-create', 'Job ingress-nginx-admission-patch']);
    const controller = pods.find((p) => nameOf(p).startsWith('ingress-nginx-controller'))!;
    expect(labelsOf(controller)).toMatchObject({ 'app.kubernetes.io/component': 'controller', 'pod-template-hash': 'template' });
    expect((controller.spec as { containers: { image: string }[] }).containers[0]!.image).toMatch(
      /^registry\.k8s\.io\/ingress-nginx\/controller:v1\.15\.1@sha256:/,
    );
  });

  it("locates a derived pod at its workload's document", () => {
    const deployment = inventory.locate({ kind: 'Deployment', namespace: 'ingress-nginx', name: 'ingress-nginx-controller' });
    expect(deployment).toEqual({ uri: 'fixtures/manifests/ingress-nginx/deploy.yaml', startLine: 391 });
    expect(inventory.locate({ kind: 'Pod', namespace: 'ingress-nginx', name: 'ingress-nginx-controller-template-0' })).toEqual(deployment);
  });

  it('says why the kinds only a running cluster shows are unknown, and takes absent tenant kinds as none', () => {
    for (const kind of [KINDS.Node, KINDS.DaemonSet, KINDS.CustomResourceDefinition, KINDS.CiliumClusterwideNetworkPolicy]) {
      expect(collectionOf(inventory, kind).status).toBe('missing');
    }
    expect(describeStatus(KINDS.Node, collectionOf(inventory, KINDS.Node), inventory.source)).toBe(
      'Nodes are not in the manifests: only a running cluster has them',
    );
    expect(describeStatus(KINDS.DaemonSet, collectionOf(inventory, KINDS.DaemonSet), inventory.source)).toMatch(/^the CNI's DaemonSet is not in the manifests/);
    expect(describeStatus(KINDS.CustomResourceDefinition, collectionOf(inventory, KINDS.CustomResourceDefinition), inventory.source)).toBe(
      'CustomResourceDefinition.apiextensions.k8s.io is not in the manifests: only a running cluster shows them all',
    );
    for (const kind of [KINDS.NetworkPolicy, KINDS.ResourceQuota, KINDS.LimitRange, KINDS.StatefulSet, KINDS.CronJob, KINDS.CiliumNetworkPolicy]) {
      expect(collectionOf(inventory, kind)).toEqual({ status: 'ok', items: [] });
    }
    expect(names(items(inventory, KINDS.ClusterRoleBinding))).toEqual(['/ingress-nginx', '/ingress-nginx-admission']);
  });

  it('gives a declared namespace the label the API server gives every namespace', () => {
    expect(items(inventory, KINDS.Namespace).map((ns) => labelsOf(ns)['kubernetes.io/metadata.name'])).toEqual(['ingress-nginx']);
  });
});

describe('manifests: a policy engine install (Gatekeeper deploy/gatekeeper.yaml)', () => {
  const { inventory } = load(['fixtures/manifests/gatekeeper/gatekeeper.yaml'], REPO_ROOT, { project: slimProjection() });

  it('honours replicas and takes the workloads to reach them', () => {
    const pods = names(items(inventory, KINDS.Pod));
    expect(pods).toEqual([
      'gatekeeper-system/gatekeeper-audit-template-0',
      'gatekeeper-system/gatekeeper-controller-manager-template-0',
      'gatekeeper-system/gatekeeper-controller-manager-template-1',
      'gatekeeper-system/gatekeeper-controller-manager-template-2',
    ]);
    const manager = items(inventory, KINDS.Deployment).find((d) => nameOf(d) === 'gatekeeper-controller-manager')!;
    expect(manager.status).toMatchObject({ replicas: 3, readyReplicas: 3 });
  });

  it('uses the cluster-wide kinds it holds: its CRDs and webhook configurations', () => {
    expect(collectionOf(inventory, KINDS.CustomResourceDefinition).status).toBe('ok');
    expect(items(inventory, KINDS.CustomResourceDefinition).map(nameOf)).toContain('constrainttemplates.templates.gatekeeper.sh');
    expect(names(items(inventory, KINDS.ValidatingWebhookConfiguration))).toEqual(['/gatekeeper-validating-webhook-configuration']);
    expect(collectionOf(inventory, KINDS.ValidatingAdmissionPolicy).status).toBe('missing');
    // Secrets are dropped unseen, as from a snapshot.
    expect(collectionOf(inventory, 'Secret')).toMatchObject({ status: 'forbidden', items: [] });
  });
});

describe('manifests: documents, lists and namespaces', () => {
  const deployment = (name: string, extra = ''): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n${extra}spec:\n  replicas: 2\n  selector: { matchLabels: { app: ${name} } }\n  template:\n    metadata: { labels: { app: ${name} } }\n    spec: { containers: [{ name: app, image: nginx:1.27 }] }\n`;

  it('reads multi-document YAML with empty documents, a List, a typed list and JSON; defaults the namespace; implies namespaces', () => {
    const dir = dirWith({
      'a.yaml': `---\n${deployment('web')}---\n---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: ConfigMap, metadata: { name: cfg, namespace: blog } }\n  - { apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: { name: reader } }\n`,
      'b.json': JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicyList',
        items: [{ metadata: { name: 'deny', namespace: 'blog' }, spec: { podSelector: {} } }],
      }),
    });
    const { inventory, notes } = load([dir], dir, { defaultNamespace: 'shop' });
    expect(notes).toEqual([]);
    expect(names(items(inventory, KINDS.Deployment))).toEqual(['shop/web']);
    expect(names(items(inventory, KINDS.Pod))).toEqual(['shop/web-template-0', 'shop/web-template-1']);
    expect(names(items(inventory, 'ConfigMap'))).toEqual(['blog/cfg']);
    // A cluster-scoped kind gets no namespace.
    expect(names(items(inventory, 'ClusterRole.rbac.authorization.k8s.io'))).toEqual(['/reader']);
    expect(names(items(inventory, KINDS.NetworkPolicy))).toEqual(['blog/deny']);
    // Namespaces the objects only name exist, labelled as the API server labels them.
    expect(items(inventory, KINDS.Namespace).map((ns) => [nameOf(ns), labelsOf(ns)])).toEqual([
      ['blog', { 'kubernetes.io/metadata.name': 'blog' }],
      ['shop', { 'kubernetes.io/metadata.name': 'shop' }],
    ]);
    expect(inventory.locate({ kind: 'Namespace', name: 'shop' })).toEqual({ uri: 'a.yaml', startLine: 2 });
  });

  it('gives the kinds of CRDs in the manifests their scope', () => {
    const dir = dirWith({
      'crd.yaml':
        'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: widgets.acme.io }\nspec:\n  group: acme.io\n  scope: Namespaced\n  names: { kind: Widget, plural: widgets }\n---\napiVersion: acme.io/v1\nkind: Widget\nmetadata: { name: w }\n---\napiVersion: other.io/v1\nkind: Gadget\nmetadata: { name: g }\n',
    });
    const { inventory } = load([dir], dir);
    expect(names(items(inventory, 'Widget.acme.io'))).toEqual(['default/w']);
    // A kind whose scope the manifests do not tell keeps the namespace it was written with.
    expect(names(items(inventory, 'Gadget.other.io'))).toEqual(['/g']);
  });

  it('stands CronJobs, Jobs, StatefulSets and DaemonSets for the pods they create', () => {
    const pod = '    metadata: { labels: { app: x } }\n    spec: { containers: [{ name: c, image: busybox:1.36 }] }\n';
    const dir = dirWith({
      'w.yaml': [
        `apiVersion: batch/v1\nkind: CronJob\nmetadata: { name: backup, namespace: ops }\nspec:\n  schedule: "0 3 * * *"\n  jobTemplate:\n    metadata: { labels: { team: ops } }\n    spec:\n      template:\n    ${pod.replace(/\n {4}/g, '\n        ').trimEnd()}\n`,
        `apiVersion: batch/v1\nkind: CronJob\nmetadata: { name: paused, namespace: ops }\nspec:\n  suspend: true\n  schedule: "0 3 * * *"\n  jobTemplate:\n    spec:\n      template:\n    ${pod.replace(/\n {4}/g, '\n        ').trimEnd()}\n`,
        `apiVersion: batch/v1\nkind: Job\nmetadata: { name: batch, namespace: ops }\nspec:\n  parallelism: 5\n  completions: 2\n  template:\n${pod}`,
        `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: db, namespace: data }\nspec:\n  replicas: 2\n  template:\n${pod}`,
        `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: agent, namespace: ops }\nspec:\n  template:\n${pod}`,
      ].join('---\n'),
    });
    const { inventory } = load([dir], dir);
    const pods = items(inventory, KINDS.Pod);
    expect(names(pods)).toEqual(['data/db-0', 'data/db-1', 'ops/agent-0', 'ops/backup-template-0', 'ops/batch-0', 'ops/batch-1']);
    const index = podOwnerIndex((kind) => collectionOf(inventory, kind));
    const byPod = Object.fromEntries(pods.map((p) => [nameOf(p), workloadOf(p, index).ref]));
    expect(byPod['backup-template-0']).toMatchObject({ kind: 'CronJob', name: 'backup' });
    expect(byPod['db-1']).toMatchObject({ kind: 'StatefulSet', name: 'db' });
    expect(byPod['agent-0']).toMatchObject({ kind: 'DaemonSet', name: 'agent' });
    expect(labelsOf(pods.find((p) => nameOf(p) === 'db-1')!)).toEqual({ app: 'x', 'statefulset.kubernetes.io/pod-name': 'db-1' });
    expect(labelsOf(pods.find((p) => nameOf(p) === 'backup-template-0')!)).toMatchObject({ app: 'x', 'job-name': 'backup-template' });
    // A DaemonSet that is not a CNI's does not tell which CNI the cluster runs.
    expect(collectionOf(inventory, KINDS.DaemonSet).status).toBe('missing');
  });

  it("makes the DaemonSet list known when the manifests hold a CNI's DaemonSet", () => {
    const dir = dirWith({
      'cilium.yaml':
        'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: cilium, namespace: kube-system, labels: { k8s-app: cilium } }\nspec:\n  template:\n    metadata: { labels: { k8s-app: cilium } }\n    spec: { containers: [{ name: cilium-agent, image: quay.io/cilium/cilium:v1.16.5 }] }\n',
    });
    const { inventory } = load([dir], dir);
    expect(collectionOf(inventory, KINDS.DaemonSet).status).toBe('ok');
    expect(names(items(inventory, KINDS.DaemonSet))).toEqual(['kube-system/cilium']);
  });

  it('takes an empty typed list as what the cluster has none of', () => {
    const dir = dirWith({
      'app.yaml': deployment('web'),
      'facts.yaml': 'apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicyList\nitems: []\n',
    });
    const { inventory } = load([dir], dir);
    expect(collectionOf(inventory, KINDS.CiliumClusterwideNetworkPolicy)).toEqual({ status: 'ok', items: [] });
    expect(collectionOf(inventory, KINDS.CalicoGlobalNetworkPolicy).status).toBe('missing');
  });

  it('reads standard input as `-`', () => {
    const dir = dirWith({});
    const { inventory } = load(['-'], dir, { stdin: () => deployment('api', '  namespace: shop\n') });
    expect(inventory.files).toEqual(['stdin']);
    expect(inventory.locate({ kind: 'Deployment', namespace: 'shop', name: 'api' })).toEqual({ uri: 'stdin', startLine: 1 });
  });

  it("skips a Helm chart's folder, Helm values and Kustomize files with one note each", () => {
    const dir = dirWith({
      'chart/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 1.0.0\n',
      'chart/values.yaml': 'replicaCount: 1\n',
      'chart/templates/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n',
      'overlay/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../rendered]\n',
      'overlay/patch.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n',
      'rendered/values.yaml': 'image: { tag: "1.0" }\n',
      'rendered/app.yaml': deployment('web'),
      'README.md': '# not read\n',
    });
    const { inventory, notes } = load([dir], dir);
    expect(notes).toEqual([
      expect.stringMatching(
        /^skipped chart\/: a Helm chart's sources, not rendered manifests \(render it: helm template NAME chart \| kposture audit --manifests -\)$/,
      ),
      'skipped overlay/kustomization.yaml: a Kustomize file, not a Kubernetes object (render the folder: kubectl kustomize)',
      'skipped overlay/patch.yaml: a Kustomize file (Component), not a Kubernetes object',
      'skipped rendered/values.yaml: no Kubernetes object in it (no apiVersion and kind): Helm values or other data',
    ]);
    expect(inventory.files).toEqual(['rendered/app.yaml']);
  });

  it('names the file and the document of a malformed YAML document, and of a document that is not an object among objects', () => {
    const dir = dirWith({
      'bad.yaml': `${deployment('web')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: x\n`,
      'stray.yaml': `${deployment('web')}---\n- just\n- a list\n`,
      'empty.yaml': '',
    });
    expect(loadError(['bad.yaml'], dir).message).toMatch(/^manifests bad\.yaml: document 2 \(line \d+\): invalid YAML: /);
    expect(loadError(['stray.yaml'], dir).message).toMatch(/^manifests stray\.yaml: document 2 \(line 12\): not a Kubernetes object/);
    expect(loadError(['empty.yaml'], dir).message).toBe('manifests empty.yaml: no Kubernetes object found');
    expect(loadError(['nowhere'], dir).message).toBe('manifests nowhere: no such file or directory');
  });

  it('names the document of an object the snapshot intake refuses', () => {
    const dir = dirWith({ 'x.yaml': `${deployment('web')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { labels: { a: 1 } }\n` });
    expect(loadError(['x.yaml'], dir).message).toBe('manifests x.yaml: document 2: field metadata.name must be a non-empty string');
  });

  it('refuses manifests that would create more pods than kposture models', () => {
    const dir = dirWith({ 'big.yaml': deployment('web').replace('replicas: 2', 'replicas: 1000000') });
    expect(loadError(['big.yaml'], dir).message).toMatch(
      /^manifests: the workloads would create more than 200000 pods \(ReplicaSet default\/web-template asks for 1000000\)$/,
    );
  });
});
