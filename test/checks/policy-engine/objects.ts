/**
 * Objects modelled on the engines' real install manifests (Kyverno Helm chart 3.x / Kyverno
 * 1.12, Gatekeeper deploy/gatekeeper.yaml v3.21.0, kubewarden-controller, jsPolicy 0.3), as
 * `kubectl get -o json` prints them, trimmed to the fields the checks read.
 */
import { deriveDynamicKinds } from '../../../src/inventory/dynamic-kinds.js';
import type { Inventory, KindCollection, KindStatus } from '../../../src/k8s/inventory.js';
import type { KindId } from '../../../src/k8s/kinds.js';
import type { K8sObject } from '../../../src/k8s/object.js';
import { inventoryOf } from '../../support/inventory.js';

/** inventoryOf, plus the Gatekeeper constraint aggregate the snapshot loader derives. */
export function engineInventory(objects: K8sObject[], statuses: Partial<Record<KindId, KindStatus>> = {}): Inventory {
  const inv = inventoryOf(objects, statuses);
  deriveDynamicKinds(inv.kinds as Map<KindId, KindCollection>);
  return inv;
}

export function crd(group: string, kind: string, plural: string, scope: 'Cluster' | 'Namespaced' = 'Cluster'): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: { group, names: { kind, plural, listKind: `${kind}List` }, scope, versions: [{ name: 'v1', served: true, storage: true }] },
  };
}

export interface EntryOptions {
  name: string;
  failurePolicy?: 'Fail' | 'Ignore' | undefined;
  namespaceSelector?: unknown;
  service?: { namespace: string; name: string; path?: string };
  rules?: unknown[];
}

const ALL_RESOURCES = [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['*'], scope: '*' }];

export function validatingWebhookConfiguration(name: string, entries: EntryOptions[], meta: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name, ...meta },
    webhooks: entries.map((e) => ({
      admissionReviewVersions: ['v1'],
      clientConfig: e.service ? { service: { port: 443, ...e.service } } : { url: 'https://policy.example.com/validate' },
      ...(e.failurePolicy ? { failurePolicy: e.failurePolicy } : {}),
      matchPolicy: 'Equivalent',
      name: e.name,
      ...(e.namespaceSelector !== undefined ? { namespaceSelector: e.namespaceSelector } : {}),
      objectSelector: {},
      rules: e.rules ?? ALL_RESOURCES,
      sideEffects: 'NoneOnDryRun',
      timeoutSeconds: 10,
    })),
  };
}

export function deployment(namespace: string, name: string, replicas: number, ready: number | undefined): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': name } },
    spec: { replicas, selector: { matchLabels: { 'app.kubernetes.io/name': name } } },
    status: { replicas, ...(ready !== undefined ? { readyReplicas: ready, availableReplicas: ready } : {}), updatedReplicas: replicas },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

// ---------------------------------------------------------------- Kyverno

