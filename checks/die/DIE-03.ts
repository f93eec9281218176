import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { POD_OWNER_KINDS, groupByWorkload, kubectlGet, podSpecPath } from '../../src/k8s/owners.js';
import { asArray, asRecord, asString, field, nameOf, namespaceOf, refOf, type K8sObject } from '../../src/k8s/object.js';
import { kubectl } from '../../src/util/shell.js';
import { sharedOwnerIndex } from '../shared.js';

interface HostPathVolume {
  volume: string;
  path: string;
  type: string;
}

export default defineCheck({
  meta: {
    id: 'DIE-03',
    title: 'Workloads mount no hostPath volumes',
    category: 'die',
    severity: 'high',
    rationale:
      'Immutable and ephemeral, the I and E of DIE: a pod that mounts a directory of its node depends on that node ' +
      'and leaves state behind on it, so neither the pod nor the node is disposable any more. It is also the ' +
      'shortest container escape: a writable hostPath to /, /etc, /var/lib/kubelet or the container runtime socket ' +
      "hands the node, and every other tenant's pods on it, to whoever controls the container. Pod Security " +
      'Admission forbids hostPath from the baseline level up.',
    remediation:
      'Replace hostPath with a volume that does not reach into the node: emptyDir for scratch space, a ' +
      'PersistentVolumeClaim for data, a ConfigMap, Secret or projected volume for configuration, CSI ephemeral ' +
      'volumes for node-provided data. Node agents that truly need the host (log collectors, CSI node plugins, ' +
      'monitoring exporters) belong in a dedicated namespace listed in systemNamespaces, with the mount readOnly and ' +
      'the narrowest path. Enforce it with Pod Security Admission `baseline` or a policy engine rule.',
    references: [
      'https://kubernetes.io/docs/concepts/storage/volumes/#hostpath',
      'https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline',
      'https://kubernetes.io/docs/concepts/storage/ephemeral-volumes/',
    ],
    reads: [KINDS.Pod],
    optionalReads: [...POD_OWNER_KINDS],
    scope: 'tenant',
    messages: {
      hostPath: '{workload} in namespace {namespace} mounts host paths: {paths}',
    },
  },
  evaluate(ctx, report) {
    const pods = ctx.items(KINDS.Pod).filter((p) => !ctx.isSystemNamespace(namespaceOf(p)));
    const index = sharedOwnerIndex(ctx);
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const { workload, pods: members } of groupByWorkload(pods, index)) {
      const volumes = uniqueVolumes(members.flatMap(hostPathVolumes));
      const ok = volumes.length === 0;
      subjects.push({ resource: workload.ref, verdict: ok ? 'pass' : 'fail', details: { pods: members.length, hostPaths: volumes.map((v) => v.path) } });
      if (ok) continue;
      const ns = workload.ref.namespace ?? '';
      const example = members.find((p) => hostPathVolumes(p).length > 0)!;
      findings.push(
        report('hostPath', {
          resource: workload.ref,
          data: { workload: `${workload.ref.kind} ${workload.ref.name}`, namespace: ns, paths: volumes.map((v) => v.path).join(', ') },
          field: `${specField(workload.ref.kind)}.volumes[].hostPath`,
          evidence: volumes.map((v) => `volume ${v.volume}: ${v.path}${v.type ? ` (${v.type})` : ''}`).join('; '),
          verify: verifyCommand(workload.ref, example),
          affected: members.map((p) => refOf(p, 'Pod')),
        }),
      );
    }
    if (subjects.length === 0) return { status: 'not-applicable', reason: 'no pods outside system namespaces' };
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

function hostPathVolumes(pod: K8sObject): HostPathVolume[] {
  const out: HostPathVolume[] = [];
  const volumes = asArray(field(pod, 'spec', 'volumes'));
  for (let i = 0; i < volumes.length; i++) {
    const volume = asRecord(volumes[i]);
    const hostPath = volume.hostPath;
    if (hostPath === undefined || hostPath === null) continue;
    out.push({ volume: asString(volume.name) ?? '?', path: asString(asRecord(hostPath).path) ?? '?', type: asString(asRecord(hostPath).type) ?? '' });
  }
  return out;
}

/** The same volume of several replicas is one piece of evidence. */
function uniqueVolumes(volumes: HostPathVolume[]): HostPathVolume[] {
  const seen = new Map<string, HostPathVolume>();
  for (const v of volumes) seen.set(`${v.volume}\u0000${v.path}\u0000${v.type}`, v);
  return [...seen.values()].sort((a, b) => a.volume.localeCompare(b.volume, 'en') || a.path.localeCompare(b.path, 'en'));
}

/** The YAML path of the pod spec in the workload's own manifest: `spec.template.spec` for a Deployment. */
function specField(kind: string): string {
  return (podSpecPath(kind) ?? '.spec').slice(1);
}

/** Shows the hostPath volumes in the workload's template when kposture knows its kind, else in one of its pods. */
function verifyCommand(ref: { kind: string; name: string; namespace?: string; apiVersion?: string }, example: K8sObject): string {
  const path = podSpecPath(ref.kind);
  const jsonpath = (prefix: string) => `jsonpath={range ${prefix}.volumes[?(@.hostPath)]}{.name}{"\\t"}{.hostPath.path}{"\\n"}{end}`;
  if (path) return kubectlGet(ref, '-o', jsonpath(path));
  return kubectl('-n', namespaceOf(example) ?? '', 'get', 'pod', nameOf(example), '-o', jsonpath('.spec'));
}
