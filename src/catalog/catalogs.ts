/**
 * Knowledge that changes with the world (OS families, image bases, policy engines)
 * lives in data files under catalog/, each validated against its JSON Schema under
 * schemas/. This module holds the types and the merge of user overrides; reading
 * the files happens in load.ts, at the edge.
 */
/**
 * `node-in-container`: the node is itself a container (k3s/k3d or kind in Docker), so what it reports is
 * its image's, and the host's OS cannot be seen through the Kubernetes API.
 */
export type OsClass = 'container-optimized' | 'general-purpose' | 'windows' | 'node-in-container';
export type ImageClass = 'distroless' | 'minimal' | 'full' | 'unknown';

export interface OsFamily {
  id: string;
  name: string;
  class: OsClass;
  /** Case-insensitive regular expressions tried against spec.providerID first (`kind://docker/kind/kind-worker`). */
  providerID?: string[];
  /** Case-insensitive regular expressions tried against status.nodeInfo.osImage. */
  osImage?: string[];
  /** Case-insensitive regular expressions tried against status.nodeInfo.kernelVersion (`6.6.32-talos`). */
  kernelVersion?: string[];
  /** Node labels that identify the family: label key → regular expression on the value. */
  labels?: Record<string, string>;
  /** Sets of node labels that identify the family only together: every label of a set must match. */
  labelSets?: Record<string, string>[];
  /** Labels win over osImage (an OS that keeps its base distribution's os-release, e.g. Kairos). */
  labelsOverrideOsImage?: boolean;
  /** Real osImage strings and node signals this entry must recognise; checked by a test. */
  examples?: (string | OsExample)[];
  source: string;
  reasoning?: string;
}

/** What a node shows (some of it): the identifier must recognise the family from it alone. */
interface OsExample {
  providerID?: string;
  osImage?: string;
  kernelVersion?: string;
  labels?: Record<string, string>;
}

export interface ImageRule {
  id: string;
  class: Exclude<ImageClass, 'unknown'>;
  /** Glob (`*` = any run of characters, `{a,b}` = either) on `registry/repository`, e.g. `gcr.io/distroless/*`. */
  repository: string;
  /** Optional glob on the tag, e.g. `*-alpine*`. */
  tag?: string;
  /** Real image references this rule must decide (first match over the whole catalogue); checked by a test. */
  examples?: string[];
  source: string;
  note?: string;
}

export interface PolicyEngine {
  id: string;
  name: string;
  /** CRD names (`clusterpolicies.kyverno.io`) whose presence shows the engine is installed. */
  crds: string[];
  /** Regular expressions on validating/mutating webhook configuration names. */
  webhooks: string[];
  namespaces: string[];
  source: string;
  /** Part of Kubernetes (ValidatingAdmissionPolicy): no CRDs, webhooks or Deployments of its own. */
  builtin?: boolean;
  /** Validating webhook configurations that enforce the engine's policies on resources. */
  enforcingWebhooks?: WebhookMatcher[];
  /** Regular expressions on the names of the Deployments that serve admission requests. */
  admissionDeployments?: string[];
  /** The engine's policy kinds and how each says enforce or audit. */
  policies?: PolicyModeSpec[];
  note?: string;
}

/** Matches a webhook configuration by name, labels (`key` exists, `key=value` equals) and owner; all given must hold. */
export interface WebhookMatcher {
  name?: string;
  labels?: string[];
  /** An ownerReference `group/Kind` (jsPolicy names its webhook configurations `<policy>-<random>`). */
  owner?: string;
  /** `namespace`: serves one namespace's policies by design, so its namespaceSelector is not an exemption. */
  scope?: 'cluster' | 'namespace';
}

export interface PolicyModeSpec {
  /** Kind id of the policy objects, e.g. `ClusterPolicy.kyverno.io`. */
  kind: string;
  /** Dotted path of the field that holds the mode, e.g. `spec.validationFailureAction`; may hold a list. */
  field: string;
  /** Values (case-insensitive) that make the policy deny violating requests. */
  enforce: string[];
  /** Values that only report (audit, warn, dry-run, monitor). */
  audit: string[];
  /** The mode when the field is absent. */
  default?: string;
  /** Per-rule override (Kyverno): rules at `path` that have `requires` use their own `field` when set. */
  rules?: { path: string; requires: string; field: string; overrides?: string };
  /**
   * Per-namespace overrides of the mode (Kyverno `validationFailureActionOverrides`): a list of
   * `{ action, namespaces, namespaceSelector }` at this path; a rule's own list (`rules.overrides`)
   * replaces it. The first entry that matches a namespace decides there.
   */
  overrides?: string;
  /** Only objects whose `field` (default `default`) is in `values` are policies that can enforce. */
  appliesWhen?: { field: string; values: string[]; default?: string };
  /** When `field` (stringified) is one of `values`, the policy only reports (Kyverno `spec.admission: false`). */
  reportOnlyWhen?: { field: string; values: string[] };
  /** Mode value that defers to a list of per-enforcement-point actions (Gatekeeper `scoped`). */
  scoped?: { value: string; path: string; actionField: string; pointsField: string; enforcingPoints: string[] };
}

