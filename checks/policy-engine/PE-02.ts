import type { PolicyEngine, PolicyModeSpec } from '../../src/catalog/catalogs.js';
import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS, kindSpec, type KindId } from '../../src/k8s/kinds.js';
import { isKnown, type KindCollection } from '../../src/k8s/inventory.js';
import { asString, field, nameOf, namespaceOf, refOf, type K8sObject } from '../../src/k8s/object.js';
import {
  admissionDeployments,
  detectWebhookEngines,
  policyEnforcement,
  policyKinds,
  readyReplicas,
  type ModeUnit,
  type NamespaceScope,
} from '../../src/k8s/policy-engines.js';
import { namespaceLabels } from '../../src/k8s/webhooks.js';
import { kubectl } from '../../src/util/shell.js';
import { listSome } from '../../src/util/strings.js';

/** The policy kinds this check can read; catalogue entries for other kinds are not evaluated. */
const POLICY_KINDS: KindId[] = [
  KINDS.KyvernoClusterPolicy,
  KINDS.KyvernoPolicy,
  KINDS.KyvernoValidatingPolicy,
  KINDS.KyvernoNamespacedValidatingPolicy,
  KINDS.KyvernoImageValidatingPolicy,
  KINDS.KyvernoNamespacedImageValidatingPolicy,
  KINDS.GatekeeperConstraint,
  KINDS.KubewardenClusterAdmissionPolicy,
  KINDS.KubewardenAdmissionPolicy,
  KINDS.KubewardenClusterAdmissionPolicyGroup,
  KINDS.KubewardenAdmissionPolicyGroup,
  KINDS.JsPolicy,
  KINDS.ValidatingAdmissionPolicyBinding,
];

