/**
 * Deterministic synthetic clusters for the benchmark, shaped like sig-scalability's load test:
 * pods that look like real API output (~5 KB each), Deployments with ReplicaSets, NetworkPolicies,
 * nodes. The same size and seed always give the same objects.
 */
export interface ClusterSize {
  name: string;
  nodes: number;
  pods: number;
  namespaces: number;
  /** Pods per Deployment (the rest of the shape follows). */
  podsPerDeployment: number;
}

export const SIZES: Record<string, ClusterSize> = {
  S: { name: 'S', nodes: 10, pods: 300, namespaces: 5, podsPerDeployment: 10 },
  M: { name: 'M', nodes: 100, pods: 3_000, namespaces: 50, podsPerDeployment: 10 },
  L: { name: 'L', nodes: 1_000, pods: 30_000, namespaces: 50, podsPerDeployment: 10 },
  XL: { name: 'XL', nodes: 5_000, pods: 150_000, namespaces: 50, podsPerDeployment: 10 },
  'XL-ns': { name: 'XL-ns', nodes: 5_000, pods: 150_000, namespaces: 10_000, podsPerDeployment: 5 },
};

/** Small, fast, seedable PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const IMAGES = [
  'gcr.io/distroless/static-debian12:nonroot',
  'cgr.dev/chainguard/nginx@sha256:3f0c2b7d6c1e8f4a5b9d0e7c6a1f2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c',
  'docker.io/library/nginx:1.27.2',
  'docker.io/library/python:3.12-slim',
  'registry.example.com/shop/api:v2.14.1',
  'docker.io/library/node:20',
  'docker.io/library/redis:7.4-alpine',
];
const OS_IMAGES = ['Talos (v1.8.2)', 'Ubuntu 22.04.4 LTS', 'Bottlerocket OS 1.26.1 (aws-k8s-1.31)', 'Container-Optimized OS from Google'];

const hex = (rand: () => number, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
};
const uid = (rand: () => number): string => `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-a${hex(rand, 3)}-${hex(rand, 12)}`;
const TS = '2026-10-01T08:00:00Z';

function namespaceName(size: ClusterSize, i: number): string {
  return `load-${String(i).padStart(size.namespaces > 100 ? 5 : 2, '0')}`;
}

function* nodes(size: ClusterSize): Generator<object> {
  const rand = prng(1);
  for (let i = 0; i < size.nodes; i++) {
    const osImage = OS_IMAGES[i % OS_IMAGES.length]!;
    yield {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: `node-${String(i).padStart(5, '0')}`,
        uid: uid(rand),
        creationTimestamp: TS,
        labels: {
          'kubernetes.io/hostname': `node-${i}`,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': 'm6i.xlarge',
          'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3]}`,
          'eks.amazonaws.com/nodegroup': `pool-${i % 4}`,
        },
      },
      spec: { podCIDR: `10.${(i >> 8) & 255}.${i & 255}.0/24`, providerID: `aws:///eu-west-1a/i-${hex(rand, 17)}` },
      status: {
        nodeInfo: {
          osImage,
          kernelVersion: '6.6.58-talos',
          kubeletVersion: 'v1.31.2',
          kubeProxyVersion: 'v1.31.2',
          containerRuntimeVersion: 'containerd://2.0.0',
          operatingSystem: 'linux',
          architecture: 'amd64',
          machineID: hex(rand, 32),
          systemUUID: uid(rand),
          bootID: uid(rand),
        },
        capacity: { cpu: '4', memory: '16106252Ki', pods: '110', 'ephemeral-storage': '83873772Ki' },
        allocatable: { cpu: '3920m', memory: '15318796Ki', pods: '110', 'ephemeral-storage': '77298068Ki' },
        conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({
          type,
          status: type === 'Ready' ? 'True' : 'False',
          lastHeartbeatTime: TS,
          lastTransitionTime: TS,
          reason: type === 'Ready' ? 'KubeletReady' : `KubeletHasNo${type}`,
          message: type === 'Ready' ? 'kubelet is posting ready status' : `kubelet has no ${type}`,
        })),
        addresses: [
          { type: 'InternalIP', address: `10.0.${(i >> 8) & 255}.${i & 255}` },
          { type: 'Hostname', address: `node-${i}` },
        ],
      },
    };
  }
}

function* namespaces(size: ClusterSize): Generator<object> {
  const rand = prng(2);
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    yield {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: uid(rand), creationTimestamp: TS, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
  }
  for (let i = 0; i < size.namespaces; i++) {
    const name = namespaceName(size, i);
    const labels: Record<string, string> = { 'kubernetes.io/metadata.name': name };
    if (i % 3 !== 0) labels['pod-security.kubernetes.io/enforce'] = i % 3 === 1 ? 'restricted' : 'baseline';
    yield {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: uid(rand), creationTimestamp: TS, labels },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
  }
}

function deploymentName(d: number): string {
  return `app-${String(d).padStart(5, '0')}`;
}

/** The pod-template-hash of a Deployment's current ReplicaSet: one per Deployment, as in a real cluster. */
function templateHash(d: number): string {
  return hex(prng(0x5eed0000 + d), 10);
}

