/**
 * The kinds kposture knows how to collect. A kind is identified by `Kind` for the
 * core group and `Kind.group` otherwise (as `kubectl get deployments.apps` does with
 * resources), so that CRDs from different projects never collide.
 */
export type KindId = string;

export interface KindSpec {
  id: KindId;
  group: string;
  /** Versions the tool understands, most preferred first. */
  versions: string[];
  kind: string;
  /** Resource name in the URL path (plural). */
  resource: string;
  namespaced: boolean;
  /** Part of Kubernetes itself (true) or installed by a project through a CRD (false). */
  builtin: boolean;
  /**
   * Set when the id stands for every kind of one API group whose kinds exist only at run time
   * (Gatekeeper: one constraint kind per ConstraintTemplate). `kind` and `resource` are `*`; the
   * collection holds the objects of all those kinds and is complete only when each was listed.
   * The kinds are named by `kindPath` in the objects of `definedBy` (and by the group's CRDs).
   */
  dynamic?: { definedBy: KindId; kindPath: string[] };
  /**
   * Set for a namespaced kind whose objects configure a cluster-wide component from that
   * component's own namespace (Gatekeeper's Config in gatekeeper-system): an audit scoped to
   * some namespaces still shows them whole to every check (engine/scope.ts).
   */
  configuresCluster?: true;
}

export function kindId(group: string, kind: string): KindId {
  return group ? `${kind}.${group}` : kind;
}

