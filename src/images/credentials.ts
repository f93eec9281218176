/**
 * Registry credentials found the way docker, crane and podman find them: the docker config
 * (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) with its `auths`, `credHelpers` and
 * `credsStore`, then Podman's `auth.json` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/`,
 * `~/.config/containers/`). Kubernetes imagePullSecrets are never read. A credential is held in
 * memory only: no message, log or cache entry contains one.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Credential {
  username: string;
  password: string;
}

export interface CredentialEnv {
  env: NodeJS.ProcessEnv;
  /** Runs `docker-credential-<helper> get` with the host on stdin; its stdout. Injected in tests. */
  runHelper?: (helper: string, host: string) => Promise<string>;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface AuthFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

const HELPER_TIMEOUT_MS = 10_000;
const HELPER_NAME = /^[A-Za-z0-9._-]+$/;

/** Docker Hub's credentials are stored under its v1 index URL. */
function keysFor(host: string): string[] {
  const hub = host === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io', 'docker.io'] : [];
  return [...hub, host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
}

export class CredentialStore {
  private readonly files: { path: string; data: AuthFile }[];
  private readonly found = new Map<string, Promise<Credential | undefined>>();
  private readonly runHelper: (helper: string, host: string) => Promise<string>;

  constructor(private readonly options: CredentialEnv) {
    this.files = authFilePaths(options.env).flatMap((path) => {
      const data = readAuthFile(path);
      return data ? [{ path, data }] : [];
    });
    this.runHelper = options.runHelper ?? defaultHelper(options.env);
  }

  /** The credential for a registry host (`host[:port]`, `docker.io`), once per store. */
  lookup(host: string): Promise<Credential | undefined> {
    let found = this.found.get(host);
    if (!found) this.found.set(host, (found = this.find(host)));
    return found;
  }

  private async find(host: string): Promise<Credential | undefined> {
    const keys = keysFor(host);
    for (const { path, data } of this.files) {
      const helper = keys.map((k) => data.credHelpers?.[k]).find((h) => h !== undefined);
      if (helper) return this.fromHelper(helper, host, path);
      for (const key of keys) {
        const entry = data.auths?.[key];
        const credential = entry ? fromEntry(entry) : undefined;
        if (credential) return credential;
      }
      if (data.credsStore) {
        const credential = await this.fromHelper(data.credsStore, host, path).catch(() => undefined);
        if (credential) return credential;
      }
    }
    return undefined;
  }

  private async fromHelper(helper: string, host: string, file: string): Promise<Credential | undefined> {
    if (!HELPER_NAME.test(helper)) throw new Error(`${file}: credential helper name "${helper}" is not a plain name`);
    let out: string;
    try {
      out = await this.runHelper(helper, host);
    } catch {
      // "credentials not found" is how helpers answer a host they do not know.
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(out);
    } catch {
      throw new Error(`docker-credential-${helper} answered something that is not JSON for ${host}`);
    }
    const { Username, Secret } = (parsed ?? {}) as { Username?: unknown; Secret?: unknown };
    if (typeof Username !== 'string' || typeof Secret !== 'string' || Secret === '') return undefined;
    return { username: Username, password: Secret };
  }
}

function fromEntry(entry: AuthEntry): Credential | undefined {
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  return undefined;
}

function authFilePaths(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? homedir();
  const docker = join(env.DOCKER_CONFIG ?? join(home, '.docker'), 'config.json');
  const podman = env.REGISTRY_AUTH_FILE
    ? [env.REGISTRY_AUTH_FILE]
    : [
        ...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json')] : []),
        join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'containers', 'auth.json'),
      ];
  return [docker, ...podman];
}

function readAuthFile(path: string): AuthFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const data = JSON.parse(text) as unknown;
    return typeof data === 'object' && data !== null ? data : undefined;
  } catch {
    // Never echo the file: it holds secrets.
    throw new Error(`${path} is not valid JSON`);
  }
}

function defaultHelper(env: NodeJS.ProcessEnv): (helper: string, host: string) => Promise<string> {
  return (helper, host) =>
    new Promise((resolve, reject) => {
      const child = execFile(`docker-credential-${helper}`, ['get'], { env, timeout: HELPER_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout) => {
        if (err) reject(new Error(`docker-credential-${helper} failed for ${host}`));
        else resolve(stdout);
      });
      child.stdin?.end(host);
    });
}
