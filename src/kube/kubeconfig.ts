import { existsSync, readFileSync } from 'node:fs';
import type https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Cluster, KubeConfig, User } from '@kubernetes/client-node';
import { KpostureError } from '../errors.js';
import { isRecord } from '../k8s/object.js';
import { credentialProblem, type CredentialProblem } from './credentials.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeconfigOptions {
  /** --kubeconfig: one file, used alone. */
  kubeconfig?: string;
  /** --context: overrides the kubeconfig's current-context. */
  context?: string;
  /** Where KUBECONFIG and KUBERNETES_SERVICE_HOST/PORT are read (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  serviceAccountDir?: string;
}

/** A kubeconfig narrowed to one context, ready to authenticate requests. */
export interface ClusterTarget {
  /**
   * client-node's configuration, which authenticates each request: kept when credentials can
   * change during an audit (exec plugins, auth providers, the rotated in-cluster token) or need
   * an agent of client-node's (proxy-url).
   */
  kc?: KubeConfig;
  /** Otherwise: the TLS and authentication options client-node made once, the same for every request. */
  fixed?: FixedRequestOptions;
  context: string;
  cluster: Cluster;
  user: User;
  /** The server URL as configured, without credentials or a trailing slash. */
  server: string;
  /** Where the configuration came from, for messages: a file, a path list, or in-cluster. */
  origin: string;
}

/** What client-node's applyToHTTPSOptions sets on a request but its headers and agent (the client keeps its own agent). */
const FIXED_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername', 'auth'] as const;

export type FixedRequestOptions = Pick<https.RequestOptions, (typeof FIXED_FIELDS)[number]> & {
  headers?: Record<string, string>;
};

/**
 * Resolves the cluster as resolveKubeconfig does, without loading client-node into this thread
 * when it can: a worker thread resolves the kubeconfig, and when the credentials are static (a
 * token, a client certificate, a password) it makes the request options once and exits, taking
 * client-node's memory with it: importing client-node is a large share of a big audit's peak RSS
 * (docs/performance.md#credentials-off-the-main-thread). Anything else (credentials made per
 * request, a proxy, a configuration error, a worker that failed) is resolved here as before, so its
 * errors and behaviour are resolveKubeconfig's own.
 */
export async function resolveTarget(options: KubeconfigOptions): Promise<ClusterTarget> {
  const fixed = await resolveInWorker(options).catch(() => undefined);
  return fixed ?? resolveKubeconfig(options);
}

function resolveInWorker(options: KubeconfigOptions): Promise<ClusterTarget | undefined> {
  const { kubeconfig, context, homeDir, serviceAccountDir } = options;
  const request: KubeconfigOptions = { kubeconfig, context, homeDir, serviceAccountDir, env: { ...(options.env ?? process.env) } };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./kubeconfig-worker.js', import.meta.url), { workerData: request });
    worker.once('message', (answer: ClusterTarget | undefined) => resolve(answer && { ...answer, fixed: asBuffers(answer.fixed) }));
    worker.once('error', reject);
    worker.once('exit', () => resolve(undefined));
  });
}

/** Buffers arrive from a worker as plain Uint8Arrays: made Buffers again, as client-node gave them. */
function asBuffers(fixed: FixedRequestOptions | undefined): FixedRequestOptions | undefined {
  if (!fixed) return undefined;
  const out: Record<string, unknown> = { ...fixed };
  for (const field of FIXED_FIELDS) {
    const value = out[field];
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) out[field] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return out;
}

/**
 * The target with its request options made once, or undefined when they must be made per request
 * (exec plugin, auth provider) or by client-node's own agent (proxy-url). Runs in the kubeconfig
 * worker; the target it returns holds no KubeConfig, and its user no secret but in the options.
 */
