/**
 * RBAC for the fixture API server: requests pass only when a rule of the given ClusterRole allows
 * them, as the API server's authorizer decides (resource rules by API group, resource and verb;
 * non-resource rules by URL, a trailing `*` matching any suffix). Everything else gets the 403
 * Status a real server sends. Plug `enforce(rules)` into FixtureServerOptions.intercept.
 */
import type http from 'node:http';
import { parseAllDocuments } from 'yaml';
import type { FixtureServerOptions, RecordedRequest } from './fixture-server.js';
import type { PolicyRule } from '../../src/inventory/rbac-policy.js';

const USER = 'system:serviceaccount:kposture:kposture';

/** The rules of the ClusterRole in a YAML stream (what `kposture rbac` prints). */
export function clusterRoleRules(yamlText: string): PolicyRule[] {
  for (const doc of parseAllDocuments(yamlText)) {
    const value = doc.toJS() as { kind?: string; rules?: PolicyRule[] } | null;
    if (value?.kind === 'ClusterRole') return value.rules ?? [];
  }
  throw new Error('no ClusterRole in the YAML');
}

interface Attributes {
  verb: string;
  group?: string;
  resource?: string;
  nonResourceURL?: string;
}

/** What the authorizer sees in a request: a verb on a resource, or a verb on a URL. */
export function attributesOf(req: Pick<RecordedRequest, 'method' | 'path' | 'query'>): Attributes {
  const parts = req.path.split('/').filter(Boolean);
  const method = req.method.toLowerCase();
  let rest: string[] | undefined;
  let group = '';
  if (parts[0] === 'api' && parts.length >= 3) rest = parts.slice(2);
  if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(3);
  }
  if (!rest) return { verb: method, nonResourceURL: req.path };
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const resource = namespaced ? rest[2]! : rest[0]!;
  const name = namespaced ? rest[3] : rest[1];
  const watch = req.query.watch === 'true' || req.query.watch === '1';
  const verb = method !== 'get' ? method : watch ? 'watch' : name === undefined ? 'list' : 'get';
  return { verb, group, resource };
}

export function allows(rules: readonly PolicyRule[], a: Attributes): boolean {
  const has = (list: string[] | undefined, v: string): boolean => (list ?? []).includes(v) || (list ?? []).includes('*');
  return rules.some((r) => {
    if (!has(r.verbs, a.verb)) return false;
    if (a.nonResourceURL !== undefined) {
      return (r.nonResourceURLs ?? []).some((u) => (u.endsWith('*') ? a.nonResourceURL!.startsWith(u.slice(0, -1)) : u === a.nonResourceURL));
    }
    return has(r.apiGroups, a.group!) && has(r.resources, a.resource!);
  });
}

/** An intercept that answers 403 to every request the rules do not allow; counts refusals. */
export function enforce(rules: readonly PolicyRule[]): NonNullable<FixtureServerOptions['intercept']> & { denied: string[] } {
  const denied: string[] = [];
  const intercept = (req: RecordedRequest, res: http.ServerResponse): boolean => {
    const a = attributesOf(req);
    if (allows(rules, a)) return false;
    denied.push(`${a.verb} ${a.nonResourceURL ?? `${a.group || 'core'}/${a.resource}`}`);
    const message =
      a.nonResourceURL !== undefined
        ? `forbidden: User "${USER}" cannot ${a.verb} path "${a.nonResourceURL}"`
        : `${a.resource} is forbidden: User "${USER}" cannot ${a.verb} resource "${a.resource}" in API group "${a.group}" at the cluster scope`;
    const text = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason: 'Forbidden',
      details: { kind: a.resource },
      code: 403,
    });
    res.writeHead(403, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  };
  return Object.assign(intercept, { denied });
}
