import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { asArray, asRecord, asString, nameOf, namespaceOf, refOf, type K8sObject, type ResourceRef } from '../../src/k8s/object.js';
import { detectWebhookEngines, type DetectedEngine } from '../../src/k8s/policy-engines.js';
import { describeSelector, namespaceLabels, selectorMatches, webhookEntries } from '../../src/k8s/webhooks.js';
import { kubectl } from '../../src/util/shell.js';

const GATEKEEPER = 'gatekeeper';

/** Why one namespace escapes one engine: a webhook selector, or Gatekeeper's Config. */
interface Exemption {
  engine: DetectedEngine;
  /** The object to fix: the webhook configuration or the Gatekeeper Config. */
  source: K8sObject;
  sourceKind: string;
  field: string;
  evidence: string;
}

export default defineCheck({
  meta: {
    id: 'PE-05',
    title: 'Policy engine exclusions do not exempt non-system namespaces',
    category: 'policy-engine',
    severity: 'high',
    rationale:
      "The API server sends a request to a webhook only when the webhook's namespaceSelector selects the " +
      'namespace. Engines exclude kube-system and their own namespace so that they can always restart; every other ' +
      'namespace the selector misses (a label such as admission.gatekeeper.sh/ignore, a NotIn list that grew, an opt-in ' +
      'matchLabels) is a namespace where no policy applies, and anyone allowed to deploy there bypasses them all.',
    remediation:
      "Keep webhook exclusions to kube-system, kube-public, kube-node-lease and the engine's own namespace: Kyverno " +
      'Helm `config.webhooks` namespaceSelector, Gatekeeper `--exempt-namespace` and Config `spec.match[].excludedNamespaces`, ' +
      'the namespaceSelector of Kubewarden ClusterAdmissionPolicies and jsPolicies. Remove admission.gatekeeper.sh/ignore ' +
      'from tenant namespaces. Where a workload needs an exception, use a narrow policy exception (Kyverno ' +
      'PolicyException) rather than exempting its namespace from every policy. If a namespace listed here is part of the ' +
      'platform, add it to the system namespaces in the kposture config.',
    references: [
      'https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#matching-requests-namespaceselector',
      'https://open-policy-agent.github.io/gatekeeper/website/docs/exempt-namespaces',
      'https://github.com/kyverno/kyverno/tree/main/charts/kyverno',
      'https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    ],
    reads: [KINDS.CustomResourceDefinition, KINDS.ValidatingWebhookConfiguration, KINDS.Namespace],
    optionalReads: [KINDS.GatekeeperConfig],
    scope: 'tenant',
    messages: {
      selectorExempts: '{engine} webhook configuration {configuration} does not apply in {count} non-system namespace(s): {namespaces}',
      configExempts: 'Gatekeeper Config {config} exempts {count} non-system namespace(s) from the admission webhook: {namespaces}',
    },
  },
  evaluate(ctx, report) {
    const engines = detectWebhookEngines(
      ctx.catalogs.policyEngines,
      ctx.items(KINDS.CustomResourceDefinition),
      ctx.items(KINDS.ValidatingWebhookConfiguration),
    ).filter((d) => d.webhooks.some((w) => w.enforcing && w.scope === 'cluster'));
    if (engines.length === 0) {
      return { status: 'not-applicable', reason: 'no policy engine webhook that enforces policies cluster-wide is registered' };
    }
    // Engines exclude their own namespaces so that they can restart: allowed, like system namespaces.
    const engineNamespaces = new Set(engines.flatMap((d) => d.namespaces));
    const tenants = ctx.items(KINDS.Namespace).filter((ns) => !ctx.isSystemNamespace(nameOf(ns)) && !engineNamespaces.has(nameOf(ns)));
    if (tenants.length === 0) return { status: 'not-applicable', reason: 'no non-system namespaces' };

    const gatekeeperConfig = ctx.collection(KINDS.GatekeeperConfig);
    const gatekeeper = engines.find((d) => d.engine.id === GATEKEEPER);
    const configUnreadable = gatekeeper !== undefined && gatekeeperConfig.status !== 'ok' && gatekeeperConfig.status !== 'not-served';

    const subjects: Subject[] = [];
    const bySource = new Map<string, { exemption: Exemption; fields: Set<string>; evidence: Set<string>; namespaces: ResourceRef[] }>();
    const malformed: string[] = [];
    for (const ns of tenants) {
      const labels = namespaceLabels(ns);
      const exemptions: Exemption[] = [];
      let undecided = false;
      for (const d of engines) {
        for (const webhook of d.webhooks.filter((w) => w.enforcing && w.scope === 'cluster')) {
          for (const entry of webhookEntries(webhook.configuration).filter((e) => e.ruleCount > 0)) {
            const selected = selectorMatches(entry.namespaceSelector, labels);
            if (selected === undefined) {
              undecided = true;
              malformed.push(`${webhook.name} ${entry.name}`);
            } else if (!selected) {
              exemptions.push({
                engine: d,
                source: webhook.configuration,
                sourceKind: 'ValidatingWebhookConfiguration',
                field: `webhooks[${entry.index}].namespaceSelector`,
                evidence: `${entry.name}: ${describeSelector(entry.namespaceSelector)}`,
              });
            }
          }
        }
      }
      if (gatekeeper && gatekeeperConfig.status === 'ok') exemptions.push(...configExemptions(gatekeeper, gatekeeperConfig.items, nameOf(ns)));

      const resource = refOf(ns, 'Namespace');
      const exemptedBy = [...new Set(exemptions.map((e) => `${e.sourceKind}/${nameOf(e.source)}`))];
      if (exemptions.length > 0) subjects.push({ resource, verdict: 'fail', details: { exemptedBy } });
      else if (undecided) subjects.push({ resource, verdict: 'unknown', details: { exemptedBy } });
      else subjects.push({ resource, verdict: 'pass', details: { exemptedBy } });
      for (const e of exemptions) {
        const key = `${e.sourceKind}/${namespaceOf(e.source) ?? ''}/${nameOf(e.source)}`;
        const group = bySource.get(key) ?? { exemption: e, fields: new Set<string>(), evidence: new Set<string>(), namespaces: [] };
        group.fields.add(e.field);
        group.evidence.add(e.evidence);
        if (!group.namespaces.some((r) => r.name === resource.name)) group.namespaces.push(resource);
        bySource.set(key, group);
      }
    }

    const findings: Finding[] = [];
    for (const { exemption: e, fields, evidence, namespaces } of bySource.values()) {
      const names = namespaces.map((r) => r.name).sort();
      const common = {
        resource: refOf(e.source, e.sourceKind),
        field: [...fields].join(', '),
        evidence: [...evidence].join('; '),
        affected: namespaces,
      };
      if (e.sourceKind === 'ValidatingWebhookConfiguration') {
        findings.push(
          report('selectorExempts', {
            ...common,
            data: { engine: e.engine.engine.name, configuration: nameOf(e.source), count: names.length, namespaces: names.join(', ') },
            verify: `${kubectl('get', 'validatingwebhookconfiguration', nameOf(e.source), '-o', 'jsonpath={.webhooks[*].namespaceSelector}')}; ${kubectl('get', 'namespaces', '--show-labels')}`,
          }),
        );
      } else {
        findings.push(
          report('configExempts', {
            ...common,
            data: { config: `${namespaceOf(e.source) ?? ''}/${nameOf(e.source)}`, count: names.length, namespaces: names.join(', ') },
            verify: kubectl('-n', namespaceOf(e.source) ?? '', 'get', 'configs.config.gatekeeper.sh', nameOf(e.source), '-o', 'yaml'),
          }),
        );
      }
    }

    if (findings.length > 0) return { status: 'fail', subjects, findings };
    if (configUnreadable) {
      return {
        status: 'unknown',
        reason: `Gatekeeper is installed but ${KINDS.GatekeeperConfig} is ${gatekeeperConfig.status}, so its excludedNamespaces could not be checked`,
        subjects,
      };
    }
    if (subjects.some((s) => s.verdict === 'unknown')) {
      return { status: 'unknown', reason: `namespaceSelector that the API server would reject: ${[...new Set(malformed)].join(', ')}`, subjects };
    }
    return { status: 'pass', subjects, findings };
  },
});

/**
 * Gatekeeper's Config (`config` in its namespace) exempts namespaces per process; `webhook` and
 * `*` cover admission. Names may start or end with `*` (prefix/suffix glob).
 */
function configExemptions(gatekeeper: DetectedEngine, configs: readonly K8sObject[], namespace: string): Exemption[] {
  const out: Exemption[] = [];
  for (const config of configs) {
    if (nameOf(config) !== 'config' || !gatekeeper.namespaces.includes(namespaceOf(config) ?? '')) continue;
    for (const [i, raw] of asArray(asRecord(config.spec).match).entries()) {
      const match = asRecord(raw);
      const processes = asArray(match.processes).map(asString);
      if (!processes.some((p) => p === '*' || p === 'webhook')) continue;
      const patterns = asArray(match.excludedNamespaces)
        .map(asString)
        .filter((p): p is string => p !== undefined);
      const hit = patterns.find((p) => globMatches(p, namespace));
      if (hit === undefined) continue;
      out.push({
        engine: gatekeeper,
        source: config,
        sourceKind: 'Config',
        field: `spec.match[${i}].excludedNamespaces`,
        evidence: `excludedNamespaces [${patterns.join(', ')}] for processes [${processes.join(', ')}]`,
      });
    }
  }
  return out;
}

function globMatches(pattern: string, name: string): boolean {
  const prefix = pattern.endsWith('*');
  const suffix = pattern.startsWith('*');
  const core = pattern.slice(suffix ? 1 : 0, prefix ? -1 : undefined);
  if (prefix && suffix) return name.includes(core);
  if (prefix) return name.startsWith(core);
  if (suffix) return name.endsWith(core);
  return name === pattern;
}
