import { defineCheck, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { labelsOf, nameOf, refOf } from '../../src/k8s/object.js';
import { kubectl } from '../../src/util/shell.js';

const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
const STRONG_LEVELS = new Set(['baseline', 'restricted']);

export default defineCheck({
  meta: {
    id: 'MT-04',
    title: 'Namespaces enforce Pod Security Admission at baseline or restricted',
    category: 'multitenancy',
    severity: 'high',
    rationale:
      'Namespaces are the unit of tenancy in a shared cluster. Without Pod Security Admission enforcement a tenant can ' +
      'run privileged pods, mount the host and escape to the node, which breaks isolation for every other tenant.',
    remediation:
      'Label each tenant namespace with pod-security.kubernetes.io/enforce=restricted (or baseline where restricted is ' +
      'not yet possible): `kubectl label namespace <ns> pod-security.kubernetes.io/enforce=restricted`. A policy engine ' +
      '(Kyverno, Gatekeeper) can add the label to every new namespace.',
    references: [
      'https://kubernetes.io/docs/concepts/security/pod-security-admission/',
      'https://kubernetes.io/docs/concepts/security/pod-security-standards/',
    ],
    reads: [KINDS.Namespace],
    scope: 'tenant',
    messages: {
      missing: 'Namespace {namespace} has no Pod Security Admission enforce label',
      weak: 'Namespace {namespace} enforces Pod Security level "{level}", weaker than baseline',
    },
  },
  evaluate(ctx, report) {
    const subjects: Subject[] = [];
    const findings = [];
    for (const ns of ctx.items(KINDS.Namespace)) {
      const name = nameOf(ns);
      if (ctx.isSystemNamespace(name)) continue;
      const resource = refOf(ns, 'Namespace');
      const level = labelsOf(ns)[ENFORCE_LABEL];
      const strong = level !== undefined && STRONG_LEVELS.has(level);
      subjects.push({ resource, verdict: strong ? 'pass' : 'fail', details: { enforce: level ?? null } });
      if (strong) continue;
      findings.push(
        report(level === undefined ? 'missing' : 'weak', {
          resource,
          data: { namespace: name, level: level ?? '' },
          field: `metadata.labels["${ENFORCE_LABEL}"]`,
          evidence: level === undefined ? 'label absent' : level,
          verify: kubectl('get', 'namespace', name, '--show-labels'),
        }),
      );
    }
    if (subjects.length === 0) return { status: 'not-applicable', reason: 'no non-system namespaces' };
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});
