import check from '../../../checks/host-os/OS-04.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { checkScore } from '../../../src/engine/score.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { aksWindows, eksBottlerocket, kubeadmUbuntu, minikube, node } from './nodes.js';

describe('OS-04 CRI runtime', () => {
  it('passes on containerd and CRI-O nodes, Windows included', () => {
    const crio = node('ocp-worker-0', {
      osImage: 'Red Hat Enterprise Linux CoreOS 416.94.202407081958-0',
      containerRuntimeVersion: 'cri-o://1.29.6-3.rhaos4.16.gitfd433b7.el9',
    });
    const outcome = evaluate(check, inventoryOf([eksBottlerocket('ip-10-0-2-21.ec2.internal'), crio, aksWindows('aksnpwin000000')]));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict, s.details?.runtime])).toEqual([
      ['aksnpwin000000', 'pass', 'containerd'],
      ['ip-10-0-2-21.ec2.internal', 'pass', 'containerd'],
      ['ocp-worker-0', 'pass', 'CRI-O'],
    ]);
  });

  it('fails on Docker Engine nodes with one finding listing them', () => {
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
    const only = evaluate(check, inventoryOf([node('odd', { osImage: 'Ubuntu 22.04.4 LTS' })]));
    expect(only.status).toBe('unknown');
  });

  it('flags minikube with the docker driver runtime', () => {
    expect(evaluate(check, inventoryOf([minikube()])).status).toBe('fail');
  });

  it('is unknown when nodes could not be listed', () => {
    expect(evaluate(check, inventoryOf([], { [KINDS.Node]: 'forbidden' })).status).toBe('unknown');
  });
});