export async function fixedTarget(options: KubeconfigOptions): Promise<ClusterTarget | undefined> {
  const target = await resolveKubeconfig(options);
  const { kc, cluster, user } = target;
  if (!kc || user.exec || user.authProvider || cluster.proxyUrl) return undefined;
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const fixed: FixedRequestOptions = {};
  for (const field of FIXED_FIELDS) if (opts[field] !== undefined) (fixed as Record<string, unknown>)[field] = opts[field];
  if (opts.headers) fixed.headers = Object.fromEntries(Object.entries(opts.headers).map(([k, v]) => [k, String(v)]));
  const { token: _token, password: _password, certData: _certData, keyData: _keyData, ...publicUser } = user;
  return { context: target.context, cluster, user: publicUser, server: target.server, origin: target.origin, fixed };
}

/**
 * Resolves the cluster to talk to the way kubectl does: --kubeconfig, else the KUBECONFIG path
 * list (missing files skipped, the first definition of a name wins), else ~/.kube/config, else
 * the pod's service account. Problems with the configuration itself are `config` errors (exit 2).
 */
export async function resolveKubeconfig(options: KubeconfigOptions): Promise<ClusterTarget> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { kc, origin, tokenFiles } = await loadKubeconfig(options);
  const target = selectContext(kc, options.context, origin, tokenFiles);
  await checkStaticCredentials(KubeConfig, target, tokenFiles.get(target.user.name));
  return target;
}

/** The context names a kubeconfig defines, sorted, and where it was read from. */
export interface KubeconfigContexts {
  names: string[];
  current?: string;
  origin: string;
}

/**
 * The contexts of the kubeconfig resolveKubeconfig would read (a fleet audit picks several), read
 * in a worker thread so that client-node is not loaded into this one; the worker's answer is used
 * when it has one, else the kubeconfig is read here, whose errors are resolveKubeconfig's own.
 */
export async function listContexts(options: Omit<KubeconfigOptions, 'context'>): Promise<KubeconfigContexts> {
  const { kubeconfig, homeDir, serviceAccountDir } = options;
  const request: ContextsRequest = { kubeconfig, homeDir, serviceAccountDir, env: { ...(options.env ?? process.env) }, contexts: true };
  const listed = await new Promise<KubeconfigContexts | undefined>((resolve, reject) => {
    const worker = new Worker(new URL('./kubeconfig-worker.js', import.meta.url), { workerData: request });
    worker.once('message', (answer: KubeconfigContexts | undefined) => resolve(answer));
    worker.once('error', reject);
    worker.once('exit', () => resolve(undefined));
  }).catch(() => undefined);
  return listed ?? readContexts(options);
}

/** What the kubeconfig worker is asked for when it lists contexts instead of resolving one. */
export type ContextsRequest = Omit<KubeconfigOptions, 'context'> & { contexts: true };

/** listContexts in this thread (the kubeconfig worker runs it). */
export async function readContexts(options: Omit<KubeconfigOptions, 'context'>): Promise<KubeconfigContexts> {
  const { kc, origin } = await loadKubeconfig(options);
  const names = [...new Set(kc.contexts.map((c) => c.name))].sort((a, b) => a.localeCompare(b, 'en'));
  return { names, ...(kc.currentContext ? { current: kc.currentContext } : {}), origin };
}