export default defineCheck({
  meta: {
    id: 'PE-02',
    title: 'Policies enforce rather than only audit',
    category: 'policy-engine',
    severity: 'medium',
    rationale:
      'A policy in audit mode reports violations and admits them anyway. Audit is the right way to introduce a rule, ' +
      'but a cluster whose policies all audit has the cost of a policy engine and none of the prevention: the ' +
      'privileged pod still starts. The share of policies that deny violating requests measures how much of the ' +
      'policy-as-code actually protects the cluster.',
    remediation:
      'Once a policy reports no unexpected violations, switch it to enforce: Kyverno `failureAction: Enforce` on each ' +
      'validate rule (or `spec.validationFailureAction: Enforce` before 1.13), Gatekeeper `spec.enforcementAction: deny` ' +
      '(the default), Kubewarden `spec.mode: protect`, jsPolicy `spec.violationPolicy: Deny`, ' +
      'ValidatingAdmissionPolicyBinding `validationActions: [Deny]`. Keep exceptions narrow (Kyverno PolicyException, ' +
      'Gatekeeper excludedNamespaces) instead of auditing a whole policy.',
    references: [
      'https://kyverno.io/docs/policy-types/cluster-policy/validate/',
      'https://open-policy-agent.github.io/gatekeeper/website/docs/violations',
      'https://docs.kubewarden.io/',
      'https://github.com/loft-sh/jspolicy/blob/main/pkg/apis/policy/v1beta1/jspolicy_types.go',
      'https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/',
    ],
    reads: [KINDS.CustomResourceDefinition],
    // Webhooks and Deployments tell whether an engine serves (as PE-01 decides it): policies of an
    // engine that does not are not enforcing, whatever their mode says.
    // Namespaces: where Kyverno's per-namespace overrides make a policy enforce or only audit.
    optionalReads: [...POLICY_KINDS, KINDS.ValidatingAdmissionPolicy, KINDS.ValidatingWebhookConfiguration, KINDS.Deployment, KINDS.Namespace],
    messages: {
      audits: '{engine} {kind} {name} only audits ({field}: {mode}); violating requests are admitted',
      partlyAudits: '{engine} {kind} {name} enforces {enforcing} of {total} rules; the others only audit',
      auditsIn: '{engine} {kind} {name} only audits in {count} of {judged} namespaces ({namespaces}); violating requests there are admitted',
      noPolicies: '{engine} is installed but has no policy that can enforce ({kinds} listed: none)',
    },
  },
  evaluate(ctx, report) {
    const crdNames = new Set(ctx.items(KINDS.CustomResourceDefinition).map(nameOf));
    const installed = (engine: PolicyEngine): boolean => engine.crds.some((c) => crdNames.has(c));
    const vapPolicies = ctx.collection(KINDS.ValidatingAdmissionPolicy);
    const existingVaps = vapPolicies.status === 'ok' ? new Set(vapPolicies.items.map(nameOf)) : undefined;

    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    const unreadable: string[] = [];
    const engines = new Map<string, { engine: PolicyEngine; kinds: KindId[]; policies: number }>();
    const idle = idleEngines(
      ctx.catalogs.policyEngines,
      ctx.items(KINDS.CustomResourceDefinition),
      ctx.collection(KINDS.ValidatingWebhookConfiguration),
      ctx.collection(KINDS.Deployment),
    );
    const idleSeen = new Map<string, { engine: PolicyEngine; why: string; policies: number }>();
    const namespaces = namespaceScope(ctx.collection(KINDS.Namespace), (ns) => ctx.isSystemNamespace(ns));

    for (const { engine, spec } of policyKinds(ctx.catalogs.policyEngines)) {
      if (!POLICY_KINDS.includes(spec.kind)) continue;
      const collection = ctx.collection(spec.kind);
      if (!engine.builtin && !installed(engine)) continue;
      // A kind whose CRD is absent is not served (Kyverno before 1.14 has no ValidatingPolicy).
      const kind = kindSpec(spec.kind);
      if (kind && !kind.builtin && !kind.dynamic && !crdNames.has(`${kind.resource}.${kind.group}`)) continue;
      const notServing = idle.get(engine.id);
      if (notServing !== undefined) {
        // Left behind by an uninstall (or never started): shown, not scored (PE-01 reports the engine).
        const seen = idleSeen.get(engine.id) ?? { engine, why: notServing, policies: 0 };
        idleSeen.set(engine.id, seen);
        for (const obj of collection.status === 'ok' ? collection.items : []) {
          if (!policyEnforcement(obj, spec).applies) continue;
          seen.policies += 1;
          subjects.push({
            resource: refOf(obj, asString(obj.kind) ?? spec.kind),
            verdict: 'info',
            details: { engine: engine.id, note: `no engine is serving: ${notServing}; the policy enforces nothing` },
          });
        }
        continue;
      }
      if (collection.status === 'not-served') continue;
      if (collection.status !== 'ok') {
        const why = `${spec.kind} is ${collection.status}${collection.reason ? ` (${collection.reason})` : ''}`;
        unreadable.push(engine.builtin ? why : `${engine.name} is installed but ${why}`);
        continue;
      }
      let items = collection.items;
      if (engine.builtin) {
        // A binding acts only through an existing policy; PE-01 reports the others.
        items = existingVaps ? items.filter((b) => existingVaps.has(asString(field(b, 'spec', 'policyName')) ?? '')) : items;
        if (items.length === 0) continue;
      }
      const summary = engines.get(engine.id) ?? { engine, kinds: [], policies: 0 };
      summary.kinds.push(spec.kind);
      engines.set(engine.id, summary);
      for (const obj of items) {
        const result = judge(obj, spec, engine, namespaces && withoutEngine(namespaces, engine), report);
        if (!result) continue;
        subjects.push(result.subject);
        summary.policies += 1;
        if (result.finding) findings.push(result.finding);
      }
    }

    if (unreadable.length > 0) return { status: 'unknown', reason: unreadable.join('; '), subjects };
    if (engines.size === 0 && idleSeen.size > 0) {
      const left = [...idleSeen.values()].map((e) => `${e.engine.name} (${e.policies} ${e.policies === 1 ? 'policy' : 'policies'} left: ${e.why})`);
      return { status: 'not-applicable', reason: `no engine is serving: ${left.join('; ')}; PE-01 reports it` };
    }
    if (engines.size === 0) {
      return { status: 'not-applicable', reason: 'no policy engine is installed (no engine CRDs, no bound ValidatingAdmissionPolicy)' };
    }
    if (subjects.filter((s) => s.verdict !== 'info').every((s) => s.verdict === 'unknown')) {
      // Nothing scored: an installed engine without a single policy that can enforce is the
      // finding. (Next to an engine whose policies are scored, it is not: the cluster enforces.)
      for (const { engine, kinds, policies } of engines.values()) {
        if (policies > 0 || engine.builtin) continue;
        const crd = engine.crds.find((c) => crdNames.has(c))!;
        findings.push(
          report('noPolicies', {
            resource: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd },
            data: { engine: engine.name, kinds: kinds.join(', ') },
            field: 'items',
            evidence: `no ${kinds.join(' or ')} that validates requests`,
            verify: kubectl('get', kinds.map((k) => kubectlResource(k)).join(','), '-A'),
          }),
        );
      }
      if (findings.length === 0) return { status: 'unknown', reason: 'no policy states an enforcement mode kposture recognises', subjects };
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

function judge(
  obj: K8sObject,
  spec: PolicyModeSpec,
  engine: PolicyEngine,
  namespaces: NamespaceScope | undefined,
  report: (id: 'audits' | 'partlyAudits' | 'auditsIn', f: Omit<Finding, 'messageId'>) => Finding,
): { subject: Subject; finding?: Finding } | undefined {
  const result = policyEnforcement(obj, spec, namespaces);
  if (!result.applies) return undefined;
  const kind = asString(obj.kind) ?? spec.kind;
  const resource = refOf(obj, kind);
  const enforcing = result.units.filter((u) => u.class === 'enforce');
  const auditing = result.units.filter((u) => u.class === 'audit');
  const mixed = result.units.filter((u) => u.class === 'mixed');
  const known = enforcing.length + auditing.length + mixed.length;
  const details = {
    engine: engine.id,
    enforcing: enforcing.length,
    auditing: auditing.length,
    ...(mixed.length > 0 ? { mixed: mixed.length } : {}),
    modes: result.units.map((u) => `${u.field}: ${u.mode}`),
  };
  if (known === 0) return { subject: { resource, verdict: 'unknown', details } };
  if (auditing.length === 0 && mixed.length === 0) return { subject: { resource, verdict: 'pass', details } };
  const ns = namespaceOf(obj);
  const verify = kubectl('get', kubectlResource(spec.kind, kind), nameOf(obj), ...(ns ? ['-n', ns] : []), '-o', 'yaml');
  const notEnforcing = [...auditing, ...mixed];
  const evidence = describeUnits(notEnforcing);
  const fields = [...new Set(notEnforcing.map((u) => u.field))].join(', ');
  // A rule that enforces in some namespaces earns the share of them where it does.
  const credit = (enforcing.length + mixed.reduce((sum, u) => sum + share(u), 0)) / known;
  if (enforcing.length === 0 && mixed.length === 0) {
    return {
      subject: { resource, verdict: 'fail', details },
      finding: report('audits', {
        resource,
        data: { engine: engine.name, kind, name: nameOf(obj), field: auditing[0]!.field, mode: auditing[0]!.mode },
        field: fields,
        evidence,
        verify,
      }),
    };
  }
  if (auditing.length === 0) {
    const judged = new Set(mixed.flatMap((u) => [...u.namespaces!.enforcing, ...u.namespaces!.auditing]));
    const audited = [...new Set(mixed.flatMap((u) => u.namespaces!.auditing))].sort();
    return {
      subject: { resource, verdict: 'partial', credit, details },
      finding: report('auditsIn', {
        resource,
        data: { engine: engine.name, kind, name: nameOf(obj), count: audited.length, judged: judged.size, namespaces: listSome(audited, 5) },
        field: fields,
        evidence,
        verify,
      }),
    };
  }
  return {
    subject: { resource, verdict: 'partial', credit, details },
    finding: report('partlyAudits', {
      resource,
      data: { engine: engine.name, kind, name: nameOf(obj), enforcing: enforcing.length, total: known },
      field: fields,
      evidence,
      verify,
    }),
  };
}

/** The share of its namespaces where a `mixed` unit enforces. */
function share(unit: ModeUnit): number {
  const { enforcing, auditing } = unit.namespaces!;
  return enforcing.length / (enforcing.length + auditing.length);
}

/**
 * The namespaces per-namespace overrides are judged in (NamespaceScope), or undefined when they
 * could not be read. System namespaces are left out of a cluster-wide policy's unless there is no
 * other, and so is the engine's own (withoutEngine): Kyverno's webhook skips kube-system and its
 * own namespace by default.
 */
function namespaceScope(collection: KindCollection, isSystem: (name: string) => boolean): NamespaceScope | undefined {
  if (collection.status !== 'ok') return undefined;
  const all = collection.items.map((ns) => ({ name: nameOf(ns), labels: namespaceLabels(ns) })).sort((a, b) => a.name.localeCompare(b.name, 'en'));
  const tenant = all.filter((ns) => !isSystem(ns.name));
  return { tenant: tenant.length > 0 ? tenant : all, all };
}

function withoutEngine(scope: NamespaceScope, engine: PolicyEngine): NamespaceScope {
  const tenant = scope.tenant.filter((ns) => !engine.namespaces.includes(ns.name));
  return tenant.length === scope.tenant.length || tenant.length === 0 ? scope : { ...scope, tenant };
}

/**
 * The values of the finding's field: the mode alone when one field decides (the field is
 * printed beside the evidence already), else `field: mode` per distinct decision (rules that
 * inherit the policy-level field share one).
 */
function describeUnits(units: readonly ModeUnit[]): string {
  if (new Set(units.map((u) => u.field)).size === 1) return [...new Set(units.map((u) => u.mode))].join(', ');
  return [...new Set(units.map((u) => `${u.field}: ${u.mode}`))].join('; ');
}

/** `clusterpolicies.kyverno.io`; a Gatekeeper constraint's resource is its lower-cased kind. */
function kubectlResource(kindId: KindId, objectKind?: string): string {
  const spec = kindSpec(kindId);
  if (!spec) return kindId;
  if (spec.dynamic) return objectKind ? `${objectKind.toLowerCase()}.${spec.group}` : `constraints`;
  return spec.group ? `${spec.resource}.${spec.group}` : spec.resource;
}

/**
 * Engines of the catalogue that are installed (CRDs) but do not serve admission requests, by id,
 * with why: no validating webhook is registered (what `helm uninstall` leaves: CRDs and their
 * objects). The same rule as PE-01's; a registered webhook whose controller is not ready stays
 * PE-01's and PE-03's finding. When webhooks could not be listed, no engine is taken to be idle.
 */
function idleEngines(catalog: readonly PolicyEngine[], crds: readonly K8sObject[], webhooks: KindCollection, deployments: KindCollection): Map<string, string> {
  const idle = new Map<string, string>();
  if (webhooks.status !== 'ok') return idle;
  for (const d of detectWebhookEngines(catalog, crds, webhooks.items)) {
    if (d.webhooks.length > 0) continue;
    const found = isKnown(deployments) ? admissionDeployments(d, deployments.items) : [];
    const ready = found.some((dep) => readyReplicas(dep) >= 1);
    idle.set(
      d.engine.id,
      ready
        ? 'its controller runs but registers no validating webhook'
        : `no validating webhook and no ready admission controller${found.length === 0 ? ' found' : ''}`,
    );
  }
  return idle;
}
