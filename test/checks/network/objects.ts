/** Builders for the objects the NetworkPolicy tests use, shaped as the API returns them. */
import type { K8sObject } from '../../../src/k8s/object.js';

export function pod(
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
  opts: { hostNetwork?: boolean; phase?: string; serviceAccount?: string } = {},
): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: {
      ...(opts.hostNetwork ? { hostNetwork: true } : {}),
      serviceAccountName: opts.serviceAccount ?? 'default',
      containers: [{ name: 'app', image: 'registry.example/app:1.0' }],
    },
    status: { phase: opts.phase ?? 'Running' },
  };
}

export function netpol(namespace: string, name: string, spec: Record<string, unknown>): K8sObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

/** The canonical default deny: every pod, the given directions, no rules. */
export function defaultDeny(namespace: string, types: string[] = ['Ingress'], name = 'default-deny'): K8sObject {
  return netpol(namespace, name, { podSelector: {}, policyTypes: types });
}

export function ns(name: string, labels: Record<string, string> = {}): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

export function daemonSet(
  namespace: string,
  name: string,
  containers: { name: string; image: string; args?: string[]; command?: string[] }[],
  desired = 3,
): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace },
    spec: { template: { spec: { containers } } },
    status: { desiredNumberScheduled: desired, numberReady: desired },
  };
}

export function ccnp(name: string, spec: Record<string, unknown>): K8sObject {
  return { apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: { name }, spec };
}

export function cnp(namespace: string, name: string, spec: Record<string, unknown>): K8sObject {
  return { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name, namespace }, spec };
}

export function gnp(name: string, spec: Record<string, unknown>): K8sObject {
  return { apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalNetworkPolicy', metadata: { name }, spec };
}

export function calicoNp(namespace: string, name: string, spec: Record<string, unknown>): K8sObject {
  return { apiVersion: 'crd.projectcalico.org/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

export function anp(name: string, spec: Record<string, unknown>): K8sObject {
  return { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name }, spec };
}

export function banp(spec: Record<string, unknown>): K8sObject {
  return { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'BaselineAdminNetworkPolicy', metadata: { name: 'default' }, spec };
}

/** The CNI policy kinds as "absent from the API" — a fact — so namespace checks can decide. */
export const NO_CNI_POLICIES = {
  'CiliumClusterwideNetworkPolicy.cilium.io': 'not-served',
  'CiliumNetworkPolicy.cilium.io': 'not-served',
  'GlobalNetworkPolicy.crd.projectcalico.org': 'not-served',
  'NetworkPolicy.crd.projectcalico.org': 'not-served',
  'AdminNetworkPolicy.policy.networking.k8s.io': 'not-served',
  'BaselineAdminNetworkPolicy.policy.networking.k8s.io': 'not-served',
} as const;
