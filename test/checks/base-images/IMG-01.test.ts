import { describe, expect, it } from '@jest/globals';
import check from '../../../checks/base-images/IMG-01.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { runChecks } from '../../../src/engine/run.js';
import { loadBuiltinCatalogs } from '../../../src/catalog/load.js';
import { mergeCatalogs } from '../../../src/catalog/catalogs.js';
import type { Outcome } from '../../../src/engine/check.js';
import type { Inventory } from '../../../src/k8s/inventory.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { DIGEST, barePod, cronJobPods, daemonSetPods, deploymentPods, staticPod, statefulSetPods } from './pods.js';

function withOptions(inventory: Inventory, options: Record<string, unknown>): Outcome {
  const [result] = runChecks({
    inventory,
    checks: [check],
    catalogs: loadBuiltinCatalogs(),
    systemNamespaces: new Set(['kube-system']),
    checkOptions: { 'IMG-01': options },
  });
  return result!.outcome;
}

const api = { containers: [{ name: 'api', image: 'gcr.io/distroless/static-debian12:nonroot' }] };

describe('IMG-01 minimal base images', () => {
  it('lists images only system namespaces run (info, not scored), and scores them once the namespace is not a system one', () => {
    const inventory = inventoryOf([...daemonSetPods('kube-system', 'cilium', { containers: [{ name: 'agent', image: 'docker.io/library/ubuntu:24.04' }] })]);
    const platformOnly = evaluate(check, inventory);
    expect(platformOnly).toMatchObject({ status: 'not-applicable' });
    const [scored] = runChecks({ inventory, checks: [check], catalogs: loadBuiltinCatalogs(), systemNamespaces: new Set() });
    expect(scored!.outcome.status).toBe('fail');
  });

  it('passes on distroless images and lists each image once with the workloads using it', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...deploymentPods('shop', 'api', api, { replicas: 3 }),
        ...deploymentPods('shop', 'worker', api),
        staticPod('kube-system', 'kube-apiserver', 'cp-1', { containers: [{ name: 'kube-apiserver', image: 'registry.k8s.io/kube-apiserver:v1.30.2' }] }),
      ]),
    );
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects).toEqual([
      {
        resource: { kind: 'Image', name: 'gcr.io/distroless/static-debian12:nonroot' },
        verdict: 'pass',
        details: {
          class: 'distroless',
          rule: 'distroless',
          usedBy: 2,
          workloads: ['Deployment shop/api', 'Deployment shop/worker'],
          spellings: ['gcr.io/distroless/static-debian12:nonroot'],
        },
      },
      {
        resource: { kind: 'Image', name: 'registry.k8s.io/kube-apiserver:v1.30.2' },
        verdict: 'info',
        details: {
          class: 'distroless',
          rule: 'k8s-control-plane',
          usedBy: 1,
          workloads: ['Pod kube-system/kube-apiserver-cp-1'],
          spellings: ['registry.k8s.io/kube-apiserver:v1.30.2'],
          systemNamespacesOnly: true,
        },
      },
    ]);
    expect(checkScore(outcome)).toBe(100);
  });

  it('fails on full and minimal images, one finding per image grouped by workload, init containers included', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...deploymentPods('shop', 'web', { containers: [{ name: 'nginx', image: 'nginx:1.25.3' }] }, { replicas: 5 }),
        ...deploymentPods('shop', 'api', { initContainers: [{ name: 'migrate', image: 'python:3.12-slim' }], ...api }),
        ...cronJobPods('ops', 'backup', { containers: [{ name: 'backup', image: 'ubuntu:22.04' }] }),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.messageId, f.data.image, f.resource.kind, f.resource.namespace, f.resource.name, f.field])).toEqual([
      ['full', 'docker.io/library/ubuntu:22.04', 'CronJob', 'ops', 'backup', 'spec.jobTemplate.spec.template.spec.containers[0].image'],
      ['minimal', 'docker.io/library/python:3.12-slim', 'Deployment', 'shop', 'api', 'spec.template.spec.initContainers[0].image'],
      ['minimal', 'docker.io/library/nginx:1.25.3', 'Deployment', 'shop', 'web', 'spec.template.spec.containers[0].image'],
    ]);
    const nginx = outcome.findings.find((f) => f.data.rule === 'nginx')!;
    expect(nginx.affected).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }]);
    expect(nginx.evidence).toBe(
      'nginx:1.25.3 (docker.io/library/nginx:1.25.3) → minimal by catalogue rule "nginx": Debian slim base, like the -slim variants: a shell and apt, no compiler',
    );
    expect(nginx.verify).toBe(
      "kubectl get pods -n shop -o 'custom-columns=NAMESPACE:.metadata.namespace,POD:.metadata.name,CONTAINERS:.spec.containers[*].image," +
        "INIT:.spec.initContainers[*].image,EPHEMERAL:.spec.ephemeralContainers[*].image' | grep -F -e nginx:1.25.3",
    );
    // distroless 1, python slim 0.5, nginx 0.5, ubuntu 0
    expect(checkScore(outcome)).toBe(50);
  });

  it('reports images no rule knows as unknown and leaves them out of the score', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...deploymentPods('shop', 'api', api),
        ...statefulSetPods('shop', 'postgres', { containers: [{ name: 'postgres', image: 'bitnami/postgresql:16.3.0' }] }),
      ]),
    );
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.find((s) => s.resource.name === 'docker.io/bitnami/postgresql:16.3.0')).toMatchObject({
      verdict: 'unknown',
      details: { class: 'unknown', rule: null, workloads: ['StatefulSet shop/postgres'] },
    });
    expect(checkScore(outcome)).toBe(100);
  });

  it('is unknown when no image can be classified', () => {
    const outcome = evaluate(check, inventoryOf(deploymentPods('shop', 'api', { containers: [{ name: 'api', image: 'registry.corp.io/shop/api:2.4.1' }] })));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toMatch(/catalogs\.imageRules/);
    expect(outcome.status === 'unknown' && outcome.subjects?.length).toBe(1);
  });

  it('covers ephemeral containers, pointing at the pod they were added to', () => {
    const debug = barePod('shop', 'api-debug', { ...api, ephemeralContainers: [{ name: 'debugger-x7k2p', image: 'busybox:1.36' }] });
    const outcome = evaluate(check, inventoryOf([debug]));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'minimal',
      resource: { kind: 'Pod', namespace: 'shop', name: 'api-debug' },
      field: 'spec.ephemeralContainers[0].image',
    });
  });

  it('merges the spellings of one image and classifies a digest-only reference by its repository', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...deploymentPods('shop', 'web', { containers: [{ name: 'nginx', image: 'nginx:1.25.3' }] }),
        ...deploymentPods('blog', 'web', { containers: [{ name: 'nginx', image: 'docker.io/library/nginx:1.25.3' }] }),
        ...daemonSetPods('monitoring', 'node-exporter', { containers: [{ name: 'node-exporter', image: `quay.io/prometheus/node-exporter@${DIGEST}` }] }),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    const nginx = outcome.findings.find((f) => f.data.image === 'docker.io/library/nginx:1.25.3')!;
    expect(nginx.data.workloads).toBe(2);
    expect(nginx.verify).toMatch(/^kubectl get pods -A .*grep -F -e docker\.io\/library\/nginx:1\.25\.3 -e nginx:1\.25\.3$/);
    expect(outcome.subjects.find((s) => s.resource.name === `quay.io/prometheus/node-exporter@${DIGEST}`)?.details).toMatchObject({
      class: 'minimal',
      rule: 'prometheus',
    });
  });

  it('still groups pods by Deployment when ReplicaSets were not collected', () => {
    const inventory = inventoryOf(
      deploymentPods('shop', 'web', { containers: [{ name: 'nginx', image: 'ubuntu:24.04' }] }, { replicas: 4, withReplicaSet: false }),
    );
    const outcome = evaluate(check, inventory);
    expect(outcome.status === 'fail' && outcome.findings.map((f) => [f.resource.kind, f.resource.name, f.affected?.length])).toEqual([
      ['Deployment', 'web', 1],
    ]);
  });

  it('reports an unparseable image reference as unknown', () => {
    const outcome = evaluate(
      check,
      inventoryOf([...deploymentPods('shop', 'api', api), barePod('shop', 'typo', { containers: [{ name: 'app', image: 'Nginx:1.25' }] })]),
    );
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && outcome.subjects.find((s) => s.resource.name === 'Nginx:1.25')?.details?.reason).toMatch(/lower-case/);
  });

  it('honours the minimalCredit option', () => {
    const inventory = inventoryOf(deploymentPods('shop', 'web', { containers: [{ name: 'nginx', image: 'nginx:1.25.3' }] }));
    const lenient = withOptions(inventory, { minimalCredit: 1 });
    expect(lenient).toMatchObject({ status: 'pass', findings: [] });
    const strict = withOptions(inventory, { minimalCredit: 0 });
    expect(strict.status).toBe('fail');
    expect(checkScore(strict)).toBe(0);
    expect(withOptions(inventory, { minimalCredit: 'half' })).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/minimalCredit/) });
  });

  it('uses image rules added in the config file', () => {
    const catalogs = mergeCatalogs(loadBuiltinCatalogs(), {
      imageRules: [{ id: 'corp-base', class: 'distroless', repository: 'registry.corp.io/*', source: 'corp golden images, FROM scratch' }],
    });
    const inventory = inventoryOf(deploymentPods('shop', 'api', { containers: [{ name: 'api', image: 'registry.corp.io/shop/api:2.4.1' }] }));
    expect(evaluate(check, inventory, catalogs).status).toBe('pass');
  });

  it('is not applicable without pods and unknown when pods could not be listed', () => {
    expect(evaluate(check, inventoryOf([], { [KINDS.Pod]: 'ok' })).status).toBe('not-applicable');
    expect(evaluate(check, inventoryOf([], { [KINDS.Pod]: 'forbidden' })).status).toBe('unknown');
  });
});
