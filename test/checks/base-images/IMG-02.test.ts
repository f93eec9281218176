import { describe, expect, it } from '@jest/globals';
import check from '../../../checks/base-images/IMG-02.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { DIGEST, barePod, cronJobPods, daemonSetPods, deploymentPods, statefulSetPods } from './pods.js';

describe('IMG-02 images pinned by digest or version tag', () => {
  it('passes on digests and version tags, a digest winning over a latest tag', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...deploymentPods('shop', 'api', { containers: [{ name: 'api', image: `registry.corp.io/shop/api:2.4.1@${DIGEST}` }] }, { replicas: 3 }),
        ...daemonSetPods('kube-system', 'kube-proxy', { containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.30.2' }] }),
        ...statefulSetPods('shop', 'cache', { containers: [{ name: 'redis', image: `redis:latest@${DIGEST}` }] }),
      ]),
    );
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict, s.details?.pinned])).toEqual([
      [`docker.io/library/redis:latest@${DIGEST}`, 'pass', 'digest'],
      [`registry.corp.io/shop/api:2.4.1@${DIGEST}`, 'pass', 'digest'],
      ['registry.k8s.io/kube-proxy:v1.30.2', 'info', 'tag'],
    ]);
  });

  it('fails on untagged and :latest images, one finding per image naming its workloads', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        ...deploymentPods('shop', 'web', { containers: [{ name: 'nginx', image: 'nginx' }] }, { replicas: 4 }),
        ...deploymentPods('blog', 'web', { containers: [{ name: 'nginx', image: 'nginx' }] }),
        ...cronJobPods('ops', 'report', { containers: [{ name: 'report', image: 'ghcr.io/acme/report:latest' }] }),
        ...deploymentPods('shop', 'api', { containers: [{ name: 'api', image: 'registry.corp.io/shop/api:2.4.1' }] }),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.messageId, f.resource.kind, f.resource.namespace, f.resource.name, f.affected?.length, f.evidence])).toEqual([
      ['latest', 'CronJob', 'ops', 'report', 1, 'ghcr.io/acme/report:latest: tag latest'],
      ['untagged', 'Deployment', 'blog', 'web', 2, 'nginx: no tag, no digest (pulls docker.io/library/nginx:latest)'],
    ]);
    expect(outcome.findings[1]).toMatchObject({
      field: 'spec.template.spec.containers[0].image',
      data: { image: 'nginx', workloads: 2, usedBy: 'Deployment blog/web, Deployment shop/web' },
      verify: expect.stringMatching(/^kubectl get pods -A -o 'custom-columns=.*' \| grep -F -e nginx$/),
    });
    expect(checkScore(outcome)).toBe(33.3);
  });

  it('checks init and ephemeral containers too', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        barePod('shop', 'api-debug', {
          initContainers: [{ name: 'wait', image: 'busybox:1.36' }],
          containers: [{ name: 'api', image: 'registry.corp.io/shop/api:2.4.1' }],
          ephemeralContainers: [{ name: 'debugger-q9w4m', image: 'nicolaka/netshoot' }],
        }),
      ]),
    );
    expect(outcome.status === 'fail' && outcome.findings.map((f) => [f.field, f.data.image])).toEqual([
      ['spec.ephemeralContainers[0].image', 'nicolaka/netshoot'],
    ]);
  });

  it('is unknown when no image reference parses, and when pods could not be listed', () => {
    expect(evaluate(check, inventoryOf([barePod('shop', 'x', { containers: [{ name: 'x', image: 'Bad Image' }] })])).status).toBe('unknown');
    expect(evaluate(check, inventoryOf([], { [KINDS.Pod]: 'forbidden' })).status).toBe('unknown');
  });

  it('is not applicable without pods', () => {
    expect(evaluate(check, inventoryOf([], { [KINDS.Pod]: 'ok' })).status).toBe('not-applicable');
  });
});
