/**
 * Per-registry CA certificates where docker, podman and skopeo look for them: a folder named
 * after the registry (`host[:port]`) under `certs.d`, holding `*.crt` files. A registry with
 * a private CA is then verified, not made insecure (docs/images.md#tls).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

/** The certs.d roots, most personal first: the user's containers folder, then the system's. */
export function defaultCertsDirs(env: NodeJS.ProcessEnv): string[] {
  const config = env.XDG_CONFIG_HOME ?? (env.HOME ? path.join(env.HOME, '.config') : undefined);
  return [...(config ? [path.join(config, 'containers', 'certs.d')] : []), '/etc/containers/certs.d', '/etc/docker/certs.d'];
}

/** The `*.crt` files of `host`'s folder under each root, sorted by path; empty when there are none. */
export function registryCaFiles(host: string, roots: readonly string[]): string[] {
  // A host name never holds a path separator; one that does names no folder.
  if (host.includes('/') || host.includes('\\') || host === '.' || host === '..') return [];
  return roots.flatMap((root) => {
    const dir = path.join(root, host);
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.crt'))
        .sort()
        .map((f) => path.join(dir, f));
    } catch {
      return [];
    }
  });
}

/**
 * The roots to verify `host` with: Node's bundled roots plus its certs.d CAs, or undefined (the
 * default store, with NODE_EXTRA_CA_CERTS) when it has none.
 */
export function registryTrust(host: string, roots: readonly string[]): { ca: string[]; files: string[] } | undefined {
  const files = registryCaFiles(host, roots);
  if (files.length === 0) return undefined;
  return { ca: [...tls.rootCertificates, ...files.map((f) => readFileSync(f, 'utf8'))], files };
}
