/**
 * A deterministic synthetic cluster as a snapshot `List` of typed lists: every built-in kind
 * kposture knows is present (some empty), plus Kyverno installed through CRDs. Objects look like
 * API output (uids, owner references, managedFields, last-applied annotations, env values), so
 * live collection, the snapshot writer and the fixture server all see realistic shapes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { knownKinds } from '../../src/k8s/kinds.js';
import type { K8sObject } from '../../src/k8s/object.js';

export interface ClusterShape {
  /** Tenant namespaces besides the system ones. */
  namespaces?: number;
  /** Running pods per tenant namespace. */
  podsPerNamespace?: number;
  /** Succeeded/Failed pods added to the first tenant namespace (live collection skips them). */
  finishedPods?: number;
  /** A string planted in env values and last-applied annotations; must never be written out. */
  marker?: string;
}

export const FIXTURE_MARKER = 'kposture-planted-env-value-7f3a';

const SYSTEM = ['kube-system', 'kube-public', 'kube-node-lease'];

function uid(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

export function syntheticCluster(shape: ClusterShape = {}): Record<string, unknown> {
  const tenants = shape.namespaces ?? 3;
  const perNs = shape.podsPerNamespace ?? 4;
  const marker = shape.marker ?? FIXTURE_MARKER;
  let serial = 1;
  const meta = (name: string, namespace?: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    ...(namespace ? { namespace } : {}),
    uid: uid(serial++),
    resourceVersion: String(1000 + serial),
    creationTimestamp: '2024-05-01T10:00:00Z',
    ...extra,
  });
  const managedFields = [
    {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': {} },
    },
  ];
  const lastApplied = (obj: unknown): Record<string, string> => ({ 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(obj) });

  const nsNames = [...SYSTEM, 'default', ...Array.from({ length: tenants }, (_, i) => `team-${String.fromCharCode(97 + i)}`)];
  const namespaces = nsNames.map((name, i) => ({
    metadata: meta(name, undefined, {
      labels: {
        'kubernetes.io/metadata.name': name,
        ...(name.startsWith('team-') && i % 2 === 0 ? { 'pod-security.kubernetes.io/enforce': 'restricted' } : {}),
        ...(name.startsWith('team-') && i % 2 === 1 ? { 'pod-security.kubernetes.io/enforce': 'privileged' } : {}),
      },
    }),
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  }));

  const osImages = ['Talos (v1.7.5)', 'Flatcar Container Linux by Kinvolk 3815.2.5 (Oklo)', 'Ubuntu 22.04.4 LTS'];
  const nodes = osImages.map((osImage, i) => ({
    metadata: meta(`node-${i}`, undefined, { labels: { 'kubernetes.io/hostname': `node-${i}`, 'kubernetes.io/os': 'linux' } }),
    spec: { podCIDR: `10.244.${i}.0/24` },
    status: {
      nodeInfo: {
        osImage,
        kernelVersion: '6.6.33',
        containerRuntimeVersion: 'containerd://1.7.18',
        kubeletVersion: 'v1.30.3',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  }));

  const images = ['gcr.io/distroless/static-debian12:nonroot', 'alpine:3.20', 'ubuntu:22.04', 'registry.example.com/team/app@sha256:' + 'a'.repeat(64)];
  const container = (name: string, image: string, env: boolean): Record<string, unknown> => ({
    name,
    image,
    ports: [{ containerPort: 8080, protocol: 'TCP' }],
    ...(env
      ? {
          env: [
            { name: 'API_PASSWORD', value: `${marker}-password` },
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            { name: 'LOG_LEVEL', value: `${marker}-debug` },
          ],
        }
      : {}),
    resources: { requests: { cpu: '100m', memory: '128Mi' } },
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
    livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
  });
  const podSpec = (i: number): Record<string, unknown> => ({
    containers: [container('app', images[i % images.length]!, true), container('sidecar', images[(i + 1) % images.length]!, false)],
    initContainers: [{ ...container('init', images[(i + 2) % images.length]!, true) }],
    nodeName: `node-${i % nodes.length}`,
    serviceAccountName: 'default',
  });
  const pods: Record<string, unknown>[] = [];
  const deployments: Record<string, unknown>[] = [];
  const replicaSets: Record<string, unknown>[] = [];
  let podIndex = 0;
  for (const ns of nsNames.filter((n) => n.startsWith('team-') || n === 'kube-system')) {
    const dep = ns === 'kube-system' ? 'coredns' : 'web';
    const template = { metadata: { labels: { app: dep } }, spec: podSpec(podIndex) };
    const depMeta = meta(dep, ns, { labels: { app: dep }, annotations: lastApplied({ kind: 'Deployment', spec: { template } }), managedFields });
    deployments.push({ metadata: depMeta, spec: { replicas: perNs, selector: { matchLabels: { app: dep } }, template }, status: { replicas: perNs } });
    const rs = `${dep}-5d9c7b8f6`;
    replicaSets.push({
      metadata: meta(rs, ns, {
        labels: { app: dep },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: dep, uid: depMeta.uid, controller: true }],
      }),
      spec: { replicas: perNs, selector: { matchLabels: { app: dep } }, template },
      status: { replicas: perNs },
    });
    for (let p = 0; p < perNs; p++) {
      pods.push({
        metadata: meta(`${rs}-${p.toString(36).padStart(5, 'x')}`, ns, {
          labels: { app: dep, 'pod-template-hash': '5d9c7b8f6' },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: uid(serial), controller: true, blockOwnerDeletion: true }],
          ...(p === 0 ? { managedFields, annotations: lastApplied({ env: marker }) } : {}),
        }),
        spec: podSpec(podIndex++),
        status: { phase: 'Running', podIP: `10.244.0.${podIndex}`, conditions: [{ type: 'Ready', status: 'True' }] },
      });
    }
  }
  const firstTenant = nsNames.find((n) => n.startsWith('team-'))!;
  for (let f = 0; f < (shape.finishedPods ?? 0); f++) {
    pods.push({
      metadata: meta(`report-job-${f}`, firstTenant, { labels: { 'job-name': 'report-job' } }),
      spec: podSpec(podIndex++),
      status: { phase: f % 2 === 0 ? 'Succeeded' : 'Failed' },
    });
  }

  const networkPolicies = nsNames
    .filter((n) => n.startsWith('team-'))
    .filter((_, i) => i % 2 === 0)
    .map((ns) => ({ metadata: meta('default-deny-ingress', ns), spec: { podSelector: {}, policyTypes: ['Ingress'] } }));

  const crd = (group: string, kind: string, plural: string, scope: 'Namespaced' | 'Cluster'): Record<string, unknown> => ({
    metadata: meta(`${plural}.${group}`, undefined, { labels: { 'app.kubernetes.io/part-of': 'kyverno' } }),
    spec: {
      group,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      scope,
      versions: [
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
        { name: 'v2beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
      ],
    },
  });
  const clusterPolicies = [
    {
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: meta('require-labels'),
      spec: {
        validationFailureAction: 'Enforce',
        background: true,
        rules: [
          {
            name: 'check-team',
            match: { any: [{ resources: { kinds: ['Pod'] } }] },
            validate: { message: 'label team is required', pattern: { metadata: { labels: { team: '?*' } } } },
          },
        ],
      },
    },
  ];
  const webhooks = [
    {
      metadata: meta('kyverno-resource-validating-webhook-cfg', undefined, { labels: { 'app.kubernetes.io/part-of': 'kyverno' } }),
      webhooks: [
        {
          name: 'validate.kyverno.svc-fail',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          clientConfig: { service: { name: 'kyverno-svc', namespace: 'kyverno', path: '/validate/fail' } },
          rules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['*/*'], scope: '*' }],
        },
      ],
    },
  ];

  const typed: Record<string, Record<string, unknown>[]> = {
    Namespace: namespaces,
    Node: nodes,
    Pod: pods,
    'Deployment.apps': deployments,
    'ReplicaSet.apps': replicaSets,
    'NetworkPolicy.networking.k8s.io': networkPolicies,
    'CustomResourceDefinition.apiextensions.k8s.io': [
      crd('kyverno.io', 'ClusterPolicy', 'clusterpolicies', 'Cluster'),
      crd('kyverno.io', 'Policy', 'policies', 'Namespaced'),
    ],
    'ValidatingWebhookConfiguration.admissionregistration.k8s.io': webhooks,
    'ClusterPolicy.kyverno.io': clusterPolicies,
  };
  const lists = [];
  for (const spec of [...knownKinds().filter((k) => k.builtin), ...knownKinds().filter((k) => k.group === 'kyverno.io')]) {
    const apiVersion = spec.group ? `${spec.group}/${spec.versions[0]}` : spec.versions[0]!;
    const items = (typed[spec.id] ?? []).map((o): K8sObject => ({ apiVersion, kind: spec.kind, ...o }));
    lists.push({ apiVersion, kind: `${spec.kind}List`, metadata: { resourceVersion: '5000' }, items });
  }
  return {
    apiVersion: 'v1',
    kind: 'List',
    metadata: { annotations: { 'kposture.dev/server-version': 'v1.30.3' } },
    items: lists,
  };
}

/** Writes the synthetic cluster to `cluster.json` in a new temp folder and returns the file. */
export function writeSyntheticCluster(shape: ClusterShape = {}, dir?: string): string {
  const folder = dir ?? mkdtempSync(path.join(os.tmpdir(), 'kposture-cluster-'));
  const file = path.join(folder, 'cluster.json');
  writeFileSync(file, JSON.stringify(syntheticCluster(shape), null, 1));
  return file;
}
