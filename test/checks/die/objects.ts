/**
 * Workload objects as `kubectl get -o json` prints them, trimmed to the fields the checks read:
 * the ownerReferences chains the controllers write (Deployment → ReplicaSet → Pod with
 * pod-template-hash, CronJob → Job → Pod, StatefulSet → Pod, DaemonSet → Pod), a bare pod as
 * `kubectl run` creates it, and a static pod's mirror as the kubelet posts it.
 */
import type { K8sObject } from '../../../src/k8s/object.js';

let uidCounter = 0;
function uid(): string {
  uidCounter += 1;
  return `6f1c2a7e-0b9d-4c3e-9a51-${String(uidCounter).padStart(12, '0')}`;
}

interface Meta {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
}

function ownerRef(owner: K8sObject, controller = true): Record<string, unknown> {
  const m = owner.metadata as Meta;
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: m.name, uid: m.uid, controller, blockOwnerDeletion: true };
}

function meta(namespace: string, name: string, extra: Partial<Meta> = {}): Meta {
  return { name, namespace, uid: uid(), ...extra };
}

export interface PodSpecOptions {
  volumes?: unknown[];
  labels?: Record<string, string>;
}

function template(name: string, opts: PodSpecOptions): Record<string, unknown> {
  return {
    metadata: { labels: { 'app.kubernetes.io/name': name, ...opts.labels } },
    spec: {
      containers: [{ name, image: `registry.example.com/${name}:1.4.2` }],
      ...(opts.volumes ? { volumes: opts.volumes } : {}),
    },
  };
}

/** `replicas: null` leaves spec.replicas out, as a manifest that relies on the API default does. */
export function deployment(namespace: string, name: string, replicas: number | null = 2, opts: PodSpecOptions = {}): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(namespace, name, { labels: { 'app.kubernetes.io/name': name } }),
    spec: {
      ...(replicas === null ? {} : { replicas }),
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: template(name, opts),
    },
    status: { replicas: replicas ?? 1, readyReplicas: replicas ?? 1 },
  };
}

export function statefulSet(namespace: string, name: string, replicas: number | null = 3, opts: PodSpecOptions = {}): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(namespace, name, { labels: { 'app.kubernetes.io/name': name, ...opts.labels } }),
    spec: {
      ...(replicas === null ? {} : { replicas }),
      serviceName: `${name}-headless`,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: template(name, opts),
    },
  };
}

export function daemonSet(namespace: string, name: string, opts: PodSpecOptions = {}): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(namespace, name),
    spec: { selector: { matchLabels: { 'app.kubernetes.io/name': name } }, template: template(name, opts) },
  };
}

/** The ReplicaSet the Deployment controller creates: `<deployment>-<pod-template-hash>`. */
export function replicaSet(owner: K8sObject, hash: string): K8sObject {
  const d = owner.metadata as Meta;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: meta(d.namespace, `${d.name}-${hash}`, {
      labels: { 'app.kubernetes.io/name': d.name, 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/revision': '3' },
      ownerReferences: [ownerRef(owner)],
    }),
    spec: { replicas: (owner.spec as { replicas?: number }).replicas ?? 1 },
  };
}

export function cronJob(namespace: string, name: string): K8sObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(namespace, name),
    spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: template(name, {}) } } },
  };
}

/** A Job; from a CronJob it is named `<cronjob>-<scheduled time in minutes>`. */
export function job(namespace: string, name: string, owner?: K8sObject): K8sObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(namespace, name, owner ? { ownerReferences: [ownerRef(owner)] } : {}),
    spec: { template: template(name, {}) },
  };
}

export interface PodOptions extends PodSpecOptions {
  phase?: string;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
}

/** A pod created by `owner` (ReplicaSet, StatefulSet, DaemonSet, Job), with the labels that controller adds. */
export function podOf(owner: K8sObject, suffix: string, opts: PodOptions = {}): K8sObject {
  const o = owner.metadata as Meta;
  const labels: Record<string, string> = { ...(o.labels ?? {}), ...opts.labels };
  if (owner.kind === 'Job') Object.assign(labels, { 'batch.kubernetes.io/job-name': o.name, 'job-name': o.name });
  if (owner.kind === 'StatefulSet') labels['statefulset.kubernetes.io/pod-name'] = `${o.name}-${suffix}`;
  const name = `${o.name}-${suffix}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(o.namespace, name, {
      labels,
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ownerReferences: opts.ownerReferences ?? [ownerRef(owner)],
    }),
    spec: {
      containers: [{ name: o.name, image: `registry.example.com/${o.name}:1.4.2` }],
      ...(opts.volumes ? { volumes: opts.volumes } : {}),
      nodeName: 'worker-1',
    },
    status: { phase: opts.phase ?? 'Running' },
  };
}

/** A pod as `kubectl run <name> --image=…` creates it: label run=<name>, no ownerReferences. */
export function barePod(namespace: string, name: string, opts: PodOptions = {}): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(namespace, name, {
      labels: { run: name, ...opts.labels },
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(opts.ownerReferences ? { ownerReferences: opts.ownerReferences } : {}),
    }),
    spec: { containers: [{ name, image: 'busybox:1.36' }], ...(opts.volumes ? { volumes: opts.volumes } : {}), nodeName: 'worker-1' },
    status: { phase: opts.phase ?? 'Running' },
  };
}

/** The mirror of a static pod: the kubelet names it `<name>-<node>` and makes the Node its controller. */
export function mirrorPod(namespace: string, name: string, node: string, volumes: unknown[] = []): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(namespace, `${name}-${node}`, {
      labels: { component: name, tier: 'control-plane' },
      annotations: {
        'kubernetes.io/config.hash': '5b6c1f0e7b1e0d6a2f3c4d5e6f708192',
        'kubernetes.io/config.mirror': '5b6c1f0e7b1e0d6a2f3c4d5e6f708192',
        'kubernetes.io/config.source': 'file',
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid: uid(), controller: true }],
    }),
    spec: { containers: [{ name, image: `registry.k8s.io/${name}:v1.31.2` }], volumes, nodeName: node, priorityClassName: 'system-node-critical' },
    status: { phase: 'Running' },
  };
}

export function hostPathVolume(name: string, path: string, type?: string): Record<string, unknown> {
  return { name, hostPath: { path, ...(type ? { type } : {}) } };
}