/** The Helm chart's default webhook selector: kube-system from config.webhooks, kyverno from excludeKyvernoNamespace. */
const KYVERNO_SELECTOR = {
  matchExpressions: [
    { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
    { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kyverno'] },
  ],
};

export function kyvernoCrds(): K8sObject[] {
  return [
    crd('kyverno.io', 'ClusterPolicy', 'clusterpolicies'),
    crd('kyverno.io', 'Policy', 'policies', 'Namespaced'),
    crd('kyverno.io', 'PolicyException', 'policyexceptions', 'Namespaced'),
  ];
}

export function kyvernoResourceWebhook(options: { ignore?: boolean; fail?: boolean; selector?: unknown } = {}): K8sObject {
  const { ignore = false, fail = true, selector = KYVERNO_SELECTOR } = options;
  const entries: EntryOptions[] = [];
  if (fail)
    entries.push({
      name: 'validate.kyverno.svc-fail',
      failurePolicy: 'Fail',
      namespaceSelector: selector,
      service: { namespace: 'kyverno', name: 'kyverno-svc', path: '/validate/fail' },
    });
  if (ignore)
    entries.push({
      name: 'validate.kyverno.svc-ignore',
      failurePolicy: 'Ignore',
      namespaceSelector: selector,
      service: { namespace: 'kyverno', name: 'kyverno-svc', path: '/validate/ignore' },
    });
  return validatingWebhookConfiguration('kyverno-resource-validating-webhook-cfg', entries, { labels: { 'webhook.kyverno.io/managed-by': 'kyverno' } });
}

export function kyvernoPolicyWebhook(): K8sObject {
  return validatingWebhookConfiguration(
    'kyverno-policy-validating-webhook-cfg',
    [
      {
        name: 'validate-policy.kyverno.svc',
        failurePolicy: 'Fail',
        service: { namespace: 'kyverno', name: 'kyverno-svc', path: '/policyvalidate' },
        rules: [{ apiGroups: ['kyverno.io'], apiVersions: ['v1', 'v2beta1'], operations: ['CREATE', 'UPDATE'], resources: ['clusterpolicies', 'policies'] }],
      },
    ],
    { labels: { 'webhook.kyverno.io/managed-by': 'kyverno' } },
  );
}

/** A Kyverno install as the Helm chart lays it out, admission controller at the given replicas. */
export function kyvernoInstall(replicas = 3, ready: number | undefined = replicas, webhook: K8sObject = kyvernoResourceWebhook()): K8sObject[] {
  return [
    ...kyvernoCrds(),
    webhook,
    kyvernoPolicyWebhook(),
    deployment('kyverno', 'kyverno-admission-controller', replicas, ready),
    deployment('kyverno', 'kyverno-background-controller', 1, 1),
    deployment('kyverno', 'kyverno-cleanup-controller', 1, 1),
    deployment('kyverno', 'kyverno-reports-controller', 1, 1),
  ];
}

export function validateRule(name: string, failureAction?: string): Record<string, unknown> {
  return {
    name,
    match: { any: [{ resources: { kinds: ['Pod'] } }] },
    validate: {
      ...(failureAction ? { failureAction } : {}),
      message: `${name} violated`,
      pattern: { spec: { containers: [{ securityContext: { privileged: 'false' } }] } },
    },
  };
}

export function clusterPolicy(name: string, spec: Record<string, unknown>): K8sObject {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name, annotations: { 'policies.kyverno.io/category': 'Pod Security Standards (Baseline)' } },
    spec: { background: true, ...spec },
  };
}

// ---------------------------------------------------------------- Gatekeeper

const GATEKEEPER_SELECTOR = {
  matchExpressions: [
    { key: 'admission.gatekeeper.sh/ignore', operator: 'DoesNotExist' },
    { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['gatekeeper-system'] },
  ],
};

/** deploy/gatekeeper.yaml v3.21.0: validation.gatekeeper.sh fails open, check-ignore-label fails closed. */
export function gatekeeperWebhook(validationFailurePolicy: 'Fail' | 'Ignore' = 'Ignore', selector: unknown = GATEKEEPER_SELECTOR): K8sObject {
  return validatingWebhookConfiguration(
    'gatekeeper-validating-webhook-configuration',
    [
      {
        name: 'validation.gatekeeper.sh',
        failurePolicy: validationFailurePolicy,
        namespaceSelector: selector,
        service: { namespace: 'gatekeeper-system', name: 'gatekeeper-webhook-service', path: '/v1/admit' },
      },
      {
        name: 'check-ignore-label.gatekeeper.sh',
        failurePolicy: 'Fail',
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['gatekeeper-system'] }] },
        service: { namespace: 'gatekeeper-system', name: 'gatekeeper-webhook-service', path: '/v1/admitlabel' },
        rules: [{ apiGroups: [''], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['namespaces'] }],
      },
    ],
    { labels: { 'gatekeeper.sh/system': 'yes' } },
  );
}

export function constraintTemplate(kind: string): K8sObject {
  return {
    apiVersion: 'templates.gatekeeper.sh/v1',
    kind: 'ConstraintTemplate',
    metadata: { name: kind.toLowerCase() },
    spec: { crd: { spec: { names: { kind } } }, targets: [{ target: 'admission.k8s.gatekeeper.sh', rego: 'package x\nviolation[{"msg": "no"}] { false }' }] },
  };
}

export function constraint(kind: string, name: string, spec: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind,
    metadata: { name },
    spec: { match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }] }, ...spec },
  };
}