export type NetworkPolicySupport = 'yes' | 'no' | 'conditional';

export interface CniEntry {
  id: string;
  name: string;
  /** Whether the CNI enforces Kubernetes NetworkPolicy; `conditional` explains in `condition`. */
  enforcesNetworkPolicy: NetworkPolicySupport;
  /** Regular expressions on DaemonSet names (in any namespace) that show the CNI runs. */
  daemonSets: string[];
  /** Regular expressions on container images of those DaemonSets, when names are ambiguous. */
  images?: string[];
  namespaces?: string[];
  crds?: string[];
  condition?: string;
  /** For `conditional`: rules tried in order on the DaemonSet's containers; the first match decides. */
  enforcement?: CniEnforcementRule[];
  /** For `conditional`: the answer when no rule matches (default `unknown`). */
  otherwise?: 'yes' | 'no' | 'unknown';
  /** For `conditional`: why `otherwise` holds, shown as the evidence when no rule does. */
  otherwiseBecause?: string;
  source: string;
  note?: string;
}

/**
 * Evidence that decides enforcement: a container of the CNI's DaemonSet (its name, optionally an
 * argument or image, or its absence) and/or a key of a ConfigMap; every condition given must hold.
 */
export interface CniEnforcementRule {
  /** Regular expression on the container name. */
  container?: string;
  /** Regular expression that one entry of the container's command or args must match. */
  arg?: string;
  /** Regular expression on the container image. */
  image?: string;
  /** With `container`: the rule holds when no container's name matches it. */
  absent?: boolean;
  /** A ConfigMap key whose value decides (after the container conditions, when both are given). */
  configMap?: CniConfigMapCondition;
  enforces: boolean;
  /** Why this evidence decides, shown in the report. */
  because: string;
}

/** A key of a ConfigMap the CNI is configured by; if the ConfigMap cannot be read, enforcement is unknown. */
export interface CniConfigMapCondition {
  name: string;
  /** Default: the namespace of the CNI's DaemonSet. */
  namespace?: string;
  /** One of the keys the audit keeps (src/k8s/slim.ts CONFIG_MAP_KEYS; the schema lists them). */
  key: string;
  /** Values (case-insensitive) for which the condition holds. */
  values: string[];
  /** The value when the key is absent: the component's own default. Without it an absent key is unknown. */
  default?: string;
}

export interface TenancyFramework {
  id: string;
  name: string;
  crds: string[];
  /** Label keys the framework puts on the namespaces it manages; `*` matches any run of characters. */
  namespaceLabels: string[];
  /** Annotation keys the framework writes on the namespaces it manages or syncs; `*` as in namespaceLabels. */
  namespaceAnnotations?: string[];
  /** Labels (`key` exists, `key=value` equals) on the StatefulSets or Deployments the framework runs. */
  workloadLabels?: string[];
  source: string;
  note?: string;
}

export interface Catalogs {
  osFamilies: OsFamily[];
  imageRules: ImageRule[];
  policyEngines: PolicyEngine[];
  cnis: CniEntry[];
  tenancyFrameworks: TenancyFramework[];
}

export type CatalogOverrides = Partial<Catalogs>;

/** User entries come first so that they win; an entry with the same id replaces the built-in. */
export function mergeCatalogs(base: Catalogs, overrides: CatalogOverrides): Catalogs {
  return {
    osFamilies: mergeById(base.osFamilies, overrides.osFamilies),
    imageRules: mergeById(base.imageRules, overrides.imageRules),
    policyEngines: mergeById(base.policyEngines, overrides.policyEngines),
    cnis: mergeById(base.cnis, overrides.cnis),
    tenancyFrameworks: mergeById(base.tenancyFrameworks, overrides.tenancyFrameworks),
  };
}

function mergeById<T extends { id: string }>(base: T[], extra: T[] | undefined): T[] {
  if (!extra || extra.length === 0) return base;
  const ids = new Set(extra.map((e) => e.id));
  return [...extra, ...base.filter((b) => !ids.has(b.id))];
}