async function loadKubeconfig(options: KubeconfigOptions): Promise<{ kc: KubeConfig; origin: string; tokenFiles: TokenFiles }> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  const tokenFiles: TokenFiles = new Map();
  let origin: string;

  if (options.kubeconfig) {
    origin = options.kubeconfig;
    await loadFile(kc, options.kubeconfig, `--kubeconfig ${options.kubeconfig}`, tokenFiles);
  } else if (env.KUBECONFIG && env.KUBECONFIG.split(path.delimiter).some(Boolean)) {
    const listed = env.KUBECONFIG.split(path.delimiter).filter(Boolean);
    const files = listed.filter((f) => existsSync(f));
    if (files.length === 0) {
      throw new KpostureError('config', `KUBECONFIG names no existing file (${listed.join(path.delimiter)})`, 'fix KUBECONFIG or pass --kubeconfig FILE');
    }
    origin = files.length === 1 ? files[0]! : `KUBECONFIG (${files.join(path.delimiter)})`;
    await loadFile(kc, files[0]!, files[0]!, tokenFiles);
    for (const file of files.slice(1)) {
      const next = new KubeConfig();
      await loadFile(next, file, file, tokenFiles);
      mergeFirstWins(kc, next);
    }
  } else {
    const home = options.homeDir ?? os.homedir();
    const defaultFile = path.join(home, '.kube', 'config');
    const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    if (existsSync(defaultFile)) {
      origin = defaultFile;
      await loadFile(kc, defaultFile, defaultFile, tokenFiles);
    } else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(path.join(saDir, 'token'))) {
      origin = `in-cluster service account (${saDir})`;
      loadInCluster(kc, env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT, saDir);
    } else {
      throw new KpostureError(
        'config',
        `no kubeconfig found: --kubeconfig not given, KUBECONFIG not set, ${defaultFile} absent, and not running in a pod`,
        'pass --kubeconfig FILE, set KUBECONFIG, or audit a snapshot with --snapshot',
      );
    }
  }
  return { kc, origin, tokenFiles };
}

/**
 * Users whose kubeconfig entry names a token file, by user name (the first file to define a user
 * wins, as for the users themselves); undefined for a user defined without one.
 */
type TokenFiles = Map<string, TokenFile | undefined>;

/** kubectl's `tokenFile`, which client-node ignores, or client-node's own `token-file`, which it reads on loading. */
interface TokenFile {
  field: 'tokenFile' | 'token-file';
  file: string;
}

async function loadFile(kc: KubeConfig, file: string, label: string, tokenFiles: TokenFiles): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KpostureError('config', `kubeconfig ${label}: ${describeReadError(err)}`, 'pass a readable kubeconfig file');
  }
  const dir = path.dirname(path.resolve(file));
  const raw = await boundedParse(text, label);
  try {
    kc.loadFromString(text);
  } catch (err) {
    throw new KpostureError(
      'config',
      `kubeconfig ${label}: ${firstLine(describeLoadError(err))}`,
      'check the file with `kubectl config view --kubeconfig FILE`',
    );
  }
  // Relative certificate paths are relative to the kubeconfig file, as kubectl resolves them.
  kc.makePathsAbsolute(dir);
  collectTokenFiles(raw, dir, tokenFiles);
}

/**
 * client-node's YAML parser expands aliases without a limit: a file of a few hundred bytes can
 * take gigabytes. The bounded parser sees the file first; its other complaints are left to
 * client-node, whose messages the tests know. It also gives the users as written, for their token
 * files. A file with no anchor (`&`) has no alias, and most name no token file: those skip it, and
 * the import of the yaml library, which would cost the kubeconfig worker more than the rest.
 */
async function boundedParse(text: string, label: string): Promise<unknown> {
  if (!/&|tokenFile|token-file/.test(text)) return undefined;
  const { parseYamlBounded } = await import('../util/yaml.js');
  try {
    return parseYamlBounded(text);
  } catch (err) {
    if (err instanceof ReferenceError) {
      throw new KpostureError(
        'config',
        `kubeconfig ${label}: invalid YAML: ${firstLine(err.message)}`,
        "a kubeconfig needs no YAML aliases: remove them, or get a new kubeconfig from the cluster's provider",
      );
    }
    return undefined;
  }
}

