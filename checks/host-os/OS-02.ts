import { defineCheck, type Finding, type FindingFactory, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { compareRefs, nameOf, refOf, type K8sObject, type ResourceRef } from '../../src/k8s/object.js';
import { NODE_POOL_LABELS, NODE_SOFTWARE_COLUMNS, nodeInfoOf, nodePoolOf, type NodeInfo, type NodePool } from '../../src/k8s/nodes.js';
import { appendTo } from '../../src/util/collections.js';
import { kubectl } from '../../src/util/shell.js';

/** The software versions that should be identical across the nodes of one pool. */
const ATTRIBUTES = ['osImage', 'kernelVersion', 'kubeletVersion', 'containerRuntimeVersion'] as const;
type Attribute = (typeof ATTRIBUTES)[number];

interface FleetNode {
  node: K8sObject;
  ref: ResourceRef;
  info: NodeInfo;
  pool?: NodePool;
  /** `linux/amd64`: nodes of different platforms legitimately run different builds. */
  platform: string;
}

interface Group {
  kind: 'pool' | 'fleet';
  name: string;
  platform: string;
  pool?: NodePool;
  nodes: FleetNode[];
}

interface AttributeSpread {
  attribute: Attribute;
  /** Value → nodes reporting it, most common first. */
  values: [string, FleetNode[]][];
}

const MESSAGES = {
  poolDrift: '{who} run {attributes}',
  fleetDrift: 'The {nodes} {platform} nodes run {attributes} across pools {pools}',
};

const ATTRIBUTE_NAMES: Record<Attribute, string> = {
  osImage: 'OS images',
  kernelVersion: 'kernel versions',
  kubeletVersion: 'kubelet versions',
  containerRuntimeVersion: 'container runtime versions',
};

export default defineCheck({
  meta: {
    id: 'OS-02',
    title: 'The node fleet is uniform: one OS image, kernel, kubelet and runtime per node pool',
    category: 'host-os',
    severity: 'medium',
    rationale:
      'Nodes of one pool that run different OS images, kernels, kubelets or container runtimes are configuration drift: ' +
      'a patch that reached some nodes and not others, a node somebody changed by hand, an upgrade that stopped halfway. ' +
      'Drift makes vulnerability status node-dependent and incidents hard to reproduce. Immutable, image-based nodes that ' +
      'are replaced rather than patched keep a pool identical.',
    remediation:
      'Roll every node of a drifting pool to the same image: replace the old nodes (EKS managed node group update, GKE ' +
      'node pool upgrade, AKS `az aks nodepool upgrade --node-image-only`, Karpenter drift replacement, `talosctl ' +
      'upgrade`), then stop in-place changes so the pool stays uniform. Across pools of one platform, converge on one OS. ' +
      'Pools are recognised by their platform labels; a custom pool label can be added with the check option `poolLabels`.',
    references: [
      'https://kubernetes.io/docs/concepts/architecture/nodes/#node-status',
      'https://docs.aws.amazon.com/eks/latest/userguide/update-managed-node-group.html',
      'https://cloud.google.com/kubernetes-engine/docs/how-to/upgrading-a-cluster#upgrading-nodes',
      'https://learn.microsoft.com/azure/aks/node-image-upgrade',
      'https://karpenter.sh/docs/concepts/disruption/#drift',
    ],
    reads: [KINDS.Node],
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        poolLabels: {
          description: "Node label keys that name a node's pool, tried before the platforms' own (EKS, GKE, AKS, Karpenter…).",
          type: 'array',
          items: { type: 'string', minLength: 1 },
        },
      },
    },
    messages: MESSAGES,
  },
  evaluate(ctx, report) {
    const nodes = ctx.items(KINDS.Node);
    if (nodes.length === 0) return { status: 'not-applicable', reason: 'the cluster has no nodes' };
    const poolLabels = poolLabelsOption(ctx.settings.options.poolLabels);
    if (poolLabels === undefined) return { status: 'unknown', reason: 'check option poolLabels must be a list of label keys' };

    const fleet: FleetNode[] = nodes.map((node) => {
      const info = nodeInfoOf(node);
      const pool = nodePoolOf(node, poolLabels);
      return {
        node,
        ref: refOf(node, 'Node'),
        info,
        ...(pool ? { pool } : {}),
        platform: `${info.operatingSystem ?? 'unknown-os'}/${info.architecture ?? 'unknown-arch'}`,
      };
    });

    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const group of groupsOf(fleet)) {
      const spreads = ATTRIBUTES.map((attribute) => spreadOf(group.nodes, attribute)).filter((s) => s.values.length > 0);
      const resource: ResourceRef = { kind: group.kind === 'pool' ? 'NodePool' : 'NodeFleet', name: group.name };
      const details = {
        platform: group.platform,
        pool: group.pool ? `${group.pool.label}=${group.pool.value}` : null,
        nodes: group.nodes.length,
        ...Object.fromEntries(spreads.map((s) => [s.attribute, s.values.map(([value, ns]) => ({ value, nodes: ns.length }))])),
      };
      if (spreads.length === 0) {
        subjects.push({ resource, verdict: 'unknown', details: { ...details, reason: 'no node reports status.nodeInfo' } });
        continue;
      }
      const drifting = spreads.filter((s) => s.values.length > 1);
      const credit = (spreads.length - drifting.length) / spreads.length;
      subjects.push({ resource, verdict: credit === 1 ? 'pass' : credit === 0 ? 'fail' : 'partial', credit, details });
      if (drifting.length > 0) findings.push(driftFinding(group, drifting, report));
    }

    if (subjects.every((s) => s.verdict === 'unknown')) {
      return { status: 'unknown', reason: 'no node reports status.nodeInfo (OS image, kernel, kubelet, runtime)', subjects };
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

function poolLabelsOption(value: unknown): readonly string[] | undefined {
  if (value === undefined) return NODE_POOL_LABELS;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) return undefined;
  return [...(value as string[]), ...NODE_POOL_LABELS];
}

/**
 * One group per pool and platform; nodes without a pool label form one group per platform.
 * A platform with several pools also gets a fleet group, so that drift between pools counts.
 */
function groupsOf(fleet: FleetNode[]): Group[] {
  const byPlatform = new Map<string, FleetNode[]>();
  for (const n of fleet) appendTo(byPlatform, n.platform, n);
  const poolPlatforms = new Map<string, Set<string>>();
  for (const n of fleet) {
    const key = poolName(n.pool);
    poolPlatforms.set(key, (poolPlatforms.get(key) ?? new Set()).add(n.platform));
  }

  const groups: Group[] = [];
  for (const [platform, members] of [...byPlatform].sort(([a], [b]) => a.localeCompare(b, 'en'))) {
    const byPool = new Map<string, FleetNode[]>();
    for (const n of members) appendTo(byPool, poolName(n.pool), n);
    for (const [name, poolNodes] of byPool) {
      const spansPlatforms = (poolPlatforms.get(name)?.size ?? 1) > 1;
      const pool = poolNodes[0]!.pool;
      groups.push({ kind: 'pool', name: spansPlatforms ? `${name} (${platform})` : name, platform, ...(pool ? { pool } : {}), nodes: poolNodes });
    }
    if (byPool.size > 1) groups.push({ kind: 'fleet', name: platform, platform, nodes: members });
  }
  return groups;
}

function poolName(pool: NodePool | undefined): string {
  return pool ? `${pool.label}=${pool.value}` : 'nodes without a pool label';
}

function spreadOf(nodes: FleetNode[], attribute: Attribute): AttributeSpread {
  const byValue = new Map<string, FleetNode[]>();
  for (const n of nodes) {
    const value = n.info[attribute];
    if (value !== undefined) appendTo(byValue, value, n);
  }
  const values = [...byValue].sort(([va, a], [vb, b]) => b.length - a.length || va.localeCompare(vb, 'en'));
  return { attribute, values };
}

function driftFinding(group: Group, drifting: AttributeSpread[], report: FindingFactory<typeof MESSAGES>): Finding {
  // The nodes off the most common value of any drifting attribute are the ones to roll.
  const odd = new Map<string, FleetNode>();
  for (const s of drifting) for (const [, ns] of s.values.slice(1)) for (const n of ns) odd.set(n.ref.name, n);
  const affected = [...odd.values()].map((n) => n.ref).sort(compareRefs);
  const evidence = drifting.map((s) => `${s.attribute}: ${s.values.map(([value, ns]) => `${value} ×${ns.length}${listNames(ns)}`).join(', ')}`).join('; ');
  const attributes = drifting.map((s) => `${s.values.length} ${ATTRIBUTE_NAMES[s.attribute]}`).join(', ');
  const columns = ['-o', `custom-columns=${NODE_SOFTWARE_COLUMNS}`];
  const base = { resource: affected[0]!, affected, field: `status.nodeInfo.${drifting[0]!.attribute}`, evidence };
  if (group.kind === 'fleet') {
    const [os, arch] = group.platform.split('/');
    const pools = [...new Set(group.nodes.map((n) => poolName(n.pool)))].sort().join(', ');
    return report('fleetDrift', {
      ...base,
      data: { platform: group.platform, attributes, pools, nodes: group.nodes.length },
      verify: kubectl('get', 'nodes', '-l', `kubernetes.io/os=${os},kubernetes.io/arch=${arch}`, ...columns),
    });
  }
  const selector = group.pool ? ['-l', `${group.pool.label}=${group.pool.value}`] : [];
  return report('poolDrift', {
    ...base,
    data: {
      who: group.pool ? `${group.nodes.length} nodes in node pool ${group.name}` : `${group.nodes.length} nodes without a pool label (${group.platform})`,
      group: group.name,
      attributes,
      nodes: group.nodes.length,
    },
    verify: kubectl('get', 'nodes', ...selector, ...columns),
  });
}

function listNames(nodes: FleetNode[]): string {
  const names = nodes.map((n) => nameOf(n.node)).sort();
  return names.length > 3 ? ` (${names.slice(0, 3).join(', ')}, …)` : ` (${names.join(', ')})`;
}
