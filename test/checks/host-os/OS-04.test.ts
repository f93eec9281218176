import check from '../../../checks/host-os/OS-04.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { kubeadmUbuntu, node } from './nodes.js';

// containerd and CRI-O nodes, Docker Engine nodes, minikube, a lone unrecognised runtime:
// test/checks/cases/OS-04/. Here the grouping of the finding in full, and what a snapshot cannot say.
describe('OS-04 CRI runtime', () => {
  it('groups Docker Engine nodes in one finding that lists them as affected', () => {
    const outcome = evaluate(
      check,
      inventoryOf([
        kubeadmUbuntu('worker-1', { containerRuntimeVersion: 'docker://20.10.24' }),
        kubeadmUbuntu('worker-2', { containerRuntimeVersion: 'docker://24.0.7' }),
        kubeadmUbuntu('worker-3'),
      ]),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings).toEqual([
      {
        messageId: 'docker',
        resource: { apiVersion: 'v1', kind: 'Node', name: 'worker-1' },
        affected: [
          { apiVersion: 'v1', kind: 'Node', name: 'worker-1' },
          { apiVersion: 'v1', kind: 'Node', name: 'worker-2' },
        ],
        data: { count: 2, versions: 'docker://20.10.24, docker://24.0.7', nodes: 'worker-1, worker-2' },
        field: 'status.nodeInfo.containerRuntimeVersion',
        evidence: 'docker://20.10.24, docker://24.0.7',
        verify: 'kubectl get nodes -o custom-columns=NAME:.metadata.name,RUNTIME:.status.nodeInfo.containerRuntimeVersion',
      },
    ]);
    expect(checkScore(outcome)).toBe(33.3);
  });

  it('reports a runtime it does not know as unknown, neither pass nor fail', () => {
    const outcome = evaluate(check, inventoryOf([kubeadmUbuntu('worker-1'), node('odd', { containerRuntimeVersion: 'frakti://0.3' })]));
    expect(outcome.status).toBe('pass');
    expect(outcome.status === 'pass' && outcome.subjects.find((s) => s.resource.name === 'odd')?.verdict).toBe('unknown');
  });

  it('is unknown when nodes could not be listed', () => {
    expect(evaluate(check, inventoryOf([], { [KINDS.Node]: 'forbidden' })).status).toBe('unknown');
  });
});