/** The digest an image resolves to: the same for every pod that runs it. */
function imageId(image: string): string {
  const i = IMAGES.indexOf(image);
  const repo = image.split('@')[0]!.replace(/:[^/]*$/, '');
  return `${repo}@sha256:${hex(prng(0x1a6e0000 + (i < 0 ? 99 : i)), 64)}`;
}

export function deploymentCount(size: ClusterSize): number {
  return Math.ceil(size.pods / size.podsPerDeployment);
}

function* deployments(size: ClusterSize): Generator<object> {
  const rand = prng(3);
  for (let d = 0; d < deploymentCount(size); d++) {
    const ns = namespaceName(size, d % size.namespaces);
    const name = deploymentName(d);
    yield {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, uid: uid(rand), generation: 1, creationTimestamp: TS, labels: { app: name, 'app.kubernetes.io/part-of': 'load' } },
      spec: {
        replicas: size.podsPerDeployment,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: IMAGES[d % IMAGES.length] }] } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      },
      status: { replicas: size.podsPerDeployment, readyReplicas: size.podsPerDeployment, availableReplicas: size.podsPerDeployment, observedGeneration: 1 },
    };
  }
}

/** The current ReplicaSet of each Deployment (the one its pods name as their owner). */
function* replicaSets(size: ClusterSize): Generator<object> {
  const rand = prng(6);
  for (let d = 0; d < deploymentCount(size); d++) {
    const ns = namespaceName(size, d % size.namespaces);
    const name = deploymentName(d);
    const hash = templateHash(d);
    yield {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${name}-${hash}`,
        namespace: ns,
        uid: uid(rand),
        generation: 1,
        creationTimestamp: TS,
        labels: { app: name, 'pod-template-hash': hash },
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(size.podsPerDeployment),
          'deployment.kubernetes.io/max-replicas': String(size.podsPerDeployment + 3),
          'deployment.kubernetes.io/revision': '1',
        },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: uid(rand), controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        replicas: size.podsPerDeployment,
        selector: { matchLabels: { app: name, 'pod-template-hash': hash } },
        template: { metadata: { labels: { app: name, 'pod-template-hash': hash } }, spec: { containers: [{ name: 'app', image: IMAGES[d % IMAGES.length] }] } },
      },
      status: {
        replicas: size.podsPerDeployment,
        fullyLabeledReplicas: size.podsPerDeployment,
        readyReplicas: size.podsPerDeployment,
        availableReplicas: size.podsPerDeployment,
        observedGeneration: 1,
      },
    };
  }
}

/** One default-deny-ingress policy per namespace plus one allow policy per Deployment. */
function* networkPolicies(size: ClusterSize): Generator<object> {
  const rand = prng(4);
  for (let i = 0; i < size.namespaces; i++) {
    if (i % 5 === 4) continue; // every fifth namespace has no default deny
    yield {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: namespaceName(size, i), uid: uid(rand), creationTimestamp: TS },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    };
  }
  for (let d = 0; d < deploymentCount(size); d++) {
    const name = deploymentName(d);
    yield {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `allow-${name}`, namespace: namespaceName(size, d % size.namespaces), uid: uid(rand), creationTimestamp: TS },
      spec: {
        podSelector: { matchLabels: { app: name } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'load' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
      },
    };
  }
}

export function* pods(size: ClusterSize): Generator<object> {
  const rand = prng(5);
  for (let p = 0; p < size.pods; p++) {
    const d = Math.floor(p / size.podsPerDeployment);
    const name = deploymentName(d);
    const ns = namespaceName(size, d % size.namespaces);
    const hash = templateHash(d);
    const image = IMAGES[d % IMAGES.length]!;
    const node = `node-${String(p % size.nodes).padStart(5, '0')}`;
    const container = (cname: string, img: string, port: number): object => ({
      name: cname,
      image: img,
      imagePullPolicy: 'IfNotPresent',
      ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'UPSTREAM_URL', value: `http://${name}-upstream.${ns}.svc.cluster.local:8080` },
      ],
      resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
      livenessProbe: {
        httpGet: { path: '/healthz', port, scheme: 'HTTP' },
        initialDelaySeconds: 10,
        periodSeconds: 10,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      },
      readinessProbe: { httpGet: { path: '/ready', port, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: d % 2 === 0, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
      volumeMounts: [
        { name: 'config', mountPath: '/etc/app', readOnly: true },
        { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
      ],
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    const pod: Record<string, unknown> = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-${hash.slice(0, 10)}-${hex(rand, 5)}`,
        generateName: `${name}-${hash.slice(0, 10)}-`,
        namespace: ns,
        uid: uid(rand),
        resourceVersion: String(100000 + p),
        creationTimestamp: TS,
        labels: { app: name, 'app.kubernetes.io/part-of': 'load', 'pod-template-hash': hash.slice(0, 10) },
        annotations: { 'kubectl.kubernetes.io/restartedAt': TS, 'prometheus.io/scrape': 'true' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-${hash.slice(0, 10)}`, uid: uid(rand), controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: {
        volumes: [
          { name: 'config', configMap: { name: `${name}-config`, defaultMode: 420 } },
          {
            name: 'kube-api-access',
            projected: {
              defaultMode: 420,
              sources: [
                { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
                { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              ],
            },
          },
        ],
        containers: [container('app', image, 8080), container('sidecar', 'docker.io/library/busybox:1.36', 9090)],
        initContainers: d % 4 === 0 ? [{ name: 'migrate', image, command: ['/app/migrate'], resources: {} }] : [],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        dnsPolicy: 'ClusterFirst',
        serviceAccountName: 'default',
        nodeName: node,
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        schedulerName: 'default-scheduler',
        tolerations: [
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        ],
        priority: 0,
        enableServiceLinks: true,
        preemptionPolicy: 'PreemptLowerPriority',
      },
      status: {
        phase: 'Running',
        conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
          type,
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: TS,
        })),
        hostIP: `10.0.${(p >> 8) & 255}.${p & 255}`,
        podIP: `10.${100 + ((p >> 16) & 127)}.${(p >> 8) & 255}.${p & 255}`,
        startTime: TS,
        qosClass: 'Burstable',
        containerStatuses: ['app', 'sidecar'].map((cname) => ({
          name: cname,
          state: { running: { startedAt: TS } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: cname === 'app' ? image : 'docker.io/library/busybox:1.36',
          imageID: imageId(cname === 'app' ? image : 'docker.io/library/busybox:1.36'),
          containerID: `containerd://${hex(rand, 64)}`,
          started: true,
        })),
      },
    };
    if (p % 10 === 0) {
      (pod.metadata as Record<string, unknown>).managedFields = [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: TS,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} }, 'f:ownerReferences': { '.': {} } },
            'f:spec': { 'f:containers': {} },
          },
        },
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          time: TS,
          fieldsType: 'FieldsV1',
          subresource: 'status',
          fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:phase': {}, 'f:podIP': {} } },
        },
      ];
    }
    yield pod;
  }
}

