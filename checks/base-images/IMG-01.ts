import { defineCheck, type Finding, type Subject } from '../../src/engine/check.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { POD_OWNER_KINDS } from '../../src/k8s/owners.js';
import { sharedImageGroups } from '../shared.js';
import { imageClassifier, type ImageClassification, type ImageRef } from '../../src/k8s/images.js';
import { describeContent, type ImageContent } from '../../src/k8s/image-content.js';
import type { ImageClass } from '../../src/catalog/catalogs.js';
import { imageFindingTarget, onlyInSystemNamespaces, imageUsage } from '../../src/k8s/image-uses.js';
import { listSome } from '../../src/util/strings.js';

/** Credit a `minimal` image earns unless the check option `minimalCredit` says otherwise. */
const DEFAULT_MINIMAL_CREDIT = 0.5;

export default defineCheck({
  meta: {
    id: 'IMG-01',
    title: 'Containers run minimal base images (distroless over minimal over full)',
    category: 'base-images',
    severity: 'high',
    rationale:
      'Every package in an image is attack surface and scanner noise: a shell and a package manager let an intruder ' +
      'download tools and live off the land, and a full distribution brings hundreds of CVE reports nobody can triage. ' +
      'Distroless and scratch images (a static binary, CA certificates, tzdata; distroless/base adds glibc and OpenSSL) ' +
      'have no shell at all; Alpine, BusyBox and wolfi-base are smaller but still carry a shell or package tooling, and ' +
      'Debian slim only drops documentation and locales: it keeps bash and apt, so it counts as full. ' +
      'Debug shell-less images with ephemeral containers (`kubectl debug`) instead of shipping a shell.',
    remediation:
      'Rebuild images on a distroless base: `FROM scratch` or `gcr.io/distroless/static-debian12` for static Go/Rust ' +
      'binaries, `gcr.io/distroless/base-debian12`/`cc` for dynamically linked ones, the distroless or Chainguard ' +
      'language images (`gcr.io/distroless/java21-debian12`, `cgr.dev/chainguard/python`) for runtimes; build in a ' +
      'multi-stage Dockerfile and copy only the artefact. Where a shell is truly needed, prefer Alpine or wolfi-base ' +
      'over a Debian or Ubuntu image, slim or not. Your own base images can be classified in `catalogs.imageRules` in the config file, or ' +
      'read from their registry by content with `kposture audit --inspect-images` (docs/images.md): a class proven ' +
      'from the image wins over the name rules.',
    references: [
      'https://github.com/GoogleContainerTools/distroless',
      'https://edu.chainguard.dev/chainguard/chainguard-images/overview/',
      'https://docs.docker.com/build/building/multi-stage/',
      'https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/#ephemeral-container',
    ],
    reads: [KINDS.Pod],
    optionalReads: [...POD_OWNER_KINDS],
    scope: 'tenant',
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        minimalCredit: {
          description:
            'Credit (0 to 1) an image earns when it is minimal (Alpine, BusyBox, wolfi-base) rather than distroless; a full image earns 0, a distroless one 1.',
          type: 'number',
          minimum: 0,
          maximum: 1,
          default: DEFAULT_MINIMAL_CREDIT,
        },
      },
    },
    messages: {
      full: 'Image {image} is built on a full OS userland ({rule}); used by {workloads} workload(s): {usedBy}',
      minimal: 'Image {image} is minimal but still ships a shell or package manager ({rule}); used by {workloads} workload(s): {usedBy}',
    },
  },
  evaluate(ctx, report) {
    const minimalCredit = creditOption(ctx.settings.options.minimalCredit);
    if (minimalCredit === undefined) return { status: 'unknown', reason: 'check option minimalCredit must be a number from 0 to 1' };

    const pods = ctx.items(KINDS.Pod);
    if (pods.length === 0) return { status: 'not-applicable', reason: 'no pods run in the cluster' };

    const subjects: Subject[] = [];
    const findings: Finding[] = [];
    const classify = imageClassifier(ctx.catalogs.imageRules);
    for (const group of sharedImageGroups(ctx)) {
      const { resource, usedBy, base } = imageUsage(group);
      if (!group.parsed.ok) {
        subjects.push({ resource, verdict: 'unknown', details: { class: 'unknown', rule: null, ...base, reason: group.parsed.reason } });
        continue;
      }
      const decided = decide(group.key, group.parsed.ref, classify, (key) => ctx.imageContent(key));
      const { cls } = decided;
      const details = { ...decided.head, ...base, ...decided.details };
      if (onlyInSystemNamespaces(group, (ns) => ctx.isSystemNamespace(ns))) {
        subjects.push({ resource, verdict: 'info', details: { ...details, systemNamespacesOnly: true } });
        continue;
      }
      if (cls === 'unknown') {
        subjects.push({ resource, verdict: 'unknown', details: { ...details, reason: decided.reason } });
        continue;
      }
      if (cls === 'distroless' || (cls === 'minimal' && minimalCredit === 1)) {
        subjects.push({ resource, verdict: 'pass', details: details });
        continue;
      }
      if (cls === 'minimal') subjects.push({ resource, verdict: minimalCredit === 0 ? 'fail' : 'partial', credit: minimalCredit, details: details });
      else subjects.push({ resource, verdict: 'fail', details: details });
      findings.push(
        report(cls, {
          ...imageFindingTarget(group.uses),
          data: {
            image: group.key,
            class: cls,
            rule: decided.by,
            workloads: usedBy.length,
            usedBy: listSome(usedBy, 3),
          },
          evidence: `${written(group.spellings, group.key)} → ${cls} ${decided.evidence}`,
        }),
      );
    }

    if (subjects.every((s) => s.verdict === 'info')) {
      return { status: 'not-applicable', reason: 'only system namespaces run images (they are listed in the JSON report, not scored)' };
    }
    if (!subjects.some((s) => s.verdict !== 'unknown' && s.verdict !== 'info')) {
      return {
        status: 'unknown',
        reason: `none of the ${subjects.length} image(s) could be classified; add rules for them to catalogs.imageRules in the config file`,
        subjects,
      };
    }
    return { status: findings.length > 0 ? 'fail' : 'pass', subjects, findings };
  },
});

