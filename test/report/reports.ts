/**
 * Reports built the way `kposture audit` builds them (engine → score → buildReport), from
 * in-memory inventories, plus a few test checks that exercise what the built-in ones do not
 * yet: grouped findings with affected objects, every severity, not-applicable, info subjects.
 */
import { explainResults } from '../../src/engine/causes.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { DEFAULT_SYSTEM_NAMESPACES } from '../../src/config/config.js';
import { defineCheck, type Check, type Finding, type Subject } from '../../src/engine/check.js';
import { runChecks } from '../../src/engine/run.js';
import { scoreResults } from '../../src/engine/score.js';
import type { Inventory, KindStatus } from '../../src/k8s/inventory.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import { KINDS, type KindId } from '../../src/k8s/kinds.js';
import { asArray, asString, field, nameOf, namespaceOf, refOf, type K8sObject } from '../../src/k8s/object.js';
import { buildReport, type Report } from '../../src/report/model.js';
import { evaluateGate, gateRules } from '../../src/report/gate.js';
import { inventoryOf, namespace } from '../support/inventory.js';
import { REPO_ROOT } from '../cli/run.js';

const GENERATED_AT = '2025-03-01T10:00:00.000Z';

export function reportFor(
  inventory: Inventory,
  checks: readonly Check[],
  options: { generatedAt?: string; failUnder?: number; minCoverage?: number } = {},
): Report {
  const results = runChecks({ inventory, checks, catalogs: loadBuiltinCatalogs(), systemNamespaces: new Set(DEFAULT_SYSTEM_NAMESPACES) });
  const report = buildReport({
    scorecard: scoreResults(explainResults(results)),
    inventory,
    version: '0.1.0',
    generatedAt: options.generatedAt ?? GENERATED_AT,
  });
  const gate = evaluateGate(report, gateRules(options));
  if (gate) report.gate = gate;
  return report;
}

/** A snapshot under test/data, loaded as the CLI loads it (paths relative to the repository). */
export function snapshotReport(dir: string, options: { generatedAt?: string; failUnder?: number; only?: string[] } = {}): Report {
  const checks = options.only ? BUILTIN_CHECKS.filter((c) => options.only!.includes(c.meta.id)) : BUILTIN_CHECKS;
  return reportFor(loadSnapshot([dir], REPO_ROOT), checks, options);
}

/** An inventory as a live collection returns it: objects carry no file, so reports use pseudo-paths. */
export function liveInventory(objects: K8sObject[], statuses: Partial<Record<KindId, KindStatus>> = {}, context = 'prod-eu'): Inventory {
  // Listed and empty, as a live collection reports a cluster without a policy engine.
  const admission: Partial<Record<KindId, KindStatus>> = {
    [KINDS.CustomResourceDefinition]: 'ok',
    [KINDS.ValidatingWebhookConfiguration]: 'ok',
    [KINDS.ValidatingAdmissionPolicy]: 'ok',
    [KINDS.ValidatingAdmissionPolicyBinding]: 'ok',
  };
  const inv = inventoryOf(objects, { ...admission, ...statuses }, 'v1.31.4');
  return { ...inv, source: { type: 'live', context, server: 'https://10.20.0.1:6443' } };
}

function pod(ns: string, name: string, images: string[], initImages: string[] = []): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: name.replace(/-[a-z0-9]+$/, '') } },
    spec: {
      containers: images.map((image, i) => ({ name: `c${i}`, image })),
      ...(initImages.length > 0 ? { initContainers: initImages.map((image, i) => ({ name: `init${i}`, image })) } : {}),
    },
  };
}

function node(name: string, osImage: string): K8sObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { nodeInfo: { osImage, kernelVersion: '6.6.0' } } };
}

const imagesOf = (p: K8sObject, key: string): string[] =>
  asArray(field(p, 'spec', key))
    .map((c) => asString(field(c, 'image')))
    .filter((i): i is string => i !== undefined);