/** A kind the synthetic cluster serves: with generated objects, or none (listed, empty). */
export interface SyntheticKind {
  listKind: string;
  apiVersion: string;
  /** Plural name in the API path. */
  resource: string;
  namespaced: boolean;
  items?: (s: ClusterSize) => Generator<object>;
}

/** All kinds of a synthetic cluster, in the order a snapshot file lists them. */
export const KIND_GENERATORS: SyntheticKind[] = [
  { listKind: 'NodeList', apiVersion: 'v1', resource: 'nodes', namespaced: false, items: nodes },
  { listKind: 'NamespaceList', apiVersion: 'v1', resource: 'namespaces', namespaced: false, items: namespaces },
  { listKind: 'DeploymentList', apiVersion: 'apps/v1', resource: 'deployments', namespaced: true, items: deployments },
  { listKind: 'ReplicaSetList', apiVersion: 'apps/v1', resource: 'replicasets', namespaced: true, items: replicaSets },
  { listKind: 'NetworkPolicyList', apiVersion: 'networking.k8s.io/v1', resource: 'networkpolicies', namespaced: true, items: networkPolicies },
  { listKind: 'PodList', apiVersion: 'v1', resource: 'pods', namespaced: true, items: pods },
];

/**
 * Kinds the cluster serves without objects: the other built-in kinds checks read. They are
 * listed (empty) live and written as empty typed lists in the snapshot, so that both audits
 * see the same cluster: no CRDs (hence no policy engine, no CNI policies), no bindings.
 */
