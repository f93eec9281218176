import check from '../../../checks/multitenancy/MT-01.js';
import { loadBuiltinCatalogs } from '../../../src/catalog/load.js';
import { mergeCatalogs } from '../../../src/catalog/catalogs.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import type { K8sObject } from '../../../src/k8s/object.js';
import { evaluate, inventoryOf, namespace } from '../../support/inventory.js';
import { deployment, statefulSet } from '../die/objects.js';

function crd(name: string, kind: string): K8sObject {
  const [plural, ...group] = name.split('.');
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group: group.join('.'),
      names: { kind, plural, listKind: `${kind}List` },
      scope: 'Cluster',
      versions: [{ name: 'v1beta2', served: true, storage: true }],
    },
  };
}

/** What a kubeadm cluster with Calico and nothing else lists. */
function plainCluster(): K8sObject[] {
  return [
    crd('ippools.crd.projectcalico.org', 'IPPool'),
    crd('felixconfigurations.crd.projectcalico.org', 'FelixConfiguration'),
    crd('networkpolicies.crd.projectcalico.org', 'NetworkPolicy'),
    namespace('default', { 'kubernetes.io/metadata.name': 'default' }),
    namespace('kube-system', { 'kubernetes.io/metadata.name': 'kube-system' }),
    namespace('shop', { 'kubernetes.io/metadata.name': 'shop', team: 'shop' }),
    deployment('shop', 'web', 2),
    statefulSet('shop', 'postgres', 1),
  ];
}

const workloadsListed = { [KINDS.StatefulSet]: 'ok', [KINDS.Deployment]: 'ok' } as const;

