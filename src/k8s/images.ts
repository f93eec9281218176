import type { ImageClass, ImageRule } from '../catalog/catalogs.js';

/**
 * Container image references as Kubernetes hands them to the container runtime, normalised
 * the way containerd and Docker do (github.com/distribution/reference): `nginx` is
 * `docker.io/library/nginx:latest`, `index.docker.io` is `docker.io`, a first path component
 * with a dot, a colon (port) or equal to `localhost` is a registry, and a digest wins over a tag.
 */
export interface ImageRef {
  /** The string as written in the pod spec. */
  original: string;
  /** Registry host, lower-cased, with its port if any: `docker.io`, `registry.local:5000`. */
  registry: string;
  /** Path inside the registry: `library/nginx`, `ingress-nginx/controller`. */
  path: string;
  /** `registry/path`: `docker.io/library/nginx`. */
  repository: string;
  tag?: string;
  /** `sha256:…` */
  digest?: string;
  /** `repository[:tag][@digest]`, the same for every spelling of one image. */
  canonical: string;
}

export type ParsedImage = { ok: true; ref: ImageRef } | { ok: false; reason: string };

const DOCKER_HUB = 'docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const HOST_LABEL = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;
const IPV6_HOST = /^\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]$/;
const MAX_NAME_LENGTH = 255;

export function parseImageRef(original: string): ParsedImage {
  if (original === '') return { ok: false, reason: 'empty image reference' };
  if (original.trim() !== original || /\s/.test(original)) return { ok: false, reason: 'image reference contains whitespace' };

  let rest = original;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { ok: false, reason: `invalid digest "${digest}"` };
  }

  // A tag follows the last colon after the last slash; earlier colons belong to a registry port.
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) return { ok: false, reason: `invalid tag "${tag}"` };
  }

  if (rest.length > MAX_NAME_LENGTH) return { ok: false, reason: `repository name longer than ${MAX_NAME_LENGTH} characters` };
  const split = splitDomain(rest);
  if (!split.ok) return split;
  const { registry, path } = split;
  if (path === '') return { ok: false, reason: 'missing repository name' };
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      return { ok: false, reason: `invalid repository path component "${component}" (lower-case letters, digits and . _ - only)` };
    }
  }

  const repository = `${registry}/${path}`;
  const canonical = `${repository}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  const ref: ImageRef = { original, registry, path, repository, canonical };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return { ok: true, ref };
}

function splitDomain(name: string): { ok: true; registry: string; path: string } | { ok: false; reason: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isDomain = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  if (!isDomain) {
    return { ok: true, registry: DOCKER_HUB, path: slash < 0 ? `library/${name}` : name };
  }
  const problem = domainProblem(first);
  if (problem) return { ok: false, reason: problem };
  let registry = first.toLowerCase();
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  let path = name.slice(slash + 1);
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  return { ok: true, registry, path };
}

function domainProblem(domain: string): string | undefined {
  let host = domain;
  const portMatch = /^(.*):([0-9]+)$/.exec(domain);
  if (portMatch) host = portMatch[1]!;
  else if (domain.includes(':') && !IPV6_HOST.test(domain)) return `invalid registry "${domain}"`;
  if (IPV6_HOST.test(host)) return undefined;
  if (host === '' || !host.split('.').every((label) => HOST_LABEL.test(label))) return `invalid registry "${domain}"`;
  return undefined;
}

/**
 * How firmly a reference names one image: by digest, by an explicit tag, by the mutable
 * `latest` tag, or by nothing at all (the runtime then pulls `latest`).
 */
export type PinState = 'digest' | 'tag' | 'latest' | 'untagged';

export function pinStateOf(ref: ImageRef): PinState {
  if (ref.digest !== undefined) return 'digest';
  if (ref.tag === undefined) return 'untagged';
  return ref.tag === 'latest' ? 'latest' : 'tag';
}

/** The tag the runtime resolves: the written tag, `latest` when neither tag nor digest is given. */
export function effectiveTag(ref: ImageRef): string | undefined {
  if (ref.tag !== undefined) return ref.tag;
  return ref.digest === undefined ? 'latest' : undefined;
}

/**
 * Catalogue globs: `*` matches any run of characters, slashes included (`registry.corp/base/*`
 * covers nested repositories); `{a,b}` matches either alternative (no nesting); everything else
 * is literal; case-insensitive. With `withinSegment`, `*` stops at `/`, which allow-lists need so
 * that a wildcard host cannot swallow a path (`*.corp.io` must not match `evil.io/x.corp.io`).
 */
