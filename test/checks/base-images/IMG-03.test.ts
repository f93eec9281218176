import check from '../../../checks/base-images/IMG-03.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { barePod, cronJobPods, daemonSetPods, deploymentPods } from './pods.js';

const RO = { readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false };

describe('IMG-03 read-only root filesystem', () => {
  it('passes when every container and init container sets readOnlyRootFilesystem, ignoring system namespaces', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...deploymentPods(
          'shop',
          'api',
          {
            initContainers: [{ name: 'migrate', image: 'registry.corp.io/shop/migrate:2.4.1', securityContext: RO }],
            containers: [{ name: 'api', image: 'registry.corp.io/shop/api:2.4.1', securityContext: RO }],
          },
          { replicas: 3 },
        ),
        ...daemonSetPods('kube-system', 'kube-proxy', {
          containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.30.2', securityContext: { privileged: true } }],
        }),
      ]),
    );
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects).toEqual([
      {
        resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'api' },
        verdict: 'pass',
        credit: 1,
        details: { containers: { 'migrate (init)': true, api: true } },
      },
    ]);
  });

  it('fails per workload, listing the writable containers, with partial credit for the others', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...deploymentPods(
          'shop',
          'web',
          {
            containers: [
              { name: 'nginx', image: 'nginx:1.25.3', securityContext: RO },
              { name: 'log-shipper', image: 'fluent/fluent-bit:3.0.7' },
              { name: 'metrics', image: 'nginx/nginx-prometheus-exporter:1.1.0', securityContext: { readOnlyRootFilesystem: false } },
            ],
          },
          { replicas: 5 },
        ),
        ...cronJobPods('ops', 'backup', { containers: [{ name: 'backup', image: 'ubuntu:22.04', securityContext: { runAsUser: 1000 } }] }),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.resource.kind, f.resource.name, f.data.count, f.data.containers, f.field, f.evidence])).toEqual([
      ['CronJob', 'backup', 1, 'backup', 'spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem', 'backup: unset'],
      [
        'Deployment',
        'web',
        2,
        'log-shipper, metrics',
        'spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem',
        'log-shipper: unset; metrics: false',
      ],
    ]);
    const web = outcome.findings[1]!;
    expect(web.verify).toBe(
      `kubectl -n shop get deployment web -o 'jsonpath={range .spec.template.spec.initContainers[*]}{.name}{" (init): "}{.securityContext.readOnlyRootFilesystem}{"\\n"}{end}` +
        `{range .spec.template.spec.containers[*]}{.name}{": "}{.securityContext.readOnlyRootFilesystem}{"\\n"}{end}'`,
    );
    expect(outcome.subjects.find((s) => s.resource.name === 'web')).toMatchObject({ verdict: 'partial', credit: 1 / 3 });
    expect(checkScore(outcome)).toBe(16.7);
  });

  it('fails a workload when any of its pods is writable (a rollout half done)', () => {
    const oldPods = deploymentPods(
      'shop',
      'api',
      { containers: [{ name: 'api', image: 'registry.corp.io/shop/api:2.4.0' }] },
      { replicas: 1, hash: '5c7d8e9f4b' },
    );
    const newPods = deploymentPods(
      'shop',
      'api',
      { containers: [{ name: 'api', image: 'registry.corp.io/shop/api:2.4.1', securityContext: RO }] },
      { replicas: 2 },
    );
    const outcome = evaluate(check, inventoryOf([...oldPods, ...newPods]));
    expect(outcome.status === 'fail' && outcome.findings.map((f) => [f.resource.name, f.evidence])).toEqual([['api', 'api: unset']]);
  });

  it('shows Windows pods without scoring them', () => {
    const win = barePod('shop', 'iis', {
      os: { name: 'windows' },
      containers: [{ name: 'iis', image: 'mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022' }],
    });
    const linux = barePod('shop', 'tool', { containers: [{ name: 'tool', image: 'busybox:1.36', securityContext: RO }] });
    const outcome = evaluate(check, inventoryOf([win, linux]));
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && outcome.subjects.find((s) => s.resource.name === 'iis')?.verdict).toBe('info');
  });

  it('is not applicable with only system pods, unknown when pods could not be listed', () => {
    const system = daemonSetPods('kube-system', 'kube-proxy', { containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.30.2' }] });
    expect(evaluate(check, inventoryOf(system)).status).toBe('not-applicable');
    expect(evaluate(check, inventoryOf([], { [KINDS.Pod]: 'forbidden' })).status).toBe('unknown');
  });
});
