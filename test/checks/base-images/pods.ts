/**
 * Pods as `kubectl get pods -o json` prints them, with the controller chains the Kubernetes
 * controllers write: Deployment → ReplicaSet `<name>-<pod-template-hash>` → pods labelled with the
 * hash; CronJob → Job `<name>-<scheduled minute>` → pods; StatefulSet and DaemonSet → pods; a bare
 * pod as `kubectl run` makes it; a static pod's mirror owned by its Node. Only the fields the
 * image checks read are filled in.
 */
import type { K8sObject } from '../../../src/k8s/object.js';

export interface Container {
  name: string;
  image: string;
  securityContext?: Record<string, unknown>;
}

export interface PodTemplate {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  os?: { name: string };
}

let counter = 0;
function uid(): string {
  counter += 1;
  return `3b8e5f0c-1d2a-4e6b-8c9d-${String(counter).padStart(12, '0')}`;
}

function controllerRef(apiVersion: string, kind: string, name: string): Record<string, unknown> {
  return { apiVersion, kind, name, uid: uid(), controller: true, blockOwnerDeletion: true };
}

function pod(
  namespace: string,
  name: string,
  template: PodTemplate,
  extra: { labels?: Record<string, string>; owner?: Record<string, unknown>; annotations?: Record<string, string>; nodeName?: string } = {},
): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: uid(),
      labels: extra.labels ?? {},
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
      ...(extra.owner ? { ownerReferences: [extra.owner] } : {}),
    },
    spec: { ...template, nodeName: extra.nodeName ?? 'ip-10-0-1-11.ec2.internal', restartPolicy: 'Always' },
    status: { phase: 'Running' },
  };
}

const SUFFIXES = ['x7k2p', 'q9w4m', 'b5n8t', 'h3j6r', 'z2c4v'];

/** The ReplicaSet (unless `withReplicaSet` is false) and `replicas` pods of a Deployment. */
export function deploymentPods(
  namespace: string,
  name: string,
  template: PodTemplate,
  options: { replicas?: number; hash?: string; withReplicaSet?: boolean } = {},
): K8sObject[] {
  const hash = options.hash ?? '7d9f8b6c5d';
  const rsName = `${name}-${hash}`;
  const replicaSet: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: rsName,
      namespace,
      uid: uid(),
      labels: { app: name, 'pod-template-hash': hash },
      ownerReferences: [controllerRef('apps/v1', 'Deployment', name)],
    },
    spec: { replicas: options.replicas ?? 2, template: { spec: template } },
  };
  const pods = Array.from({ length: options.replicas ?? 2 }, (_, i) =>
    pod(namespace, `${rsName}-${SUFFIXES[i % SUFFIXES.length]}`, template, {
      labels: { app: name, 'pod-template-hash': hash },
      owner: controllerRef('apps/v1', 'ReplicaSet', rsName),
    }),
  );
  return options.withReplicaSet === false ? pods : [replicaSet, ...pods];
}

export function statefulSetPods(namespace: string, name: string, template: PodTemplate, replicas = 2): K8sObject[] {
  return Array.from({ length: replicas }, (_, i) =>
    pod(namespace, `${name}-${i}`, template, {
      labels: { app: name, 'statefulset.kubernetes.io/pod-name': `${name}-${i}` },
      owner: controllerRef('apps/v1', 'StatefulSet', name),
    }),
  );
}

export function daemonSetPods(namespace: string, name: string, template: PodTemplate, nodes = 2): K8sObject[] {
  return Array.from({ length: nodes }, (_, i) =>
    pod(namespace, `${name}-${SUFFIXES[i % SUFFIXES.length]}`, template, {
      labels: { 'k8s-app': name, 'controller-revision-hash': '6b9c8d7f5' },
      owner: controllerRef('apps/v1', 'DaemonSet', name),
      nodeName: `ip-10-0-1-${11 + i}.ec2.internal`,
    }),
  );
}

/** The Job a CronJob created at `scheduled` (minutes since the epoch) and its pod. */
export function cronJobPods(namespace: string, name: string, template: PodTemplate, scheduled = 28712345): K8sObject[] {
  const jobName = `${name}-${scheduled}`;
  const job: K8sObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName, namespace, uid: uid(), ownerReferences: [controllerRef('batch/v1', 'CronJob', name)] },
    spec: { template: { spec: template } },
  };
  return [
    job,
    pod(namespace, `${jobName}-4kq9z`, template, {
      labels: { 'batch.kubernetes.io/job-name': jobName, 'job-name': jobName },
      owner: controllerRef('batch/v1', 'Job', jobName),
    }),
  ];
}

export function barePod(namespace: string, name: string, template: PodTemplate): K8sObject {
  return pod(namespace, name, template, { labels: { run: name } });
}

export function staticPod(namespace: string, component: string, nodeName: string, template: PodTemplate): K8sObject {
  return pod(namespace, `${component}-${nodeName}`, template, {
    labels: { component, tier: 'control-plane' },
    annotations: { 'kubernetes.io/config.mirror': 'a1b2c3d4e5f60718293a4b5c6d7e8f90', 'kubernetes.io/config.source': 'file' },
    owner: { apiVersion: 'v1', kind: 'Node', name: nodeName, uid: uid(), controller: true },
    nodeName,
  });
}

export const DIGEST = `sha256:${'4f5a3c2b1e0d9c8b'.repeat(4)}`;
