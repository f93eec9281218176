import type { ImageClass } from '../catalog/catalogs.js';

/**
 * What reading an image from its registry (or an OCI layout, a `docker save` archive) proved
 * about it. It reaches the checks as data: the inspector runs before them, at the edge, and the
 * base-image checks prefer a proven class to the one a name rule gives.
 */
export type ImageContent = ProvenContent | UnprovenContent;

export interface ProvenContent {
  status: 'proven';
  class: Exclude<ImageClass, 'unknown'>;
  /** The manifest digest the verdict is about (`sha256:…`). */
  digest: string;
  /** What was seen, each item one fact: `os-release PRETTY_NAME="Alpine Linux v3.20"`, `no /bin/sh`. */
  evidence: string[];
  /** `os/arch` of the manifest read, when the image has a config. */
  platform?: string;
}

export interface UnprovenContent {
  status: 'unproven';
  /** Why no class was proven: the registry refused, the budget ran out, `--offline` without a cached result. */
  reason: string;
}

/** `class by content: e1; e2; digest sha256:…` as one evidence line. */
export function describeContent(content: ProvenContent): string {
  return [...content.evidence, `digest ${content.digest}`].join('; ');
}