export function gatekeeperInstall(options: { failurePolicy?: 'Fail' | 'Ignore'; replicas?: number; ready?: number } = {}): K8sObject[] {
  const { failurePolicy = 'Ignore', replicas = 3, ready = replicas } = options;
  return [
    crd('templates.gatekeeper.sh', 'ConstraintTemplate', 'constrainttemplates'),
    crd('config.gatekeeper.sh', 'Config', 'configs', 'Namespaced'),
    gatekeeperWebhook(failurePolicy),
    deployment('gatekeeper-system', 'gatekeeper-controller-manager', replicas, ready),
    deployment('gatekeeper-system', 'gatekeeper-audit', 1, 1),
  ];
}

// ---------------------------------------------------------------- Kubewarden and jsPolicy

export function kubewardenPolicyWebhook(
  scope: 'cluster' | 'namespace',
  name: string,
  options: { failurePolicy?: 'Fail' | 'Ignore'; selector?: unknown } = {},
): K8sObject {
  return validatingWebhookConfiguration(
    name,
    [
      {
        name: `${name}.kubewarden.admission`,
        failurePolicy: options.failurePolicy ?? 'Fail',
        namespaceSelector: options.selector ?? { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kubewarden'] }] },
        service: { namespace: 'kubewarden', name: 'policy-server-default', path: `/validate/${name}` },
      },
    ],
    { labels: { kubewarden: 'true', kubewardenPolicyScope: scope }, annotations: { kubewardenPolicyName: name } },
  );
}

export function kubewardenInstall(replicas = 1, ready = replicas): K8sObject[] {
  return [
    crd('policies.kubewarden.io', 'ClusterAdmissionPolicy', 'clusteradmissionpolicies'),
    crd('policies.kubewarden.io', 'AdmissionPolicy', 'admissionpolicies', 'Namespaced'),
    crd('policies.kubewarden.io', 'PolicyServer', 'policyservers'),
    validatingWebhookConfiguration('kubewarden-controller-validating-webhook-configuration', [
      {
        name: 'vclusteradmissionpolicy.kb.io',
        failurePolicy: 'Fail',
        service: { namespace: 'kubewarden', name: 'kubewarden-controller-webhook-service' },
        rules: [{ apiGroups: ['policies.kubewarden.io'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['clusteradmissionpolicies'] }],
      },
    ]),
    deployment('kubewarden', 'kubewarden-controller', 1, 1),
    deployment('kubewarden', 'policy-server-default', replicas, ready),
  ];
}

export function kubewardenPolicy(kind: 'ClusterAdmissionPolicy' | 'AdmissionPolicy', name: string, mode?: string, ns?: string): K8sObject {
  return {
    apiVersion: 'policies.kubewarden.io/v1',
    kind,
    metadata: { name, ...(ns ? { namespace: ns } : {}) },
    spec: {
      module: 'ghcr.io/kubewarden/policies/pod-privileged:v0.3.2',
      policyServer: 'default',
      ...(mode ? { mode } : {}),
      rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] }],
    },
  };
}

export function jsPolicy(name: string, spec: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name, uid: `uid-${name}` },
    spec: { operations: ['CREATE'], resources: ['pods'], javascript: 'if (request.namespace === "default") deny("no default")', ...spec },
  };
}

/** The webhook configuration jsPolicy creates for a Validating policy: `<policy>-<random>`, owned by the policy. */
export function jsPolicyWebhook(policy: string, options: { failurePolicy?: 'Fail' | 'Ignore'; selector?: unknown } = {}): K8sObject {
  return validatingWebhookConfiguration(
    `${policy}-x7k2q`,
    [
      {
        name: policy,
        failurePolicy: options.failurePolicy ?? 'Fail',
        namespaceSelector: options.selector ?? {},
        service: { namespace: 'jspolicy', name: 'jspolicy', path: `/policy/${policy}` },
      },
    ],
    { ownerReferences: [{ apiVersion: 'policy.jspolicy.com/v1beta1', kind: 'JsPolicy', name: policy, uid: `uid-${policy}`, controller: true }] },
  );
}

// ---------------------------------------------------------------- ValidatingAdmissionPolicy

export function vap(name: string): K8sObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
      validations: [{ expression: 'object.spec.replicas <= 5' }],
    },
  };
}

export function vapBinding(name: string, policyName: string, validationActions: string[]): K8sObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName, validationActions, matchResources: { namespaceSelector: { matchLabels: { environment: 'test' } } } },
  };
}
