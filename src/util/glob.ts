/**
 * Whole-string wildcard patterns as Kubernetes projects write them (Kyverno's `wildcard` package,
 * kposture's waivers): `*` matches any run of characters, `?` exactly one, everything else is
 * literal. Image references have globs of their own (src/k8s/images.ts: braces, path segments).
 */
export function wildcardToRegExp(glob: string, options: { ignoreCase?: boolean } = {}): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`, options.ignoreCase ? 'is' : 's');
}

export function matchesWildcard(glob: string, value: string): boolean {
  return wildcardToRegExp(glob).test(value);
}