function collectTokenFiles(raw: unknown, dir: string, into: TokenFiles): void {
  const users = isRecord(raw) && Array.isArray(raw.users) ? (raw.users as unknown[]) : [];
  for (const entry of users) {
    if (!isRecord(entry) || typeof entry.name !== 'string' || into.has(entry.name)) continue;
    const user = isRecord(entry.user) ? entry.user : {};
    const field =
      typeof user.tokenFile === 'string' && user.tokenFile !== ''
        ? 'tokenFile'
        : typeof user['token-file'] === 'string' && user['token-file'] !== ''
          ? 'token-file'
          : undefined;
    into.set(entry.name, field ? { field, file: path.resolve(dir, user[field] as string) } : undefined);
  }
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
}

function describeLoadError(err: unknown): string {
  // client-node dereferences the parsed YAML without checking its shape: an empty file or a
  // scalar shows up as a TypeError, which says nothing useful to the user.
  if (err instanceof TypeError) return 'not a kubeconfig (expected a YAML mapping with clusters, contexts and users)';
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith('YAMLException') || /\(\d+:\d+\)/.test(message) ? `invalid YAML: ${message}` : message;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** kubectl's merge rule: for clusters, users and contexts the first file to define a name wins. */
function mergeFirstWins(into: KubeConfig, from: KubeConfig): void {
  const has = (list: readonly { name: string }[], name: string): boolean => list.some((x) => x.name === name);
  for (const c of from.clusters) if (!has(into.clusters, c.name)) into.clusters.push(c);
  for (const u of from.users) if (!has(into.users, u.name)) into.users.push(u);
  for (const c of from.contexts) if (!has(into.contexts, c.name)) into.contexts.push(c);
  if (!into.currentContext && from.currentContext) into.currentContext = from.currentContext;
}

/** Same as client-node's loadFromCluster, but from the given environment and folder. */
function loadInCluster(kc: KubeConfig, host: string, port: string, saDir: string): void {
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const namespaceFile = path.join(saDir, 'namespace');
  kc.loadFromOptions({
    clusters: [{ name: 'in-cluster', caFile: path.join(saDir, 'ca.crt'), server: `https://${hostPart}:${port}`, skipTLSVerify: false }],
    // The tokenFile provider re-reads the projected token, which the kubelet rotates.
    users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile: path.join(saDir, 'token') } } }],
    contexts: [
      {
        name: 'in-cluster',
        cluster: 'in-cluster',
        user: 'in-cluster',
        ...(existsSync(namespaceFile) ? { namespace: readFileSync(namespaceFile, 'utf8').trim() } : {}),
      },
    ],
    currentContext: 'in-cluster',
  });
}

function selectContext(kc: KubeConfig, wanted: string | undefined, origin: string, tokenFiles: TokenFiles): ClusterTarget {
  const names = kc.contexts.map((c) => c.name);
  const available = names.length > 0 ? `available: ${names.join(', ')}` : 'it defines no context';
  const name = wanted ?? kc.currentContext;
  if (!name) {
    throw new KpostureError('config', `kubeconfig ${origin} sets no current-context (${available})`, 'pick one with --context NAME');
  }
  const context = kc.getContextObject(name);
  if (!context) {
    throw new KpostureError(
      'config',
      `context "${name}" is not in kubeconfig ${origin} (${available})`,
      wanted ? 'pick one of the available contexts with --context' : 'fix current-context or pass --context NAME',
    );
  }
  kc.setCurrentContext(name);
  const cluster = kc.getCluster(context.cluster);
  if (!cluster) {
    throw new KpostureError(
      'config',
      `context "${name}" in kubeconfig ${origin} names cluster "${context.cluster}", which is not defined`,
      'add the cluster or fix the context',
    );
  }
  const defined = kc.getUser(context.user);
  if (!defined) {
    throw new KpostureError(
      'config',
      `context "${name}" in kubeconfig ${origin} names user "${context.user}", which is not defined`,
      'add the user or fix the context',
    );
  }
  const user = withTokenFile(kc, defined, tokenFiles.get(defined.name), `kubeconfig ${origin}: context "${name}", user "${defined.name}"`);
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new KpostureError('config', `cluster "${cluster.name}" in kubeconfig ${origin}: server is not a URL`, 'expected e.g. https://203.0.113.10:6443');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && cluster.skipTLSVerify)) {
    throw new KpostureError(
      'config',
      `cluster "${cluster.name}" in kubeconfig ${origin}: server must be an https:// URL`,
      'plain http is accepted only with insecure-skip-tls-verify: true',
    );
  }
  return { kc, context: name, cluster, user, server: displayServer(url), origin };
}

