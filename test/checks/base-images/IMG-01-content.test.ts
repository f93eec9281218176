import { describe, expect, it } from '@jest/globals';
import check from '../../../checks/base-images/IMG-01.js';
import type { ImageContent } from '../../../src/k8s/image-content.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { deploymentPods } from './pods.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

function withContents(images: string[], contents: Record<string, ImageContent>): ReturnType<typeof evaluate> {
  const inventory = inventoryOf(images.flatMap((image, i) => deploymentPods('shop', `app-${i}`, { containers: [{ name: 'app', image }] })));
  return evaluate(check, { ...inventory, imageContents: new Map(Object.entries(contents)) });
}

describe('IMG-01 with image inspection', () => {
  it('prefers the class read from the image, and its evidence, over the name rules', () => {
    // The name says distroless; the content says otherwise: the content wins.
    const outcome = withContents(['gcr.io/distroless/static-debian12:nonroot', 'registry.corp/payments/api:3f9c2e1'], {
      'gcr.io/distroless/static-debian12:nonroot': {
        status: 'proven',
        class: 'distroless',
        digest: DIGEST,
        evidence: ['os-release PRETTY_NAME="Distroless"', 'no shell'],
      },
      'registry.corp/payments/api:3f9c2e1': {
        status: 'proven',
        class: 'full',
        digest: DIGEST,
        evidence: ['os-release PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', 'package manager apt-get'],
      },
    });
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings).toHaveLength(1);
    expect(outcome.findings[0]!.evidence).toBe(
      `registry.corp/payments/api:3f9c2e1 → full by its content: os-release PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"; package manager apt-get; digest ${DIGEST}`,
    );
    const api = outcome.subjects.find((s) => s.resource.name === 'registry.corp/payments/api:3f9c2e1')!;
    expect(api.details).toMatchObject({ class: 'full', rule: null, decidedBy: 'content', digest: DIGEST });
  });

  it('falls back to the name rules when inspection proved nothing, and says why; never a class from a failed read', () => {
    const outcome = withContents(['docker.io/library/alpine:3.20', 'registry.corp/payments/api:3f9c2e1'], {
      'docker.io/library/alpine:3.20': { status: 'unproven', reason: 'registry.corp: HTTP 401' },
      'registry.corp/payments/api:3f9c2e1': { status: 'unproven', reason: 'blob sha256:…: truncated' },
    });
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    const alpine = outcome.subjects.find((s) => s.resource.name === 'docker.io/library/alpine:3.20')!;
    expect(alpine).toMatchObject({
      verdict: 'partial',
      details: { class: 'minimal', rule: 'alpine', decidedBy: 'name', inspection: 'registry.corp: HTTP 401' },
    });
    const api = outcome.subjects.find((s) => s.resource.name === 'registry.corp/payments/api:3f9c2e1')!;
    expect(api.verdict).toBe('unknown');
    expect(api.details?.reason).toContain('could not be inspected (blob sha256:…: truncated)');
    expect(outcome.findings[0]!.evidence).toContain('(not inspected: registry.corp: HTTP 401)');
  });
});