/** Splits `apiVersion` into group and version: `apps/v1` → [apps, v1], `v1` → ['', v1]. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function spec(group: string, versions: string[], kind: string, resource: string, namespaced: boolean, builtin: boolean): KindSpec {
  return { id: kindId(group, kind), group, versions, kind, resource, namespaced, builtin };
}

const KNOWN: KindSpec[] = [
  spec('', ['v1'], 'Namespace', 'namespaces', false, true),
  spec('', ['v1'], 'Node', 'nodes', false, true),
  spec('', ['v1'], 'Pod', 'pods', true, true),
  spec('', ['v1'], 'ResourceQuota', 'resourcequotas', true, true),
  spec('', ['v1'], 'LimitRange', 'limitranges', true, true),
  // Only the keys a CNI is configured by are ever kept (slim.ts CONFIG_MAP_KEYS).
  spec('', ['v1'], 'ConfigMap', 'configmaps', true, true),
  spec('apps', ['v1'], 'Deployment', 'deployments', true, true),
  spec('apps', ['v1'], 'StatefulSet', 'statefulsets', true, true),
  spec('apps', ['v1'], 'DaemonSet', 'daemonsets', true, true),
  spec('apps', ['v1'], 'ReplicaSet', 'replicasets', true, true),
  spec('batch', ['v1'], 'Job', 'jobs', true, true),
  spec('batch', ['v1'], 'CronJob', 'cronjobs', true, true),
  spec('networking.k8s.io', ['v1'], 'NetworkPolicy', 'networkpolicies', true, true),
  spec('rbac.authorization.k8s.io', ['v1'], 'ClusterRoleBinding', 'clusterrolebindings', false, true),
  spec('rbac.authorization.k8s.io', ['v1'], 'RoleBinding', 'rolebindings', true, true),
  spec('apiextensions.k8s.io', ['v1'], 'CustomResourceDefinition', 'customresourcedefinitions', false, true),
  spec('admissionregistration.k8s.io', ['v1'], 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false, true),
  spec('admissionregistration.k8s.io', ['v1'], 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false, true),
  spec('admissionregistration.k8s.io', ['v1', 'v1beta1'], 'ValidatingAdmissionPolicy', 'validatingadmissionpolicies', false, true),
  spec('admissionregistration.k8s.io', ['v1', 'v1beta1'], 'ValidatingAdmissionPolicyBinding', 'validatingadmissionpolicybindings', false, true),
  // Policy engines
  spec('kyverno.io', ['v1', 'v2beta1'], 'ClusterPolicy', 'clusterpolicies', false, false),
  spec('kyverno.io', ['v1', 'v2beta1'], 'Policy', 'policies', true, false),
  // Kyverno 1.14+ CEL policies (v1alpha1 in 1.14, v1beta1 in 1.15, v1 later).
  spec('policies.kyverno.io', ['v1', 'v1beta1', 'v1alpha1'], 'ValidatingPolicy', 'validatingpolicies', false, false),
  spec('policies.kyverno.io', ['v1', 'v1beta1', 'v1alpha1'], 'NamespacedValidatingPolicy', 'namespacedvalidatingpolicies', true, false),
  spec('policies.kyverno.io', ['v1', 'v1beta1', 'v1alpha1'], 'ImageValidatingPolicy', 'imagevalidatingpolicies', false, false),
  spec('policies.kyverno.io', ['v1', 'v1beta1', 'v1alpha1'], 'NamespacedImageValidatingPolicy', 'namespacedimagevalidatingpolicies', true, false),
  spec('templates.gatekeeper.sh', ['v1', 'v1beta1'], 'ConstraintTemplate', 'constrainttemplates', false, false),
  {
    ...spec('constraints.gatekeeper.sh', ['v1', 'v1beta1'], '*', '*', false, false),
    dynamic: { definedBy: 'ConstraintTemplate.templates.gatekeeper.sh', kindPath: ['spec', 'crd', 'spec', 'names', 'kind'] },
  },
  { ...spec('config.gatekeeper.sh', ['v1alpha1'], 'Config', 'configs', true, false), configuresCluster: true },
  spec('policies.kubewarden.io', ['v1'], 'ClusterAdmissionPolicy', 'clusteradmissionpolicies', false, false),
  spec('policies.kubewarden.io', ['v1'], 'AdmissionPolicy', 'admissionpolicies', true, false),
  spec('policies.kubewarden.io', ['v1'], 'ClusterAdmissionPolicyGroup', 'clusteradmissionpolicygroups', false, false),
  spec('policies.kubewarden.io', ['v1'], 'AdmissionPolicyGroup', 'admissionpolicygroups', true, false),
  spec('policy.jspolicy.com', ['v1beta1'], 'JsPolicy', 'jspolicies', false, false),
  // Cluster-wide network policy
  spec('cilium.io', ['v2'], 'CiliumNetworkPolicy', 'ciliumnetworkpolicies', true, false),
  spec('cilium.io', ['v2'], 'CiliumClusterwideNetworkPolicy', 'ciliumclusterwidenetworkpolicies', false, false),
  spec('crd.projectcalico.org', ['v1'], 'GlobalNetworkPolicy', 'globalnetworkpolicies', false, false),
  spec('crd.projectcalico.org', ['v1'], 'NetworkPolicy', 'networkpolicies', true, false),
  spec('policy.networking.k8s.io', ['v1alpha1'], 'AdminNetworkPolicy', 'adminnetworkpolicies', false, false),
  spec('policy.networking.k8s.io', ['v1alpha1'], 'BaselineAdminNetworkPolicy', 'baselineadminnetworkpolicies', false, false),
];

const byId = new Map(KNOWN.map((k) => [k.id, k]));

export const KINDS = {
  Namespace: 'Namespace',
  Node: 'Node',
  Pod: 'Pod',
  ResourceQuota: 'ResourceQuota',
  LimitRange: 'LimitRange',
  ConfigMap: 'ConfigMap',
  Deployment: 'Deployment.apps',
  StatefulSet: 'StatefulSet.apps',
  DaemonSet: 'DaemonSet.apps',
  ReplicaSet: 'ReplicaSet.apps',
  Job: 'Job.batch',
  CronJob: 'CronJob.batch',
  NetworkPolicy: 'NetworkPolicy.networking.k8s.io',
  ClusterRoleBinding: 'ClusterRoleBinding.rbac.authorization.k8s.io',
  RoleBinding: 'RoleBinding.rbac.authorization.k8s.io',
  CustomResourceDefinition: 'CustomResourceDefinition.apiextensions.k8s.io',
  ValidatingWebhookConfiguration: 'ValidatingWebhookConfiguration.admissionregistration.k8s.io',
  MutatingWebhookConfiguration: 'MutatingWebhookConfiguration.admissionregistration.k8s.io',
  ValidatingAdmissionPolicy: 'ValidatingAdmissionPolicy.admissionregistration.k8s.io',
  ValidatingAdmissionPolicyBinding: 'ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io',
  KyvernoClusterPolicy: 'ClusterPolicy.kyverno.io',
  KyvernoPolicy: 'Policy.kyverno.io',
  KyvernoValidatingPolicy: 'ValidatingPolicy.policies.kyverno.io',
  KyvernoNamespacedValidatingPolicy: 'NamespacedValidatingPolicy.policies.kyverno.io',
  KyvernoImageValidatingPolicy: 'ImageValidatingPolicy.policies.kyverno.io',
  KyvernoNamespacedImageValidatingPolicy: 'NamespacedImageValidatingPolicy.policies.kyverno.io',
  GatekeeperConstraintTemplate: 'ConstraintTemplate.templates.gatekeeper.sh',
  /** Every Gatekeeper constraint, whatever its kind (see KindSpec.dynamic). */
  GatekeeperConstraint: '*.constraints.gatekeeper.sh',
  GatekeeperConfig: 'Config.config.gatekeeper.sh',
  KubewardenClusterAdmissionPolicy: 'ClusterAdmissionPolicy.policies.kubewarden.io',
  KubewardenAdmissionPolicy: 'AdmissionPolicy.policies.kubewarden.io',
  KubewardenClusterAdmissionPolicyGroup: 'ClusterAdmissionPolicyGroup.policies.kubewarden.io',
  KubewardenAdmissionPolicyGroup: 'AdmissionPolicyGroup.policies.kubewarden.io',
  JsPolicy: 'JsPolicy.policy.jspolicy.com',
  CiliumNetworkPolicy: 'CiliumNetworkPolicy.cilium.io',
  CiliumClusterwideNetworkPolicy: 'CiliumClusterwideNetworkPolicy.cilium.io',
  CalicoGlobalNetworkPolicy: 'GlobalNetworkPolicy.crd.projectcalico.org',
  CalicoNetworkPolicy: 'NetworkPolicy.crd.projectcalico.org',
  AdminNetworkPolicy: 'AdminNetworkPolicy.policy.networking.k8s.io',
  BaselineAdminNetworkPolicy: 'BaselineAdminNetworkPolicy.policy.networking.k8s.io',
} as const satisfies Record<string, KindId>;

export function kindSpec(id: KindId): KindSpec | undefined {
  return byId.get(id);
}

export function knownKinds(): readonly KindSpec[] {
  return KNOWN;
}

/** Secrets are never listed, by any command, under any flag. */
export function isForbiddenKind(group: string, resourceOrKind: string): boolean {
  return group === '' && (resourceOrKind === 'secrets' || resourceOrKind === 'Secret');
}
