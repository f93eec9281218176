import {
  classifyImage,
  effectiveTag,
  globToRegExp,
  isFromAllowedLocation,
  matchesGlob,
  parseImageRef,
  pinStateOf,
  type ImageRef,
} from '../../src/k8s/images.js';
import type { ImageRule } from '../../src/catalog/catalogs.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function ref(image: string): ImageRef {
  const parsed = parseImageRef(image);
  if (!parsed.ok) throw new Error(`${image}: ${parsed.reason}`);
  return parsed.ref;
}

describe('parseImageRef normalises like containerd and Docker', () => {
  it.each([
    // [written, registry, path, tag, digest, canonical]
    ['nginx', 'docker.io', 'library/nginx', undefined, undefined, 'docker.io/library/nginx'],
    ['nginx:1.25', 'docker.io', 'library/nginx', '1.25', undefined, 'docker.io/library/nginx:1.25'],
    ['library/nginx:1.25', 'docker.io', 'library/nginx', '1.25', undefined, 'docker.io/library/nginx:1.25'],
    ['docker.io/nginx:1.25', 'docker.io', 'library/nginx', '1.25', undefined, 'docker.io/library/nginx:1.25'],
    ['index.docker.io/library/nginx:1.25', 'docker.io', 'library/nginx', '1.25', undefined, 'docker.io/library/nginx:1.25'],
    ['bitnami/redis:7.2', 'docker.io', 'bitnami/redis', '7.2', undefined, 'docker.io/bitnami/redis:7.2'],
    ['registry.k8s.io/coredns/coredns:v1.11.1', 'registry.k8s.io', 'coredns/coredns', 'v1.11.1', undefined, 'registry.k8s.io/coredns/coredns:v1.11.1'],
    ['localhost/app', 'localhost', 'app', undefined, undefined, 'localhost/app'],
    ['localhost:5000/team/app:2.0', 'localhost:5000', 'team/app', '2.0', undefined, 'localhost:5000/team/app:2.0'],
    ['registry.local:5000/app', 'registry.local:5000', 'app', undefined, undefined, 'registry.local:5000/app'],
    ['Registry.Corp.IO/team/app:1', 'registry.corp.io', 'team/app', '1', undefined, 'registry.corp.io/team/app:1'],
    ['[::1]:5000/app:v1', '[::1]:5000', 'app', 'v1', undefined, '[::1]:5000/app:v1'],
    [`nginx@${DIGEST}`, 'docker.io', 'library/nginx', undefined, DIGEST, `docker.io/library/nginx@${DIGEST}`],
    [`nginx:1.25@${DIGEST}`, 'docker.io', 'library/nginx', '1.25', DIGEST, `docker.io/library/nginx:1.25@${DIGEST}`],
    [
      `602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.3-eksbuild.1`,
      '602401143452.dkr.ecr.us-west-2.amazonaws.com',
      'amazon-k8s-cni',
      'v1.18.3-eksbuild.1',
      undefined,
      '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.3-eksbuild.1',
    ],
    ['my_org/my__app-x.y:Tag_1.0-rc', 'docker.io', 'my_org/my__app-x.y', 'Tag_1.0-rc', undefined, 'docker.io/my_org/my__app-x.y:Tag_1.0-rc'],
  ])('%s', (written, registry, path, tag, digest, canonical) => {
    const r = ref(written);
    expect(r.registry).toBe(registry);
    expect(r.path).toBe(path);
    expect(r.repository).toBe(`${registry}/${path}`);
    expect(r.tag).toBe(tag);
    expect(r.digest).toBe(digest);
    expect(r.canonical).toBe(canonical);
    expect(r.original).toBe(written);
  });

  it('gives every spelling of one image the same canonical form', () => {
    const spellings = ['nginx:1.25', 'docker.io/nginx:1.25', 'docker.io/library/nginx:1.25', 'index.docker.io/library/nginx:1.25'];
    expect(new Set(spellings.map((s) => ref(s).canonical)).size).toBe(1);
  });

  it.each([
    ['', /empty/],
    [' nginx', /whitespace/],
    ['nginx :1', /whitespace/],
    ['Nginx', /lower-case/],
    ['docker.io/Library/nginx', /lower-case/],
    ['nginx:', /invalid tag/],
    ['nginx:-bad', /invalid tag/],
    [`nginx:${'x'.repeat(129)}`, /invalid tag/],
    ['nginx@sha256:abc', /invalid digest/],
    ['nginx@', /invalid digest/],
    ['registry.corp.io/', /missing repository/],
    ['-bad.io/app', /invalid registry/],
    ['registry..io/app', /invalid registry/],
    ['app//x', /invalid repository path component ""/],
    ['a/-b', /invalid repository path component/],
  ])('rejects %j', (written, reason) => {
    const parsed = parseImageRef(written);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('pin state and effective tag', () => {
  it.each([
    ['nginx', 'untagged', 'latest'],
    ['nginx:latest', 'latest', 'latest'],
    ['nginx:1.25', 'tag', '1.25'],
    [`nginx@${DIGEST}`, 'digest', undefined],
    [`nginx:latest@${DIGEST}`, 'digest', 'latest'],
    ['localhost:5000/app', 'untagged', 'latest'],
  ])('%s → %s', (image, state, tag) => {
    expect(pinStateOf(ref(image))).toBe(state);
    expect(effectiveTag(ref(image))).toBe(tag);
  });
});

describe('globs', () => {
  it('match any run of characters, slashes included, case-insensitively', () => {
    expect(matchesGlob('gcr.io/distroless/*', 'gcr.io/distroless/static-debian12')).toBe(true);
    expect(matchesGlob('registry.corp/base/*', 'registry.corp/base/team/app')).toBe(true);
    expect(matchesGlob('*alpine*', '3.20-ALPINE')).toBe(true);
    expect(matchesGlob('gcr.io/distroless/*', 'gcr.io/distrolessx')).toBe(false);
  });

  it('treat regex characters literally and support {a,b}', () => {
    expect(matchesGlob('a.b', 'axb')).toBe(false);
    expect(matchesGlob('a+b(c)', 'a+b(c)')).toBe(true);
    expect(matchesGlob('{registry.k8s.io,k8s.gcr.io}/pause', 'k8s.gcr.io/pause')).toBe(true);
    expect(matchesGlob('{registry.k8s.io,k8s.gcr.io}/pause', 'registry.k8s.io/pause')).toBe(true);
    expect(matchesGlob('{registry.k8s.io,k8s.gcr.io}/pause', 'quay.io/pause')).toBe(false);
    expect(globToRegExp('x{').test('x{')).toBe(true);
  });

  it('keep * inside one path segment when asked', () => {
    expect(matchesGlob('*.corp.io', 'evil.io/x.corp.io', { withinSegment: true })).toBe(false);
    expect(matchesGlob('*.corp.io', 'registry.corp.io', { withinSegment: true })).toBe(true);
  });
});

describe('classifyImage', () => {
  const rules: ImageRule[] = [
    { id: 'distroless', class: 'distroless', repository: 'gcr.io/distroless/*', source: 's' },
    { id: 'alpine-tag', class: 'minimal', repository: '*', tag: '*alpine*', source: 's' },
    { id: 'node', class: 'full', repository: 'docker.io/library/node', source: 's' },
    { id: 'latest-only', class: 'full', repository: 'docker.io/library/app', tag: 'latest', source: 's' },
  ];

  it('takes the first matching rule', () => {
    expect(classifyImage(ref('node:20-alpine'), rules)).toMatchObject({ class: 'minimal', rule: { id: 'alpine-tag' } });
    expect(classifyImage(ref('node:20'), rules)).toMatchObject({ class: 'full', rule: { id: 'node' } });
    expect(classifyImage(ref('gcr.io/distroless/static:nonroot'), rules).class).toBe('distroless');
  });

  it('classifies a digest-only reference by its repository, never by a tag rule', () => {
    expect(classifyImage(ref(`node@${DIGEST}`), rules)).toMatchObject({ class: 'full', rule: { id: 'node' } });
    expect(classifyImage(ref(`docker.io/library/app@${DIGEST}`), rules).class).toBe('unknown');
  });

  it('treats a reference without tag or digest as latest for tag rules', () => {
    expect(classifyImage(ref('app'), rules)).toMatchObject({ class: 'full', rule: { id: 'latest-only' } });
  });

  it('leaves images no rule matches unknown, with no rule', () => {
    const result = classifyImage(ref('registry.corp.io/team/api:1.4.2'), rules);
    expect(result).toEqual({ class: 'unknown' });
  });
});

describe('isFromAllowedLocation', () => {
  it.each([
    ['registry.corp.io/team/app:1', ['registry.corp.io'], 'registry.corp.io'],
    ['registry.corp.io:5000/team/app:1', ['registry.corp.io:5000'], 'registry.corp.io:5000'],
    ['registry.corp.io:5000/team/app:1', ['registry.corp.io'], undefined],
    ['ghcr.io/acme/api:1', ['ghcr.io/acme'], 'ghcr.io/acme'],
    ['ghcr.io/acme-evil/api:1', ['ghcr.io/acme'], undefined],
    ['ghcr.io/acme/api:1', ['ghcr.io/acme/'], 'ghcr.io/acme/'],
    ['nginx:1.25', ['docker.io'], 'docker.io'],
    ['nginx:1.25', ['docker.io/library'], 'docker.io/library'],
    ['nginx:1.25', ['index.docker.io'], 'index.docker.io'],
    ['bitnami/redis:7', ['docker.io/library'], undefined],
    ['602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.3', ['*.dkr.ecr.*.amazonaws.com'], '*.dkr.ecr.*.amazonaws.com'],
    ['evil.io/x.dkr.ecr.y.amazonaws.com/app:1', ['*.dkr.ecr.*.amazonaws.com'], undefined],
    ['quay.io/jetstack/cert-manager-controller:v1.15.1', ['ghcr.io', 'quay.io/jetstack'], 'quay.io/jetstack'],
  ])('%s with %j → %s', (image, allowed, expected) => {
    expect(isFromAllowedLocation(ref(image), allowed)).toBe(expected);
  });
});
