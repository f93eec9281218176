import { describe, expect, it } from '@jest/globals';
import check from '../../../checks/base-images/IMG-04.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { runChecks } from '../../../src/engine/run.js';
import { loadBuiltinCatalogs } from '../../../src/catalog/load.js';
import { DEFAULT_SYSTEM_NAMESPACES } from '../../../src/config/config.js';
import type { Outcome } from '../../../src/engine/check.js';
import type { Inventory } from '../../../src/k8s/inventory.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { barePod, daemonSetPods, deploymentPods, statefulSetPods } from './pods.js';

function withRegistries(inventory: Inventory, registries: unknown): Outcome {
  const [result] = runChecks({
    inventory,
    checks: [check],
    catalogs: loadBuiltinCatalogs(),
    systemNamespaces: new Set(DEFAULT_SYSTEM_NAMESPACES),
    checkOptions: { 'IMG-04': { registries } },
  });
  return result!.outcome;
}

const cluster = () =>
  inventoryOf([
    ...deploymentPods('shop', 'api', { containers: [{ name: 'api', image: 'registry.corp.io/shop/api:2.4.1' }] }),
    ...deploymentPods('shop', 'web', { containers: [{ name: 'nginx', image: 'nginx:1.25.3' }] }, { replicas: 3 }),
    ...statefulSetPods('shop', 'cache', { containers: [{ name: 'redis', image: 'docker.io/library/redis:7.2.5' }] }),
    ...deploymentPods('cert-manager', 'cert-manager', {
      containers: [{ name: 'cert-manager-controller', image: 'quay.io/jetstack/cert-manager-controller:v1.15.1' }],
    }),
    ...daemonSetPods('kube-system', 'aws-node', {
      containers: [{ name: 'aws-node', image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.3-eksbuild.1' }],
    }),
  ]);

describe('IMG-04 allowed registries', () => {
  it('is not applicable until registries are configured', () => {
    const outcome = evaluate(check, cluster());
    expect(outcome).toMatchObject({ status: 'not-applicable', reason: expect.stringMatching(/checks\.options\.IMG-04\.registries/) });
  });

  it('passes when every image outside the system namespaces comes from an allowed location', () => {
    const outcome = withRegistries(cluster(), ['registry.corp.io', 'docker.io/library', 'quay.io/jetstack']);
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.details?.allowedBy])).toEqual([
      ['docker.io/library/nginx:1.25.3', 'docker.io/library'],
      ['docker.io/library/redis:7.2.5', 'docker.io/library'],
      ['quay.io/jetstack/cert-manager-controller:v1.15.1', 'quay.io/jetstack'],
      ['registry.corp.io/shop/api:2.4.1', 'registry.corp.io'],
    ]);
  });

  it('fails with one finding per disallowed registry, listing its images and workloads', () => {
    const outcome = withRegistries(cluster(), ['registry.corp.io']);
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.data.registry, f.data.images, f.data.workloads, f.resource.name, f.affected?.map((r) => r.name)])).toEqual([
      ['quay.io', 1, 1, 'cert-manager', ['cert-manager']],
      ['docker.io', 2, 2, 'web', ['web', 'cache']],
    ]);
    const hub = outcome.findings[1]!;
    expect(hub.evidence).toBe('docker.io/library/nginx:1.25.3, docker.io/library/redis:7.2.5 not under registry.corp.io');
    expect(hub.field).toBe('spec.template.spec.containers[0].image');
    expect(hub.verify).toBe(
      "kubectl get pods -n shop -o 'custom-columns=NAMESPACE:.metadata.namespace,POD:.metadata.name,CONTAINERS:.spec.containers[*].image," +
        "INIT:.spec.initContainers[*].image,EPHEMERAL:.spec.ephemeralContainers[*].image' | grep -F -e nginx:1.25.3 -e docker.io/library/redis:7.2.5",
    );
    expect(checkScore(outcome)).toBe(25);
  });

  it('does not let a look-alike registry or path through', () => {
    const inventory = inventoryOf([
      barePod('shop', 'evil', { containers: [{ name: 'x', image: 'registry.corp.io.evil.example/shop/api:2.4.1' }] }),
      barePod('shop', 'sibling', { containers: [{ name: 'x', image: 'ghcr.io/acme-evil/api:1.0' }] }),
    ]);
    const outcome = withRegistries(inventory, ['registry.corp.io', 'ghcr.io/acme']);
    expect(outcome.status === 'fail' && outcome.subjects.map((s) => s.verdict)).toEqual(['fail', 'fail']);
  });

  it('is unknown on a malformed registries option and when pods could not be listed', () => {
    expect(withRegistries(cluster(), 'registry.corp.io')).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/non-empty list/) });
    expect(withRegistries(cluster(), [])).toMatchObject({ status: 'unknown' });
    expect(withRegistries(inventoryOf([], { [KINDS.Pod]: 'forbidden' }), ['registry.corp.io'])).toMatchObject({ status: 'unknown' });
  });
});