describe('MT-01 a tenancy framework or model is in use', () => {
  it('names Capsule from its CRDs and the tenant label on namespaces', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...plainCluster(),
        crd('tenants.capsule.clastix.io', 'Tenant'),
        crd('capsuleconfigurations.capsule.clastix.io', 'CapsuleConfiguration'),
        namespace('oil-production', { 'capsule.clastix.io/tenant': 'oil', 'kubernetes.io/metadata.name': 'oil-production' }),
        namespace('oil-development', { 'capsule.clastix.io/tenant': 'oil', 'kubernetes.io/metadata.name': 'oil-development' }),
      ]),
    );
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects).toHaveLength(1);
    expect(outcome.subjects[0]!.resource).toMatchObject({ kind: 'CustomResourceDefinition', name: 'tenants.capsule.clastix.io' });
    expect(outcome.subjects[0]!.details).toMatchObject({
      framework: 'capsule',
      name: 'Capsule',
      crds: ['tenants.capsule.clastix.io', 'capsuleconfigurations.capsule.clastix.io'],
      namespaceCount: 2,
      namespaces: ['oil-development', 'oil-production'],
    });
  });

  it('finds HNC by its tree labels alone (wildcard label keys) and vCluster by its control plane StatefulSet', () => {
    const vcluster = statefulSet('team-x', 'my-vcluster', 1, {
      labels: { app: 'vcluster', release: 'my-vcluster', chart: 'vcluster-0.20.0', heritage: 'Helm' },
    });
    const outcome = evaluate(
      check,
      inventoryOf([
        ...plainCluster(),
        namespace('team-a', { 'hnc.x-k8s.io/included-namespace': 'true', 'team-a.tree.hnc.x-k8s.io/depth': '0' }),
        namespace('team-a-svc1', { 'team-a.tree.hnc.x-k8s.io/depth': '1', 'team-a-svc1.tree.hnc.x-k8s.io/depth': '0' }),
        vcluster,
      ]),
    );
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    const byFramework = Object.fromEntries(outcome.subjects.map((s) => [s.details?.framework as string, s]));
    expect(Object.keys(byFramework).sort()).toEqual(['hnc', 'vcluster']);
    expect(byFramework.hnc!.resource).toMatchObject({ kind: 'Namespace', name: 'team-a' });
    expect(byFramework.hnc!.details).toMatchObject({ crds: [], namespaces: ['team-a', 'team-a-svc1'] });
    expect(byFramework.vcluster!.resource).toMatchObject({ kind: 'StatefulSet', namespace: 'team-x', name: 'my-vcluster' });
    expect(byFramework.vcluster!.details).toMatchObject({ workloads: ['StatefulSet team-x/my-vcluster'] });
  });

  it('finds a framework the user added to the catalogue in the config file', () => {
    const catalogs = mergeCatalogs(loadBuiltinCatalogs(), {
      tenancyFrameworks: [
        { id: 'corp-tenants', name: 'Corp tenant operator', crds: [], namespaceLabels: ['tenants.corp.example.com/owner'], source: 'internal wiki' },
      ],
    });
    const outcome = evaluate(check, inventoryOf([...plainCluster(), namespace('payments', { 'tenants.corp.example.com/owner': 'payments-team' })]), catalogs);
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => s.details?.name)).toEqual(['Corp tenant operator']);
  });

  it('fails, naming what it looked for, when no framework shows anywhere', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...plainCluster(),
        // an ordinary app label that only looks similar is not a tenancy label
        namespace('vcluster-docs', { app: 'vcluster-docs' }),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings).toHaveLength(1);
    const f = outcome.findings[0]!;
    expect(f.messageId).toBe('none');
    expect(f.data.frameworks).toBe('Capsule, Hierarchical Namespace Controller (HNC), vCluster, kiosk, kcp, Kamaji, KubeSlice, KubePlus, Cluster API');
    expect(f.evidence).toBe('3 CRDs and 4 namespaces, none from the tenancy catalogue (9 frameworks)');
    expect(f.verify).toContain("kubectl get crd | grep -E '");
    expect(f.verify).toContain('capsule.clastix.io');
    expect(f.verify).toContain('kubectl get statefulsets,deployments -A -l app=vcluster');
  });

  it('is unknown when nothing is found but StatefulSets could not be read, so vCluster cannot be ruled out', () => {
    const outcome = evaluate(check, inventoryOf(plainCluster(), { [KINDS.StatefulSet]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/vCluster cannot be ruled out/);
  });

  it('still passes on a CRD alone when workloads could not be read', () => {
    const outcome = evaluate(
      check,
      inventoryOf([...plainCluster(), crd('tenantcontrolplanes.kamaji.clastix.io', 'TenantControlPlane')], { [KINDS.StatefulSet]: 'forbidden' }),
    );
    expect(outcome.status).toBe('pass');
  });

  it('is unknown when CRDs could not be listed', () => {
    const outcome = evaluate(check, inventoryOf([namespace('shop')], { [KINDS.CustomResourceDefinition]: 'forbidden', ...workloadsListed }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/CustomResourceDefinition/);
  });
});

describe('MT-01 traces on the objects that were read', () => {
  /** Capsule's tutorial tenant "oil": its namespaces carry capsule.clastix.io/tenant (api/v1beta2/tenant_labels.go). */
  const oilNamespaces = [
    namespace('oil-production', { 'capsule.clastix.io/tenant': 'oil', 'kubernetes.io/metadata.name': 'oil-production' }),
    namespace('oil-development', { 'capsule.clastix.io/tenant': 'oil', 'kubernetes.io/metadata.name': 'oil-development' }),
  ];

  it('names Capsule from its tenant label when CRDs could not be listed, and says the label decided', () => {
    const outcome = evaluate(
      check,
      inventoryOf([...oilNamespaces, namespace('default')], { [KINDS.CustomResourceDefinition]: 'forbidden', ...workloadsListed }),
    );
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects).toHaveLength(1);
    expect(outcome.subjects[0]!.resource).toMatchObject({ kind: 'Namespace', name: 'oil-development' });
    expect(outcome.subjects[0]!.details).toMatchObject({
      framework: 'capsule',
      decidedBy: { trace: 'namespace label', evidence: 'capsule.clastix.io/tenant=oil', resource: 'Namespace oil-development' },
      crds: [],
      namespaceCount: 2,
    });
  });

  it('says the CRD decided when it was listed, even when namespaces carry the label too', () => {
    const outcome = evaluate(check, inventoryOf([...plainCluster(), crd('tenants.capsule.clastix.io', 'Tenant'), ...oilNamespaces]));
    expect(outcome.status === 'pass' && outcome.subjects[0]!.details?.decidedBy).toEqual({
      trace: 'CRD',
      evidence: 'tenants.capsule.clastix.io',
      resource: 'CustomResourceDefinition tenants.capsule.clastix.io',
    });
  });

  it('finds HNC from the subnamespace annotation it writes (docs/user-guide/concepts.md)', () => {
    const sub: K8sObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a-svc1', labels: { 'kubernetes.io/metadata.name': 'team-a-svc1' }, annotations: { 'hnc.x-k8s.io/subnamespace-of': 'team-a' } },
    };
    const outcome = evaluate(check, inventoryOf([sub, namespace('team-a')], { [KINDS.CustomResourceDefinition]: 'forbidden', ...workloadsListed }));
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && outcome.subjects[0]!.details).toMatchObject({
      framework: 'hnc',
      decidedBy: { trace: 'namespace annotation', evidence: 'hnc.x-k8s.io/subnamespace-of=team-a', resource: 'Namespace team-a-svc1' },
      namespaces: ['team-a-svc1'],
    });
  });

  it('finds vCluster from the host namespaces it syncs when neither CRDs nor workloads could be read', () => {
    // what the namespace syncer writes on a host namespace (pkg/controllers/resources/namespaces/syncer.go, pkg/util/translate/translate.go)
    const synced: K8sObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'team-x-dev',
        labels: {
          'vcluster.loft.sh/vcluster-name': 'team-x',
          'vcluster.loft.sh/vcluster-namespace': 'vcluster-team-x',
          'kubernetes.io/metadata.name': 'team-x-dev',
        },
        annotations: {
          'vcluster.loft.sh/object-name': 'dev',
          'vcluster.loft.sh/object-uid': '6f1d1c0e-3b8a-4d2e-9a51-0c7b2f4e8d11',
          'vcluster.loft.sh/object-kind': '/v1, Kind=Namespace',
        },
      },
    };
    const outcome = evaluate(
      check,
      inventoryOf([synced], { [KINDS.CustomResourceDefinition]: 'forbidden', [KINDS.StatefulSet]: 'forbidden', [KINDS.Deployment]: 'forbidden' }),
    );
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && outcome.subjects[0]!.details).toMatchObject({
      framework: 'vcluster',
      decidedBy: { trace: 'namespace label', evidence: 'vcluster.loft.sh/vcluster-name=team-x' },
    });
  });

  it('is unknown, naming what could not be read, when neither CRDs nor namespaces could be read', () => {
    const outcome = evaluate(
      check,
      inventoryOf([deployment('shop', 'web', 2)], { [KINDS.CustomResourceDefinition]: 'forbidden', [KINDS.Namespace]: 'error', ...workloadsListed }),
    );
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toBe(
      'no tenancy framework shows in what could be read, but CustomResourceDefinitions (listing was forbidden by RBAC: pods is forbidden) and ' +
        'Namespaces (listing failed) could not be read, so Capsule, Hierarchical Namespace Controller (HNC), vCluster, kiosk, kcp, Kamaji, ' +
        'KubeSlice, KubePlus and Cluster API cannot be ruled out',
    );
  });

  it('still passes on a vCluster control plane when neither CRDs nor namespaces could be read', () => {
    const vcluster = statefulSet('team-x', 'my-vcluster', 1, { labels: { app: 'vcluster', release: 'my-vcluster' } });
    const outcome = evaluate(
      check,
      inventoryOf([vcluster], { [KINDS.CustomResourceDefinition]: 'forbidden', [KINDS.Namespace]: 'forbidden', [KINDS.Deployment]: 'ok' }),
    );
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && outcome.subjects[0]!.details?.decidedBy).toEqual({
      trace: 'workload label',
      evidence: 'app=vcluster',
      resource: 'StatefulSet team-x/my-vcluster',
    });
  });

  it('is unknown when namespaces could not be read: a framework seen only on namespaces cannot be ruled out', () => {
    const outcome = evaluate(
      check,
      inventoryOf(
        plainCluster().filter((o) => o.kind !== 'Namespace'),
        { [KINDS.Namespace]: 'forbidden' },
      ),
    );
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(
      /Namespaces \(listing was forbidden by RBAC.*so Capsule, Hierarchical Namespace Controller \(HNC\), vCluster, kiosk and KubeSlice cannot be ruled out$/,
    );
  });
});

describe('tenancy framework catalogue', () => {
  it.each(loadBuiltinCatalogs().tenancyFrameworks.map((f) => [f.id, f] as const))('%s cites a source and names CRDs as plural.group', (_id, framework) => {
    expect(framework.source).toMatch(/https:\/\//);
    for (const name of framework.crds) expect(name).toMatch(/^[a-z0-9]+\.[a-z0-9-]+(\.[a-z0-9-]+)+$/);
    expect(framework.crds.length + framework.namespaceLabels.length + (framework.workloadLabels?.length ?? 0)).toBeGreaterThan(0);
  });
});