type Decision =
  | { cls: 'unknown'; reason: string; head: { class: ImageClass; rule: string | null }; details: Record<string, unknown> }
  | { cls: Exclude<ImageClass, 'unknown'>; by: string; evidence: string; head: { class: ImageClass; rule: string | null }; details: Record<string, unknown> };

/**
 * A class read from the image itself wins over the name rules; an inspection that proved nothing
 * leaves the name rules to decide, and says why in the details.
 */
function decide(key: string, ref: ImageRef, classify: (ref: ImageRef) => ImageClassification, contentOf: (key: string) => ImageContent | undefined): Decision {
  const content = contentOf(key);
  if (content?.status === 'proven') {
    return {
      cls: content.class,
      by: 'read from the image',
      evidence: `by its content: ${describeContent(content)}`,
      head: { class: content.class, rule: null },
      details: { decidedBy: 'content', digest: content.digest, evidence: content.evidence },
    };
  }
  const inspection = content ? { inspection: content.reason } : {};
  const { class: cls, rule } = classify(ref);
  if (cls === 'unknown' || !rule) {
    const reason = content ? `the image could not be inspected (${content.reason}) and no catalogue rule matches it` : 'no catalogue rule matches this image';
    return { cls: 'unknown', reason, head: { class: 'unknown', rule: null }, details: inspection };
  }
  return {
    cls,
    by: rule.id,
    evidence: `by catalogue rule "${rule.id}"${rule.note ? `: ${rule.note}` : ''}${content ? ` (not inspected: ${content.reason})` : ''}`,
    head: { class: cls, rule: rule.id },
    details: { ...(rule.note ? { note: rule.note } : {}), ...(content ? { decidedBy: 'name', ...inspection } : {}) },
  };
}

function creditOption(value: unknown): number | undefined {
  if (value === undefined) return DEFAULT_MINIMAL_CREDIT;
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : undefined;
}

/** The spellings pods use, with the canonical reference when it reads differently. */
function written(spellings: readonly string[], canonical: string): string {
  return spellings.length === 1 && spellings[0] === canonical ? canonical : `${spellings.join(', ')} (${canonical})`;
}
