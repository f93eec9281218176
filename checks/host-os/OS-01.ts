import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { compareRefs, nameOf, refOf, type K8sObject, type ResourceRef } from '../../src/k8s/object.js';
import { describeSignal, osIdentifier, OS_IMAGE_FIELD, type OsIdentity } from '../../src/k8s/os.js';
import { appendTo } from '../../src/util/collections.js';
import { kubectl } from '../../src/util/shell.js';

const VERIFY = 'kubectl get nodes -o custom-columns=NAME:.metadata.name,OS:.status.nodeInfo.osImage';
const VERIFY_KERNEL = 'kubectl get nodes -o custom-columns=NAME:.metadata.name,OS:.status.nodeInfo.osImage,KERNEL:.status.nodeInfo.kernelVersion';

/** A command that shows the signal that decided: the osImage column, the kernel column or the label. */
function verifyFor(identity: OsIdentity): string {
  const signal = identity.signal ?? 'osImage';
  if (signal === 'osImage') return VERIFY;
  if (signal === 'kernelVersion') return VERIFY_KERNEL;
  return kubectl('get', 'nodes', '-L', signal.slice('label:'.length), '-o', 'wide');
}

interface IdentifiedNode {
  node: K8sObject;
  ref: ResourceRef;
  identity: OsIdentity;
}