const EMPTY_KINDS: SyntheticKind[] = [
  { listKind: 'ResourceQuotaList', apiVersion: 'v1', resource: 'resourcequotas', namespaced: true },
  { listKind: 'LimitRangeList', apiVersion: 'v1', resource: 'limitranges', namespaced: true },
  { listKind: 'StatefulSetList', apiVersion: 'apps/v1', resource: 'statefulsets', namespaced: true },
  { listKind: 'DaemonSetList', apiVersion: 'apps/v1', resource: 'daemonsets', namespaced: true },
  { listKind: 'JobList', apiVersion: 'batch/v1', resource: 'jobs', namespaced: true },
  { listKind: 'CronJobList', apiVersion: 'batch/v1', resource: 'cronjobs', namespaced: true },
  { listKind: 'ClusterRoleBindingList', apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'clusterrolebindings', namespaced: false },
  { listKind: 'RoleBindingList', apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'rolebindings', namespaced: true },
  { listKind: 'CustomResourceDefinitionList', apiVersion: 'apiextensions.k8s.io/v1', resource: 'customresourcedefinitions', namespaced: false },
  {
    listKind: 'ValidatingWebhookConfigurationList',
    apiVersion: 'admissionregistration.k8s.io/v1',
    resource: 'validatingwebhookconfigurations',
    namespaced: false,
  },
  { listKind: 'MutatingWebhookConfigurationList', apiVersion: 'admissionregistration.k8s.io/v1', resource: 'mutatingwebhookconfigurations', namespaced: false },
  { listKind: 'ValidatingAdmissionPolicyList', apiVersion: 'admissionregistration.k8s.io/v1', resource: 'validatingadmissionpolicies', namespaced: false },
  {
    listKind: 'ValidatingAdmissionPolicyBindingList',
    apiVersion: 'admissionregistration.k8s.io/v1',
    resource: 'validatingadmissionpolicybindings',
    namespaced: false,
  },
];

/** Every kind the synthetic cluster serves. */
export const SYNTHETIC_KINDS: SyntheticKind[] = [...KIND_GENERATORS, ...EMPTY_KINDS];

/** The synthetic cluster's Kubernetes version (its /version, the snapshot's annotation). */
export const SYNTHETIC_SERVER_VERSION = 'v1.31.2';