/**
 * Unpinned images, grouped per namespace (one finding per namespace, pods as `affected`); init
 * containers get a second finding on the same namespace with the same message id.
 */
const GROUPED_CHECK = defineCheck({
  meta: {
    id: 'T-GROUP',
    title: 'Pods run images pinned by digest',
    category: 'base-images',
    severity: 'medium',
    rationale: 'A tag can move; a digest cannot.',
    remediation: 'Reference images by digest: image@sha256:….',
    references: ['https://kubernetes.io/docs/concepts/containers/images/#image-names'],
    reads: [KINDS.Pod],
    messages: { unpinned: 'Namespace {namespace} runs {count} pods with images not pinned by digest' },
  },
  evaluate(ctx, report) {
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    const byNamespace = new Map<string, K8sObject[]>();
    for (const p of ctx.items(KINDS.Pod)) {
      const ns = namespaceOf(p) ?? '';
      if (ctx.isSystemNamespace(ns)) continue;
      byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), p]);
    }
    for (const [ns, pods] of byNamespace) {
      const resource = { apiVersion: 'v1', kind: 'Namespace', name: ns };
      let ok = true;
      for (const key of ['containers', 'initContainers']) {
        const bad = pods.filter((p) => imagesOf(p, key).some((i) => !i.includes('@sha256:')));
        if (bad.length === 0) continue;
        ok = false;
        findings.push(
          report('unpinned', {
            resource,
            data: { namespace: ns, count: bad.length },
            field: `spec.${key}[*].image`,
            evidence: [...new Set(bad.flatMap((p) => imagesOf(p, key)))].sort().join(', '),
            verify: `kubectl -n ${ns} get pods -o jsonpath='{..image}'`,
            affected: bad.map((p) => refOf(p, 'Pod')),
          }),
        );
      }
      subjects.push({ resource, verdict: ok ? 'pass' : 'fail', details: { pods: pods.length } });
    }
    if (subjects.length === 0) return { status: 'not-applicable', reason: 'no pods in tenant namespaces' };
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