export function globToRegExp(glob: string, options: { withinSegment?: boolean } = {}): RegExp {
  const star = options.withinSegment ? '[^/]*' : '.*';
  const literal = (text: string): string =>
    text
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'))
      .join(star);
  const body = glob.replace(/\{([^{}]*)\}|([^{]+|\{)/g, (_whole, alternatives: string | undefined, text: string | undefined) =>
    alternatives !== undefined ? `(?:${alternatives.split(',').map(literal).join('|')})` : literal(text ?? ''),
  );
  return new RegExp(`^${body}$`, 'i');
}

export function matchesGlob(glob: string, value: string, options: { withinSegment?: boolean } = {}): boolean {
  return globToRegExp(glob, options).test(value);
}

export interface ImageClassification {
  class: ImageClass;
  /** The catalogue rule that decided, absent for `unknown`. */
  rule?: ImageRule;
}

interface CompiledRule {
  rule: ImageRule;
  repository: RegExp;
  tag?: RegExp;
}

function compile(rules: readonly ImageRule[]): CompiledRule[] {
  return rules.map((rule) => ({
    rule,
    repository: globToRegExp(rule.repository),
    ...(rule.tag !== undefined ? { tag: globToRegExp(rule.tag) } : {}),
  }));
}

/**
 * First matching rule wins. A rule with a tag glob matches only references whose effective
 * tag matches it; a reference by digest alone has no tag, so only repository rules apply.
 * No rule: `unknown`, never a guess.
 */
export function classifyImage(ref: ImageRef, rules: readonly ImageRule[]): ImageClassification {
  return classify(ref, compile(rules));
}

/** classifyImage with the catalogue's globs compiled once: make one per evaluation, not per image. */
export function imageClassifier(rules: readonly ImageRule[]): (ref: ImageRef) => ImageClassification {
  const compiled = compile(rules);
  return (ref) => classify(ref, compiled);
}

function classify(ref: ImageRef, compiled: readonly CompiledRule[]): ImageClassification {
  const tag = effectiveTag(ref);
  for (const c of compiled) {
    if (!c.repository.test(ref.repository)) continue;
    if (c.tag && (tag === undefined || !c.tag.test(tag))) continue;
    return { class: c.rule.class, rule: c.rule };
  }
  return { class: 'unknown' };
}

/**
 * Whether an image comes from one of the allowed locations. An entry is a registry
 * (`registry.corp:5000`, `docker.io`) or a registry path prefix (`ghcr.io/acme`), with `*`
 * globs within one path segment (`*.dkr.ecr.*.amazonaws.com`); it matches the repository itself
 * or anything below it, never a sibling with a longer name (`ghcr.io/acme` does not allow
 * `ghcr.io/acme-evil`). Returns the entry that allowed it.
 */
export function isFromAllowedLocation(ref: ImageRef, allowed: readonly string[]): string | undefined {
  return allowed.find((entry) => locationPattern(entry).test(ref.repository));
}

/** `^<entry>(/anything)?$`, the entry's `*` confined to one path segment. */
function locationPattern(entry: string): RegExp {
  const exact = globToRegExp(normaliseLocation(entry), { withinSegment: true }).source;
  return new RegExp(`${exact.slice(0, -1)}(?:/.+)?$`, 'i');
}

function normaliseLocation(entry: string): string {
  const e = entry.trim().replace(/\/+$/, '');
  const slash = e.indexOf('/');
  const host = (slash < 0 ? e : e.slice(0, slash)).toLowerCase();
  const rest = slash < 0 ? '' : e.slice(slash);
  return (host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host) + rest;
}
