import { describe, expect, it } from '@jest/globals';
import { classify, configEvidence, factsOf, parseOsRelease } from '../../src/images/classify.js';
import { LayeredTree } from '../../src/images/filesystem.js';
import { pickPlatform } from '../../src/images/inspect.js';

function tree(...layers: { entries?: [string, string | { to: string }][]; whiteouts?: string[]; opaque?: string[] }[]): LayeredTree {
  const t = new LayeredTree();
  for (const l of layers) {
    t.applyLayer({
      whiteouts: l.whiteouts ?? [],
      opaque: l.opaque ?? [],
      entries: (l.entries ?? []).map(([path, v]) =>
        typeof v === 'string' ? [path, { type: 'file', content: Buffer.from(v) }] : [path, { type: 'symlink', target: v.to }],
      ),
    });
  }
  return t;
}

describe('content classes', () => {
  it('follows symlinks through merged /usr and relative os-release links', () => {
    const t = tree({
      entries: [
        ['bin', { to: 'usr/bin' }],
        ['usr/bin/sh', { to: 'dash' }],
        ['usr/bin/dash', ''],
        ['etc/os-release', { to: '../usr/lib/os-release' }],
        ['usr/lib/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'],
      ],
    });
    const facts = factsOf(t);
    expect(facts.shell).toBe('bin/sh');
    expect(facts.osRelease?.ID).toBe('debian');
    expect(classify(facts).class).toBe('minimal');
  });

  it('removes what a later layer whites out, and everything under an opaque directory', () => {
    const base = {
      entries: [
        ['bin/sh', ''],
        ['usr/bin/apt-get', ''],
        ['var/lib/dpkg/status', ''],
      ] as [string, string][],
    };
    expect(classify(factsOf(tree(base))).class).toBe('full');
    expect(classify(factsOf(tree(base, { whiteouts: ['bin/sh', 'usr/bin/apt-get'] }))).class).toBe('distroless');
    expect(classify(factsOf(tree(base, { opaque: ['usr/bin', 'bin'] }))).class).toBe('distroless');
  });

  it('reads os-release as os-release(5) says, quotes and escapes included', () => {
    expect(parseOsRelease('NAME="Alpine Linux"\nID=alpine\n# comment\nPRETTY_NAME=\'A \\"quoted\\" name\'\n')).toEqual({
      NAME: 'Alpine Linux',
      ID: 'alpine',
      PRETTY_NAME: 'A "quoted" name',
    });
  });

  it('decides full from a build step that ran a general-purpose package manager, and nothing else from the config', () => {
    expect(configEvidence({ history: [{ created_by: '/bin/sh -c apt-get update && apt-get install -y curl' }] }).full).toContain('apt-get');
    expect(configEvidence({ history: [{ created_by: '/bin/sh -c microdnf install -y jq' }] }).full).toBeUndefined();
    expect(configEvidence({ history: [{ created_by: '/bin/sh -c apk add --no-cache curl' }] }).full).toBeUndefined();
    expect(configEvidence({ config: { Labels: { 'org.opencontainers.image.base.name': 'gcr.io/distroless/static' } } }).notes).toEqual([
      'label org.opencontainers.image.base.name=gcr.io/distroless/static',
    ]);
  });

  it('picks the index entry of the platform, with its variant when given', () => {
    const entries = [
      { digest: 'sha256:a', platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { digest: 'sha256:b', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { digest: 'sha256:c', platform: { os: 'linux', architecture: 'amd64' } },
      { digest: 'sha256:d', platform: { os: 'unknown', architecture: 'unknown' } },
    ];
    expect(pickPlatform(entries, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest).toBe('sha256:b');
    expect(pickPlatform(entries, { os: 'linux', architecture: 'amd64' })?.digest).toBe('sha256:c');
    expect(pickPlatform(entries, { os: 'windows', architecture: 'amd64' })).toBeUndefined();
  });
});
