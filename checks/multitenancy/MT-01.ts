import type { TenancyFramework } from '../../src/catalog/catalogs.js';
import { defineCheck, type Subject } from '../../src/engine/check.js';
import { isKnown } from '../../src/k8s/inventory.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { labelsOf, nameOf, namespaceOf, refOf, type K8sObject, type ResourceRef } from '../../src/k8s/object.js';
import { command, kubectl } from '../../src/util/shell.js';

/** Namespace names listed in a subject's details; the count is always complete. */
const LISTED_NAMESPACES = 20;

export default defineCheck({
  meta: {
    id: 'MT-01',
    title: 'A multitenancy framework or model is in use',
    category: 'multitenancy',
    severity: 'info',
    rationale:
      'Teams that share a cluster need a tenancy model: who owns which namespaces, which quotas, policies and RBAC ' +
      'each tenant inherits, and how new tenants are created. Without one, every team is a special case and ' +
      'isolation depends on hand-made RoleBindings; the usual escape, a cluster per team, brings a zoo of clusters ' +
      'and configuration drift. Frameworks make the model explicit: Namespace-as-a-Service (Capsule, HNC, kiosk, ' +
      'KubeSlice, KubePlus), ControlPlane-as-a-Service (vCluster, Kamaji, kcp) or Cluster-as-a-Service (Cluster API). ' +
      'This check names what it finds; it is shown, not scored.',
    remediation:
      'Choose a tenancy model and a tool for it: Capsule or HNC to group namespaces into tenants with inherited ' +
      'quotas, network policies and RBAC; vCluster or Kamaji when tenants need their own control plane; Cluster API ' +
      'for a cluster per tenant built from one template. A framework kposture does not know can be added to the ' +
      'tenancy catalogue in the config file (catalogs.tenancyFrameworks).',
    references: [
      'https://kubernetes.io/docs/concepts/security/multi-tenancy/',
      'https://projectcapsule.dev/',
      'https://github.com/kubernetes-sigs/hierarchical-namespaces',
      'https://www.vcluster.com/docs/',
      'https://kamaji.clastix.io/',
      'https://cluster-api.sigs.k8s.io/',
    ],
    reads: [KINDS.CustomResourceDefinition, KINDS.Namespace],
    optionalReads: [KINDS.StatefulSet, KINDS.Deployment],
    messages: {
      none: 'No multitenancy framework was found: none of {frameworks} shows in CRDs, namespace labels or workloads',
    },
  },
  evaluate(ctx, report) {
    const frameworks = ctx.catalogs.tenancyFrameworks;
    const crds = ctx.items(KINDS.CustomResourceDefinition);
    const namespaces = ctx.items(KINDS.Namespace);
    const statefulSets = ctx.collection(KINDS.StatefulSet);
    const deployments = ctx.collection(KINDS.Deployment);
    const workloads = [...statefulSets.items, ...deployments.items];

    const subjects: Subject[] = [];
    for (const framework of frameworks) {
      const found = detect(framework, crds, namespaces, workloads);
      if (!found) continue;
      subjects.push({ resource: found.resource, verdict: 'pass', details: found.details });
    }
    if (subjects.length > 0) return { status: 'pass', subjects, findings: [] };

    const needsWorkloads = frameworks.filter((f) => (f.workloadLabels ?? []).length > 0);
    if (needsWorkloads.length > 0 && !(isKnown(statefulSets) && isKnown(deployments))) {
      return {
        status: 'unknown',
        reason:
          `no tenancy framework shows in CRDs or namespace labels, and StatefulSets/Deployments could not be read, so ` +
          `${needsWorkloads.map((f) => f.name).join(', ')} cannot be ruled out`,
      };
    }
    const names = frameworks.map((f) => f.name);
    return {
      status: 'fail',
      subjects: [],
      findings: [
        report('none', {
          resource: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: '*' },
          data: { frameworks: names.join(', ') },
          field: 'items',
          evidence: `${crds.length} CRDs and ${namespaces.length} namespaces, none from the tenancy catalogue (${names.length} frameworks)`,
          verify: verifyCommand(frameworks),
        }),
      ],
    };
  },
});

interface Detection {
  resource: ResourceRef;
  details: Record<string, unknown>;
}

function detect(
  framework: TenancyFramework,
  crds: readonly K8sObject[],
  namespaces: readonly K8sObject[],
  workloads: readonly K8sObject[],
): Detection | undefined {
  const crdNames = new Set(crds.map(nameOf));
  const foundCrds = framework.crds.filter((c) => crdNames.has(c));
  const keyPatterns = framework.namespaceLabels.map(globToRegExp);
  const labelled = namespaces
    .filter((ns) => Object.keys(labelsOf(ns)).some((key) => keyPatterns.some((p) => p.test(key))))
    .map(nameOf)
    .sort();
  const selectors = framework.workloadLabels ?? [];
  const running = selectors.length === 0 ? [] : workloads.filter((w) => selectors.every((s) => labelMatches(s, labelsOf(w))));
  if (foundCrds.length === 0 && labelled.length === 0 && running.length === 0) return undefined;

  const firstCrd = crds.find((c) => nameOf(c) === foundCrds[0]);
  const firstNamespace = namespaces.find((n) => nameOf(n) === labelled[0]);
  const resource = firstCrd ? refOf(firstCrd, 'CustomResourceDefinition') : firstNamespace ? refOf(firstNamespace, 'Namespace') : refOf(running[0]!);
  return {
    resource,
    details: {
      framework: framework.id,
      name: framework.name,
      crds: foundCrds,
      namespaceCount: labelled.length,
      namespaces: labelled.slice(0, LISTED_NAMESPACES),
      workloads: running.map((w) => `${String(w.kind)} ${namespaceOf(w) ?? ''}/${nameOf(w)}`).sort(),
    },
  };
}

/** A label key pattern from the catalogue: `*` matches any run of characters, everything else is literal. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

function labelMatches(spec: string, labels: Record<string, string>): boolean {
  const eq = spec.indexOf('=');
  if (eq < 0) return Object.prototype.hasOwnProperty.call(labels, spec);
  return labels[spec.slice(0, eq)] === spec.slice(eq + 1);
}

function verifyCommand(frameworks: readonly TenancyFramework[]): string {
  const groups = [...new Set(frameworks.flatMap((f) => f.crds.map((c) => c.slice(c.indexOf('.') + 1))))].sort();
  const parts = [];
  if (groups.length > 0) parts.push(`${kubectl('get', 'crd')} | ${command('grep', '-E', groups.join('|'))}`);
  parts.push(kubectl('get', 'namespaces', '--show-labels'));
  for (const f of frameworks) {
    if (f.workloadLabels?.length) parts.push(kubectl('get', 'statefulsets,deployments', '-A', '-l', f.workloadLabels.join(',')));
  }
  return parts.join('; ');
}
