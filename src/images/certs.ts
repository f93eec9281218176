/**
 * Per-registry TLS material where docker, podman and skopeo look for it: a folder named after the
 * registry (`host[:port]`) under `certs.d`, holding CA certificates (`*.crt`) and a client
 * certificate (`NAME.cert` with its `NAME.key`). A registry with a private CA is then verified,
 * not made insecure, and one that asks for a client certificate gets it (docs/images.md).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

/** The certs.d roots, most personal first: the user's containers folder, then the system's. */
export function defaultCertsDirs(env: NodeJS.ProcessEnv): string[] {
  const config = env.XDG_CONFIG_HOME ?? (env.HOME ? path.join(env.HOME, '.config') : undefined);
  return [...(config ? [path.join(config, 'containers', 'certs.d')] : []), '/etc/containers/certs.d', '/etc/docker/certs.d'];
}

/** The files of `host`'s folder under each root whose names end with `suffix`, sorted by path. */
function registryFiles(host: string, roots: readonly string[], suffix: string): string[] {
  // A host name never holds a path separator; one that does names no folder.
  if (host.includes('/') || host.includes('\\') || host === '.' || host === '..') return [];
  return roots.flatMap((root) => {
    const dir = path.join(root, host);
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith(suffix))
        .sort()
        .map((f) => path.join(dir, f));
    } catch {
      return [];
    }
  });
}

/** The `*.crt` files of `host`'s folder under each root, sorted by path; empty when there are none. */
export function registryCaFiles(host: string, roots: readonly string[]): string[] {
  return registryFiles(host, roots, '.crt');
}

/** The first `NAME.cert` of `host`'s folders that has its `NAME.key` beside it, as docker pairs them. */
export function registryClientCertFiles(host: string, roots: readonly string[]): { cert: string; key: string } | undefined {
  for (const cert of registryFiles(host, roots, '.cert')) {
    const key = `${cert.slice(0, -'.cert'.length)}.key`;
    if (existsSync(key)) return { cert, key };
  }
  return undefined;
}

/** How to reach `host` over TLS, from its certs.d folders. */
export interface RegistryTls {
  /** Node's bundled roots plus the registry's CAs; absent: the default store (with NODE_EXTRA_CA_CERTS). */
  ca?: string[];
  /** The client certificate and key (PEM) to present. */
  cert?: string;
  key?: string;
}

/** The TLS material of `host` in certs.d, or undefined when it has none. */
export function registryTls(host: string, roots: readonly string[]): RegistryTls | undefined {
  const cas = registryCaFiles(host, roots);
  const client = registryClientCertFiles(host, roots);
  if (cas.length === 0 && !client) return undefined;
  return {
    ...(cas.length > 0 ? { ca: [...tls.rootCertificates, ...cas.map((f) => readFileSync(f, 'utf8'))] } : {}),
    ...(client ? { cert: readFileSync(client.cert, 'utf8'), key: readFileSync(client.key, 'utf8') } : {}),
  };
}