/**
 * The user with the token its `tokenFile` holds, as kubectl reads it: when no `token` is given,
 * trimmed, once per audit. client-node does not know the field: without this the request would
 * go out without credentials and come back 401.
 */
function withTokenFile(kc: KubeConfig, user: User, tokenFile: TokenFile | undefined, where: string): User {
  if (!tokenFile || tokenFile.field !== 'tokenFile' || user.token) return user;
  let token: string;
  try {
    token = readFileSync(tokenFile.file, 'utf8').trim();
  } catch (err) {
    throw new KpostureError(
      'config',
      `${where}: tokenFile ${tokenFile.file}: ${describeReadError(err)}`,
      'fix the path in the kubeconfig, or put the token itself in token',
    );
  }
  if (token === '')
    throw new KpostureError(
      'config',
      `${where}: tokenFile ${tokenFile.file}: the file is empty`,
      'write the token into the file, or fix the path in the kubeconfig',
    );
  const withToken: User = { ...user, token };
  kc.users = kc.users.map((u) => (u === user ? withToken : u));
  return withToken;
}

/**
 * The kubeconfig's own credentials (not a plugin's or provider's, made later) must be usable:
 * Node refuses a request with a PEM it cannot read, a key that is not the certificate's or a token
 * with CR/LF before it is sent, which would otherwise show as lists that failed, not as a broken
 * kubeconfig. Checked on the options client-node makes from the user's static fields alone.
 */
async function checkStaticCredentials(KubeConfigClass: typeof KubeConfig, target: ClusterTarget, tokenFile: TokenFile | undefined): Promise<void> {
  // The user without what makes credentials per request (exec plugins, auth providers).
  const staticUser = { ...target.user, exec: undefined, authProvider: undefined };
  const { proxyUrl: _proxyUrl, ...cluster } = target.cluster;
  const probe = new KubeConfigClass();
  probe.loadFromClusterAndUser(cluster, staticUser);
  const opts: https.RequestOptions = {};
  try {
    await probe.applyToHTTPSOptions(opts);
  } catch {
    // A file it names that cannot be read: reported with the field by the client (checkReferencedFiles).
    return;
  }
  const found = credentialProblem(opts);
  if (!found) return;
  throw new KpostureError(
    'config',
    `kubeconfig ${target.origin}: context "${target.context}", user "${target.user.name}": ${kubeconfigField(target.user, tokenFile, found)} ${found.problem}`,
    "fix the user's credentials in the kubeconfig, or get a new kubeconfig from the cluster's provider",
  );
}

function kubeconfigField(user: User, tokenFile: TokenFile | undefined, found: CredentialProblem): string {
  const cert = user.certFile ? `client-certificate ${user.certFile}` : 'client-certificate-data';
  const key = user.keyFile ? `client-key ${user.keyFile}` : 'client-key-data';
  if (found.part !== 'header') return found.part === 'cert' ? cert : found.part === 'key' ? key : `${cert} and ${key}`;
  const header = found.header.toLowerCase();
  if (header === 'authorization') return tokenFile ? `the token in ${tokenFile.field} ${tokenFile.file}` : 'token';
  return header === 'impersonate-user' ? 'as' : `the ${found.header} header`;
}

/** The server URL without user:password, for messages and reports. */
function displayServer(url: URL): string {
  const clean = new URL(url.href);
  clean.username = '';
  clean.password = '';
  clean.search = '';
  clean.hash = '';
  return clean.href.replace(/\/$/, '');
}
