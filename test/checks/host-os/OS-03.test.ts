import { describe, expect, it } from '@jest/globals';
import check, { skewOf } from '../../../checks/host-os/OS-03.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { parseKubeVersion } from '../../../src/k8s/nodes.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { eksAl2, gkeCos, kubeadmUbuntu, node } from './nodes.js';

function v(raw: string) {
  return parseKubeVersion(raw)!;
}

describe('OS-03 kubelet version skew', () => {
  it.each([
    ['v1.30.2', 'v1.30.0', 'supported', 0],
    ['v1.30.2', 'v1.27.16', 'supported', 3],
    ['v1.30.2', 'v1.26.15', 'too-old', 4],
    ['v1.28.9', 'v1.25.16', 'supported', 3],
    ['v1.27.13', 'v1.24.17', 'too-old', 3],
    ['v1.26.15', 'v1.24.17', 'supported', 2],
    ['v1.29.4', 'v1.30.1', 'newer', -1],
  ])('API server %s, kubelet %s: %s', (server, kubelet, state, lag) => {
    expect(skewOf(v(kubelet), v(server))).toMatchObject({ state, lag });
  });

  it('passes when every kubelet is within the window, provider suffixes included', () => {
    const inventory = inventoryOf(
      [eksAl2('ip-10-0-1-11.ec2.internal'), eksAl2('ip-10-0-1-12.ec2.internal', 'ng-old', { kubeletVersion: 'v1.27.16-eks-1552ad0' })],
      {},
      'v1.30.2-eks-db838b0',
    );
    const outcome = evaluate(check, inventory);
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict, s.details?.minorVersionsBehind])).toEqual([
      ['ip-10-0-1-11.ec2.internal', 'pass', 1],
      ['ip-10-0-1-12.ec2.internal', 'pass', 3],
    ]);
  });

  it('fails on kubelets too far behind, one finding per kubelet minor version', () => {
    const inventory = inventoryOf(
      [
        gkeCos('gke-prod-pool-a-1'),
        gkeCos('gke-prod-legacy-1', 'legacy', { kubeletVersion: 'v1.26.15-gke.1090000' }),
        gkeCos('gke-prod-legacy-2', 'legacy', { kubeletVersion: 'v1.26.14-gke.1044000' }),
        gkeCos('gke-prod-legacy-3', 'legacy', { kubeletVersion: 'v1.25.16-gke.1537000' }),
      ],
      {},
      'v1.30.3-gke.1639000',
    );
    const outcome = evaluate(check, inventory);
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings.map((f) => [f.messageId, f.data.kubelet, f.data.lag, f.data.allowed, f.affected?.map((r) => r.name)])).toEqual([
      ['tooOld', 'v1.26.14-gke.1044000, v1.26.15-gke.1090000', 4, 3, ['gke-prod-legacy-1', 'gke-prod-legacy-2']],
      ['tooOld', 'v1.25.16-gke.1537000', 5, 3, ['gke-prod-legacy-3']],
    ]);
    expect(outcome.findings[0]).toMatchObject({
      field: 'status.nodeInfo.kubeletVersion',
      evidence: 'kubelet v1.26.14-gke.1044000, v1.26.15-gke.1090000 vs kube-apiserver v1.30.3-gke.1639000',
      verify: 'kubectl version && kubectl get nodes -o custom-columns=NAME:.metadata.name,KUBELET:.status.nodeInfo.kubeletVersion',
    });
    expect(checkScore(outcome)).toBe(25);
  });

  it('fails on a kubelet newer than the API server', () => {
    const outcome = evaluate(
      check,
      inventoryOf([kubeadmUbuntu('cp-1', { kubeletVersion: 'v1.29.4' }), kubeadmUbuntu('worker-1', { kubeletVersion: 'v1.30.1' })], {}, 'v1.29.4'),
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.status === 'fail' && outcome.findings.map((f) => [f.messageId, f.resource.name])).toEqual([['newer', 'worker-1']]);
  });

  it('is unknown when the API server version is not known', () => {
    const outcome = evaluate(check, inventoryOf([kubeadmUbuntu('cp-1')]));
    expect(outcome).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/API server version is not known/) });
  });

  it('is unknown when the API server version is not a version', () => {
    expect(evaluate(check, inventoryOf([kubeadmUbuntu('cp-1')], {}, 'dev-build')).status).toBe('unknown');
  });

  it('reports a node without a readable kubelet version as unknown and judges the others', () => {
    const outcome = evaluate(check, inventoryOf([kubeadmUbuntu('cp-1'), node('odd-1', { osImage: 'Ubuntu 22.04.4 LTS' })], {}, 'v1.30.3'));
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && outcome.subjects.map((s) => s.verdict)).toEqual(['pass', 'unknown']);
    const none = evaluate(check, inventoryOf([node('odd-1', { osImage: 'Ubuntu 22.04.4 LTS' })], {}, 'v1.30.3'));
    expect(none.status).toBe('unknown');
  });

  it('is unknown when nodes could not be listed', () => {
    expect(evaluate(check, inventoryOf([], { [KINDS.Node]: 'error' }, 'v1.30.3')).status).toBe('unknown');
  });
});
