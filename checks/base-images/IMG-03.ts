import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { POD_OWNER_KINDS, kubectlGet, podSpecPath, type Workload } from '../../src/k8s/owners.js';
import { field, nameOf, namespaceOf, refKey, type K8sObject } from '../../src/k8s/object.js';
import { describeWorkload } from '../../src/k8s/image-uses.js';
import { DECLARED_CONTAINER_LISTS, workloadContainers, workloadFieldPath, type WorkloadContainer } from '../../src/k8s/workloads.js';
import { kubectl } from '../../src/util/shell.js';
import { sharedOwnerIndex } from '../shared.js';

const SETTING = 'securityContext.readOnlyRootFilesystem';

type Setting = true | false | null;

interface ContainerState {
  wc: WorkloadContainer;
  /** `true` only when every pod of the workload sets it; `null` when unset somewhere. */
  value: Setting;
}

export default defineCheck({
  meta: {
    id: 'IMG-03',
    title: 'Containers run with a read-only root filesystem',
    category: 'base-images',
    severity: 'medium',
    rationale:
      'A container whose root filesystem is writable lets an intruder drop and run tools, patch binaries and plant ' +
      'persistence that lives as long as the pod; it also lets the running container drift from the image that was ' +
      'scanned. `readOnlyRootFilesystem: true` makes the image immutable at run time: writes go only to the volumes the ' +
      'workload declares (an `emptyDir` for /tmp or a cache).',
    remediation:
      'Set `securityContext.readOnlyRootFilesystem: true` on every container and init container, and mount an ' +
      '`emptyDir` where the program needs to write (`/tmp`, a cache directory). Pod Security Admission does not ' +
      'require it; enforce it with a policy engine (Kyverno `require-ro-rootfs`, Gatekeeper ' +
      '`K8sPSPReadOnlyRootFilesystem`). Windows pods cannot set it and are not scored.',
    references: [
      'https://kubernetes.io/docs/tasks/configure-pod-container/security-context/',
      'https://kyverno.io/policies/best-practices/require-ro-rootfs/require-ro-rootfs/',
      'https://open-policy-agent.github.io/gatekeeper-library/website/validation/read-only-root-filesystem/',
    ],
    reads: [KINDS.Pod],
    optionalReads: [...POD_OWNER_KINDS],
    scope: 'tenant',
    messages: {
      writable: '{workload} runs {count} container(s) with a writable root filesystem: {containers}',
    },
  },
  evaluate(ctx, report) {
    const pods = ctx.items(KINDS.Pod).filter((p) => !ctx.isSystemNamespace(namespaceOf(p)));
    if (pods.length === 0) return { status: 'not-applicable', reason: 'no pods run outside the system namespaces' };
    const index = sharedOwnerIndex(ctx);

    const byWorkload = new Map<string, { workload: Workload; states: ContainerState[]; windows: boolean }>();
    for (const wc of workloadContainers(pods, index, DECLARED_CONTAINER_LISTS)) {
      const key = refKey(wc.workload.ref);
      const entry = byWorkload.get(key) ?? { workload: wc.workload, states: [], windows: false };
      entry.windows ||= wc.instances.some(({ pod }) => isWindowsPod(pod));
      entry.states.push({ wc, value: combined(wc) });
      byWorkload.set(key, entry);
    }

    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const { workload, states, windows } of byWorkload.values()) {
      const containers = Object.fromEntries(states.map((s) => [label(s.wc), s.value]));
      if (windows) {
        subjects.push({ resource: workload.ref, verdict: 'info', details: { containers, reason: 'Windows pods cannot set readOnlyRootFilesystem' } });
        continue;
      }
      const writable = states.filter((s) => s.value !== true);
      const credit = (states.length - writable.length) / states.length;
      subjects.push({ resource: workload.ref, verdict: credit === 1 ? 'pass' : credit === 0 ? 'fail' : 'partial', credit, details: { containers } });
      if (writable.length === 0) continue;
      const first = writable[0]!.wc;
      findings.push(
        report('writable', {
          resource: workload.ref,
          data: { workload: describeWorkload(workload.ref), count: writable.length, containers: writable.map((s) => label(s.wc)).join(', ') },
          field: workloadFieldPath(workload, first.instances[0]!.container, SETTING),
          evidence: writable.map((s) => `${label(s.wc)}: ${s.value === null ? 'unset' : 'false'}`).join('; '),
          verify: verifyCommand(workload, first.instances[0]!.pod),
        }),
      );
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

function combined(wc: WorkloadContainer): Setting {
  const values = wc.instances.map(({ container }) => field(container.spec, 'securityContext', 'readOnlyRootFilesystem'));
  if (values.every((v) => v === true)) return true;
  return values.some((v) => v === undefined || v === null || typeof v !== 'boolean') ? null : false;
}

function label(wc: WorkloadContainer): string {
  return wc.list === 'initContainers' ? `${wc.name} (init)` : wc.name;
}

function isWindowsPod(pod: K8sObject): boolean {
  return field(pod, 'spec', 'os', 'name') === 'windows';
}

/** Each container's setting, read from the workload object when kposture knows its pod template path. */
function verifyCommand(workload: Workload, pod: K8sObject): string {
  const template = podSpecPath(workload.ref.kind);
  const range = (base: string) =>
    `{range ${base}.initContainers[*]}{.name}{" (init): "}{.securityContext.readOnlyRootFilesystem}{"\\n"}{end}` +
    `{range ${base}.containers[*]}{.name}{": "}{.securityContext.readOnlyRootFilesystem}{"\\n"}{end}`;
  if (template) return kubectlGet(workload.ref, '-o', `jsonpath=${range(template)}`);
  const ns = namespaceOf(pod);
  return kubectl(...(ns ? ['-n', ns] : []), 'get', 'pod', nameOf(pod), '-o', `jsonpath=${range('.spec')}`);
}
