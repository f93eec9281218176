import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { POD_OWNER_KINDS } from '../../src/k8s/owners.js';
import { isFromAllowedLocation } from '../../src/k8s/images.js';
import { namespaceOf } from '../../src/k8s/object.js';
import { describeWorkload, imageFindingTarget, imageGroups, type ImageGroup, imageUsage } from '../../src/k8s/image-uses.js';
import { type ImageUse } from '../../src/k8s/workloads.js';
import { appendTo } from '../../src/util/collections.js';
import { sharedOwnerIndex } from '../shared.js';
import { listSome } from '../../src/util/strings.js';

const OPTION = 'checks.options.IMG-04.registries';

export default defineCheck({
  meta: {
    id: 'IMG-04',
    title: 'Images come only from the registries the organisation allows',
    category: 'base-images',
    severity: 'medium',
    rationale:
      'An image pulled from an arbitrary registry bypasses the scanning, signing and base-image rules the organisation ' +
      'applies to its own registry, and a typo-squatted name on a public registry runs whatever its author wants. ' +
      'Restricting workloads to a short list of registries (an internal registry or a pull-through mirror) puts every ' +
      'image through the same gate.',
    remediation:
      'Push or mirror the images to an allowed registry and change the workloads to reference them there; then enforce ' +
      'the list at admission with a policy engine (Kyverno `restrict-image-registries`, Gatekeeper `K8sAllowedRepos`). ' +
      `Configure the list for kposture in the config file under ${OPTION}: registries (\`registry.corp.io\`, ` +
      '`docker.io`) or registry path prefixes (`ghcr.io/acme`), with `*` inside one path segment ' +
      '(`*.dkr.ecr.*.amazonaws.com`).',
    references: [
      'https://kyverno.io/policies/best-practices/restrict-image-registries/restrict-image-registries/',
      'https://open-policy-agent.github.io/gatekeeper-library/website/validation/allowedrepos/',
      'https://kubernetes.io/docs/concepts/containers/images/#image-names',
    ],
    reads: [KINDS.Pod],
    optionalReads: [...POD_OWNER_KINDS],
    scope: 'tenant',
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        registries: {
          description:
            'The allowed registries (`registry.corp.io`, `docker.io`) or registry path prefixes (`ghcr.io/acme`), `*` ' +
            'matching inside one path segment (`*.dkr.ecr.*.amazonaws.com`). Without it the check is not applicable.',
          type: 'array',
          minItems: 1,
          items: { type: 'string', minLength: 1, pattern: '\\S' },
        },
      },
    },
    messages: {
      disallowed: 'Registry {registry} is not allowed, yet {images} image(s) come from it, used by {workloads} workload(s): {usedBy}',
    },
  },
  evaluate(ctx, report) {
    const raw = ctx.settings.options.registries;
    if (raw === undefined) return { status: 'not-applicable', reason: `no allowed registries are configured (set ${OPTION} in the config file)` };
    if (!Array.isArray(raw) || raw.length === 0 || !raw.every((r) => typeof r === 'string' && r.trim() !== '')) {
      return { status: 'unknown', reason: `${OPTION} must be a non-empty list of registries or registry path prefixes` };
    }
    const allowed = raw as string[];

    const pods = ctx.items(KINDS.Pod).filter((p) => !ctx.isSystemNamespace(namespaceOf(p)));
    if (pods.length === 0) return { status: 'not-applicable', reason: 'no pods run outside the system namespaces' };
    const index = sharedOwnerIndex(ctx);

    const subjects: Subject[] = [];
    const byRegistry = new Map<string, ImageGroup[]>();
    for (const group of imageGroups(pods, index)) {
      const { resource, base } = imageUsage(group);
      if (!group.parsed.ok) {
        subjects.push({ resource, verdict: 'unknown', details: { registry: null, ...base, reason: group.parsed.reason } });
        continue;
      }
      const { registry } = group.parsed.ref;
      const allowedBy = isFromAllowedLocation(group.parsed.ref, allowed);
      subjects.push({ resource, verdict: allowedBy ? 'pass' : 'fail', details: { registry, allowedBy: allowedBy ?? null, ...base } });
      if (!allowedBy) appendTo(byRegistry, registry, group);
    }

    const findings: Finding[] = [...byRegistry].map(([registry, groups]) => {
      const uses: ImageUse[] = groups.flatMap((g) => g.uses);
      const target = imageFindingTarget(uses);
      const usedBy = target.affected.map(describeWorkload);
      return report('disallowed', {
        ...target,
        data: {
          registry,
          images: groups.length,
          workloads: usedBy.length,
          usedBy: listSome(usedBy, 3),
        },
        evidence: `${listed(groups.map((g) => g.key))} not under ${allowed.join(', ')}`,
      });
    });

    if (!subjects.some((s) => s.verdict !== 'unknown')) {
      return { status: 'unknown', reason: 'no image reference in the pods could be parsed', subjects };
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

function listed(items: string[]): string {
  return items.length > 5 ? `${items.slice(0, 5).join(', ')} and ${items.length - 5} more` : items.join(', ');
}
