import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { POD_OWNER_KINDS } from '../../src/k8s/owners.js';
import { sharedImageGroups } from '../shared.js';
import { pinStateOf } from '../../src/k8s/images.js';
import { imageFindingTarget, onlyInSystemNamespaces, imageUsage } from '../../src/k8s/image-uses.js';
import { listSome } from '../../src/util/strings.js';

export default defineCheck({
  meta: {
    id: 'IMG-02',
    title: 'Images are pinned by digest or an explicit tag other than latest',
    category: 'base-images',
    severity: 'medium',
    rationale:
      'An image without a tag is pulled as `latest`, and `latest` moves: two replicas of one Deployment can run ' +
      'different code, a rollback returns to nothing in particular, and what was scanned is not what runs. Immutable ' +
      'infrastructure needs immutable references: a digest (`@sha256:…`) names exactly one image, a version tag at ' +
      'least one release.',
    remediation:
      'Reference images by digest (`registry/app:1.4.2@sha256:…`, which `crane digest` or `docker buildx imagetools ' +
      'inspect` prints), or at least by a version tag, in every Deployment, StatefulSet, DaemonSet, Job and CronJob. ' +
      "A policy engine can enforce it: Kyverno's `disallow-latest-tag` and `require-image-digest` policies, " +
      "Gatekeeper's `K8sDisallowedTags`. Renovate or Dependabot keep pinned references up to date.",
    references: [
      'https://kubernetes.io/docs/concepts/containers/images/#image-names',
      'https://kubernetes.io/docs/concepts/configuration/overview/#container-images',
      'https://kyverno.io/policies/best-practices/disallow-latest-tag/disallow-latest-tag/',
      'https://open-policy-agent.github.io/gatekeeper-library/website/validation/disallowedtags/',
    ],
    reads: [KINDS.Pod],
    optionalReads: [...POD_OWNER_KINDS],
    scope: 'tenant',
    messages: {
      untagged: 'Image {image} has no tag or digest, so the runtime pulls :latest; used by {workloads} workload(s): {usedBy}',
      latest: 'Image {image} uses the mutable :latest tag; used by {workloads} workload(s): {usedBy}',
    },
  },
  evaluate(ctx, report) {
    const pods = ctx.items(KINDS.Pod);
    if (pods.length === 0) return { status: 'not-applicable', reason: 'no pods run in the cluster' };

    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    for (const group of sharedImageGroups(ctx)) {
      const { resource, usedBy, base } = imageUsage(group);
      if (!group.parsed.ok) {
        subjects.push({ resource, verdict: 'unknown', details: { pinned: null, ...base, reason: group.parsed.reason } });
        continue;
      }
      const state = pinStateOf(group.parsed.ref);
      if (onlyInSystemNamespaces(group, (ns) => ctx.isSystemNamespace(ns))) {
        subjects.push({ resource, verdict: 'info', details: { pinned: state, ...base, systemNamespacesOnly: true } });
        continue;
      }
      subjects.push({ resource, verdict: state === 'digest' || state === 'tag' ? 'pass' : 'fail', details: { pinned: state, ...base } });
      if (state === 'digest' || state === 'tag') continue;
      findings.push(
        report(state, {
          ...imageFindingTarget(group.uses),
          data: {
            image: group.spellings.join(', '),
            workloads: usedBy.length,
            usedBy: listSome(usedBy, 3),
          },
          evidence:
            state === 'latest'
              ? `${group.spellings.join(', ')}: tag latest`
              : `${group.spellings.join(', ')}: no tag, no digest (pulls ${group.parsed.ref.repository}:latest)`,
        }),
      );
    }

    if (subjects.every((s) => s.verdict === 'info')) {
      return { status: 'not-applicable', reason: 'only system namespaces run images (they are listed in the JSON report, not scored)' };
    }
    if (!subjects.some((s) => s.verdict !== 'unknown' && s.verdict !== 'info')) {
      return { status: 'unknown', reason: 'no image reference in the pods could be parsed', subjects };
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});