/** Reads Nodes; critical, so an unreadable node list costs a lot of coverage. */
const NODE_CHECK = defineCheck({
  meta: {
    id: 'T-NODE',
    title: 'Nodes run a container-specialized OS',
    category: 'host-os',
    severity: 'critical',
    rationale: 'A general-purpose OS carries packages and a mutable root file system that containers do not need.',
    remediation: 'Use Talos, Flatcar, Bottlerocket or another container-specialized OS.',
    references: ['https://kubernetes.io/docs/concepts/architecture/nodes/'],
    reads: [KINDS.Node],
    messages: { general: 'Node {node} runs {osImage}' },
  },
  evaluate(ctx, report) {
    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const n of ctx.items(KINDS.Node)) {
      const osImage = asString(field(n, 'status', 'nodeInfo', 'osImage')) ?? '';
      const special = /talos|flatcar|bottlerocket/i.test(osImage);
      subjects.push({ resource: refOf(n, 'Node'), verdict: special ? 'pass' : 'fail', details: { osImage } });
      if (!special) {
        findings.push(
          report('general', {
            resource: refOf(n, 'Node'),
            data: { node: nameOf(n), osImage },
            field: 'status.nodeInfo.osImage',
            evidence: osImage,
            verify: `kubectl get node ${nameOf(n)} -o jsonpath='{.status.nodeInfo.osImage}'`,
          }),
        );
      }
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

/** Low severity; not applicable when no namespace carries a `team` label. */
const LOW_CHECK = defineCheck({
  meta: {
    id: 'T-LOW',
    title: 'Team namespaces name an owner',
    category: 'network',
    severity: 'low',
    rationale: 'Someone must answer for what a namespace exposes.',
    remediation: 'Add an owner annotation.',
    references: [],
    reads: [KINDS.Namespace],
    messages: { owner: 'Namespace {namespace} has a team label but no owner annotation' },
  },
  evaluate(ctx, report) {
    const teams = ctx.items(KINDS.Namespace).filter((n) => field(n, 'metadata', 'labels', 'team') !== undefined);
    if (teams.length === 0) return { status: 'not-applicable', reason: 'no namespace has a team label' };
    const findings = teams
      .filter((n) => field(n, 'metadata', 'annotations', 'owner') === undefined)
      .map((n) =>
        report('owner', {
          resource: refOf(n, 'Namespace'),
          data: { namespace: nameOf(n) },
          field: 'metadata.annotations.owner',
          evidence: 'annotation absent',
          verify: `kubectl get namespace ${nameOf(n)} -o jsonpath='{.metadata.annotations}'`,
        }),
      );
    const subjects = teams.map((n): Subject => ({
      resource: refOf(n, 'Namespace'),
      verdict: findings.some((f) => f.resource.name === nameOf(n)) ? 'fail' : 'pass',
    }));
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

/** Info severity: shown, never scored; every subject is `info`. */
const INFO_CHECK = defineCheck({
  meta: {
    id: 'T-INFO',
    title: 'Inventory of namespaces',
    category: 'die',
    severity: 'info',
    rationale: 'Knowing what exists is the first step.',
    remediation: 'Nothing to fix.',
    references: ['https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/'],
    reads: [KINDS.Namespace],
    messages: { none: 'unused' },
  },
  evaluate(ctx) {
    const subjects = ctx.items(KINDS.Namespace).map((n): Subject => ({
      resource: refOf(n, 'Namespace'),
      verdict: 'info',
      details: { labels: Object.keys(field(n, 'metadata', 'labels') ?? {}).length },
    }));
    return { status: 'pass', subjects, findings: [] };
  },
});

export const TEST_CHECKS: readonly Check[] = [GROUPED_CHECK, INFO_CHECK, LOW_CHECK, NODE_CHECK];

/** A mid-sized live cluster: tenants with and without PSA, unpinned images, a few nodes. */
export function liveCluster(): K8sObject[] {
  return [
    namespace('kube-system'),
    namespace('shop', { 'pod-security.kubernetes.io/enforce': 'restricted', team: 'shop' }),
    namespace('blog', { team: 'content' }),
    namespace('legacy', { 'pod-security.kubernetes.io/enforce': 'privileged' }),
    namespace('payments', { 'pod-security.kubernetes.io/enforce': 'baseline' }),
    pod('kube-system', 'coredns-5d78c9869d-abcde', ['registry.k8s.io/coredns/coredns:v1.11.1']),
    pod('shop', 'web-7f9c6b8d5-x2x9q', ['nginx:1.27'], ['busybox:1.36']),
    pod('shop', 'web-7f9c6b8d5-p8k2m', ['nginx:1.27'], ['busybox:1.36']),
    pod('shop', 'cart-6c8f7d9b4-q7w2e', [`ghcr.io/acme/cart@sha256:${'a'.repeat(64)}`]),
    pod('blog', 'ghost-0', ['ghost:5']),
    pod('payments', 'api-5b7c9d-h3j4k', [`gcr.io/distroless/static@sha256:${'b'.repeat(64)}`]),
    node('node-a', 'Talos (v1.8.3)'),
    node('node-b', 'Ubuntu 22.04.4 LTS'),
    node('node-c', 'Ubuntu 22.04.4 LTS'),
  ];
}

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * The official SARIF 2.1.0 schema (schemas/external), compiled as the JSON Schema dialect it
 * declares (2020-12), with its `uri`, `uri-reference`, `date-time` and `uuid` formats checked.
 */
export function sarifValidator(): ReturnType<Ajv2020['compile']> {
  const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'external', 'sarif-2.1.0.json'), 'utf8')) as object;
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  return ajv.compile(schema);
}