export default defineCheck({
  meta: {
    id: 'OS-01',
    title: 'Nodes run a container-specialized OS',
    category: 'host-os',
    severity: 'high',
    rationale:
      'A general-purpose OS on nodes (Ubuntu, Debian, RHEL, Amazon Linux…) brings a package manager, SSH, a shell, a ' +
      'writable system and its own update cycle: a large attack surface, many scanner findings, many compliance controls ' +
      'and configuration drift between nodes. A container-specialized OS (Talos, Flatcar, Bottlerocket, Fedora CoreOS, ' +
      'Container-Optimized OS, RHCOS) is built for the orchestrator: minimal, read-only system partitions, image-based ' +
      'updates, no interactive access.',
    remediation:
      'Move node pools to a container-specialized OS and replace nodes rather than patch them: on EKS use Bottlerocket ' +
      'AMIs (or EKS Auto Mode), on GKE the COS_CONTAINERD image type, on AKS Azure Container Linux or Flatcar, on ' +
      'OpenShift RHCOS worker nodes; self-managed clusters can run Talos Linux, Flatcar or Fedora CoreOS. An OS kposture ' +
      'does not know can be added to `catalogs.osFamilies` in the config file. Windows nodes are reported but not scored: ' +
      'no container-specialized Windows exists; keep them on Server Core and patched.',
    references: [
      'https://www.talos.dev/latest/learn-more/philosophy/',
      'https://bottlerocket.dev/en/',
      'https://www.flatcar.org/docs/latest/',
      'https://cloud.google.com/container-optimized-os/docs/concepts/features-and-benefits',
      'https://docs.fedoraproject.org/en-US/fedora-coreos/',
      'https://docs.openshift.com/container-platform/latest/architecture/architecture-rhcos.html',
    ],
    reads: [KINDS.Node],
    messages: {
      generalPurpose: '{count} node(s) run {osImage} ({family}), a general-purpose OS: {nodes}',
    },
  },
  evaluate(ctx, report) {
    const nodes = ctx.items(KINDS.Node);
    if (nodes.length === 0) return { status: 'not-applicable', reason: 'the cluster has no nodes' };

    const identify = osIdentifier(ctx.catalogs.osFamilies);
    const identified: IdentifiedNode[] = nodes.map((node) => ({ node, ref: refOf(node, 'Node'), identity: identify(node) }));
    const subjects: Subject[] = identified.map(subjectOf);

    const generalPurpose = new Map<string, IdentifiedNode[]>();
    for (const n of identified) {
      if (n.identity.family?.class !== 'general-purpose') continue;
      const key = `${n.identity.family.id}\u0000${n.identity.osImage ?? n.identity.evidence ?? ''}`;
      appendTo(generalPurpose, key, n);
    }
    const findings: Finding[] = [...generalPurpose.values()].map((group) => {
      const sorted = [...group].sort((a, b) => compareRefs(a.ref, b.ref));
      const { identity } = sorted[0]!;
      const names = sorted.map((n) => nameOf(n.node));
      return report('generalPurpose', {
        resource: sorted[0]!.ref,
        affected: sorted.map((n) => n.ref),
        data: {
          count: sorted.length,
          osImage: identity.osImage ?? '(no osImage)',
          family: identity.family!.name,
          nodes: names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', '),
        },
        field: identity.field ?? OS_IMAGE_FIELD,
        evidence: `${identity.evidence ?? 'osImage'} → ${identity.family!.name} (general-purpose)`,
        verify: verifyFor(identity),
      });
    });

    const scored = subjects.filter((s) => s.verdict === 'pass' || s.verdict === 'fail');
    if (scored.length === 0) {
      const undecided = identified.filter((n) => n.identity.family?.class !== 'windows');
      if (undecided.length > 0) {
        const every = undecided.length === nodes.length ? 'every' : 'each non-Windows';
        return { status: 'unknown', reason: `the OS of ${every} node cannot be told: ${whyUnknown(undecided)}`, subjects };
      }
      return { status: 'not-applicable', reason: 'only Windows nodes: no container-specialized OS exists for Windows containers' };
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

function subjectOf(n: IdentifiedNode): Subject {
  const { family, osImage, kernelVersion, signal, evidence, conflicts, ambiguous } = n.identity;
  const details = {
    osImage: osImage ?? null,
    kernelVersion: kernelVersion ?? null,
    family: family?.name ?? null,
    familyId: family?.id ?? null,
    class: family?.class ?? null,
    signal: signal ?? null,
    evidence: evidence ?? null,
    ...(conflicts ? { conflicts: conflicts.map(describeSignal) } : {}),
    ...(ambiguous ? { ambiguous: ambiguous.map(describeSignal) } : {}),
  };
  if (!family) return { resource: n.ref, verdict: 'unknown', details: { ...details, reason: unidentifiedReason(n.identity) } };
  switch (family.class) {
    case 'container-optimized':
      return { resource: n.ref, verdict: 'pass', details };
    case 'general-purpose':
      return { resource: n.ref, verdict: 'fail', details };
    case 'windows':
      return { resource: n.ref, verdict: 'info', details: { ...details, reason: 'Windows nodes are shown but not scored' } };
    case 'node-in-container':
      return { resource: n.ref, verdict: 'unknown', details: { ...details, reason: inContainerReason(n.identity) } };
  }
}

function unidentifiedReason(identity: OsIdentity): string {
  if (identity.ambiguous) {
    const names = [...new Set(identity.ambiguous.flatMap((s) => s.families.map((f) => f.name)))];
    const shown = identity.ambiguous.map((s) => (s.signal.startsWith('label:') ? `label ${s.value}` : `${s.signal} "${s.value}"`));
    return `${shown.join(' and ')} could be ${names.join(' or ')}, and no other signal tells them apart`;
  }
  return 'no signal (osImage, kernelVersion, node labels) matches an OS family of the catalogue';
}

function inContainerReason(identity: OsIdentity): string {
  const image = identity.osImage ? `osImage "${identity.osImage}"` : 'its osImage';
  const shown =
    identity.signal === 'osImage'
      ? `${image} is its image's os-release`
      : `${identity.evidence ?? 'a node signal'} says so and ${image} is its image's os-release`;
  return `the node is a container (${identity.family!.name}): ${shown}, and the host's OS cannot be seen through the Kubernetes API`;
}

/** Why the nodes without a scored family are unknown, grouped by cause, most specific first. */
function whyUnknown(nodes: readonly IdentifiedNode[]): string {
  const inContainer = nodes.filter((n) => n.identity.family?.class === 'node-in-container');
  const ambiguous = nodes.filter((n) => !n.identity.family && n.identity.ambiguous);
  const unrecognised = nodes.filter((n) => !n.identity.family && !n.identity.ambiguous);
  const parts: string[] = [];
  if (inContainer.length > 0) {
    const shown = distinct(inContainer.map((n) => `${n.identity.family!.name}: ${n.identity.evidence ?? ''}`));
    parts.push(`${inContainer.length} node(s) run in containers (${shown.join('; ')}), so their host's OS cannot be seen through the Kubernetes API`);
  }
  if (ambiguous.length > 0) {
    parts.push(
      `${ambiguous.length} node(s) show only signals shared by several families (${distinct(ambiguous.map((n) => unidentifiedReason(n.identity))).join('; ')})`,
    );
  }
  if (unrecognised.length > 0) {
    const images = distinct(unrecognised.map((n) => (n.identity.osImage ? `"${n.identity.osImage}"` : '(no osImage)')));
    parts.push(`${unrecognised.length} node(s) are unrecognised (${images.join(', ')}); add the OS to catalogs.osFamilies in the config file`);
  }
  return parts.join('; ');
}

function distinct(values: string[]): string[] {
  return [...new Set(values)].sort();
}
