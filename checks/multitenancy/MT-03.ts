import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { asArray, field, isRecord, nameOf, namespaceOf, type K8sObject } from '../../src/k8s/object.js';
import { kubectl } from '../../src/util/shell.js';

type Missing = 'missingBoth' | 'missingQuota' | 'missingLimitRange';

export default defineCheck({
  meta: {
    id: 'MT-03',
    title: 'Namespaces with workloads have a ResourceQuota and a LimitRange',
    category: 'multitenancy',
    severity: 'medium',
    rationale:
      'Tenants share nodes. Without a ResourceQuota one namespace can take every CPU, byte of memory, pod slot or ' +
      'load balancer of the cluster, by mistake or on purpose, and starve the others; without a LimitRange its pods ' +
      'run with no requests or limits, so the scheduler cannot place them fairly and a single leaking container can ' +
      'push a node into eviction. A quota caps the namespace, a LimitRange gives each container defaults and bounds; ' +
      'a namespace needs both.',
    remediation:
      'In every namespace that runs pods, create a ResourceQuota (at least requests.cpu, requests.memory, ' +
      'limits.memory, pods) and a LimitRange with default requests and limits for containers, e.g. ' +
      '`kubectl -n <ns> create quota team-quota --hard=requests.cpu=4,requests.memory=8Gi,limits.memory=16Gi,pods=50`. ' +
      'A tenancy framework (Capsule) or a policy engine generating objects for new namespaces (Kyverno generate rules) ' +
      'keeps them there.',
    references: [
      'https://kubernetes.io/docs/concepts/policy/resource-quotas/',
      'https://kubernetes.io/docs/concepts/policy/limit-range/',
      'https://kubernetes.io/docs/concepts/security/multi-tenancy/#quotas',
    ],
    reads: [KINDS.Pod, KINDS.ResourceQuota, KINDS.LimitRange],
    scope: 'tenant',
    messages: {
      missingBoth: 'Namespace {namespace} runs {pods} pod(s) with neither a ResourceQuota nor a LimitRange',
      missingQuota: 'Namespace {namespace} runs {pods} pod(s) with a LimitRange but no ResourceQuota',
      missingLimitRange: 'Namespace {namespace} runs {pods} pod(s) with a ResourceQuota but no LimitRange',
    },
  },
  evaluate(ctx, report) {
    const podCounts = new Map<string, number>();
    const pods = ctx.items(KINDS.Pod);
    for (let i = 0; i < pods.length; i++) {
      const ns = namespaceOf(pods[i]!);
      if (!ns || ctx.isSystemNamespace(ns)) continue;
      podCounts.set(ns, (podCounts.get(ns) ?? 0) + 1);
    }
    const quotas = byNamespace(ctx.items(KINDS.ResourceQuota));
    const limitRanges = byNamespace(ctx.items(KINDS.LimitRange));

    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const [ns, pods] of podCounts) {
      const quota = describe(quotas.get(ns) ?? [], setsHardLimits, 'sets no spec.hard');
      const limitRange = describe(limitRanges.get(ns) ?? [], setsLimits, 'has no spec.limits');
      const resource = { apiVersion: 'v1', kind: 'Namespace', name: ns };
      const details = { pods, resourceQuotas: quota.effective, limitRanges: limitRange.effective };
      const missing = missingKind(quota.effective.length > 0, limitRange.effective.length > 0);
      if (!missing) {
        subjects.push({ resource, verdict: 'pass', credit: 1, details });
        continue;
      }
      subjects.push(missing === 'missingBoth' ? { resource, verdict: 'fail', credit: 0, details } : { resource, verdict: 'partial', credit: 0.5, details });
      findings.push(
        report(missing, {
          resource,
          data: { namespace: ns, pods },
          field:
            missing === 'missingBoth'
              ? 'ResourceQuota.spec.hard, LimitRange.spec.limits'
              : missing === 'missingQuota'
                ? 'ResourceQuota.spec.hard'
                : 'LimitRange.spec.limits',
          evidence: `ResourceQuota: ${quota.evidence}; LimitRange: ${limitRange.evidence}`,
          verify: kubectl('-n', ns, 'get', 'resourcequota,limitrange', '-o', 'wide'),
        }),
      );
    }
    if (subjects.length === 0) return { status: 'not-applicable', reason: 'no pods outside system namespaces' };
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

function missingKind(hasQuota: boolean, hasLimitRange: boolean): Missing | undefined {
  if (hasQuota && hasLimitRange) return undefined;
  if (!hasQuota && !hasLimitRange) return 'missingBoth';
  return hasQuota ? 'missingLimitRange' : 'missingQuota';
}

function byNamespace(objects: readonly K8sObject[]): Map<string, K8sObject[]> {
  const out = new Map<string, K8sObject[]>();
  for (const obj of objects) {
    const ns = namespaceOf(obj);
    if (!ns) continue;
    const list = out.get(ns);
    if (list) list.push(obj);
    else out.set(ns, [obj]);
  }
  return out;
}

/** A ResourceQuota constrains something only when spec.hard names at least one resource. */
function setsHardLimits(quota: K8sObject): boolean {
  const hard = field(quota, 'spec', 'hard');
  return isRecord(hard) && Object.keys(hard).length > 0;
}

/** A LimitRange applies defaults or bounds only through spec.limits entries. */
function setsLimits(limitRange: K8sObject): boolean {
  return asArray(field(limitRange, 'spec', 'limits')).length > 0;
}

/** The objects that take effect, and a short evidence string that also names the ones that do not. */
function describe(objects: readonly K8sObject[], effective: (o: K8sObject) => boolean, emptyNote: string): { effective: string[]; evidence: string } {
  if (objects.length === 0) return { effective: [], evidence: 'none' };
  const names = objects.map((o) => ({ name: nameOf(o), ok: effective(o) })).sort((a, b) => a.name.localeCompare(b.name, 'en'));
  return {
    effective: names.filter((n) => n.ok).map((n) => n.name),
    evidence: names.map((n) => (n.ok ? n.name : `${n.name} (${emptyNote})`)).join(', '),
  };
}
