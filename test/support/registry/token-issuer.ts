/**
 * A token service of the tests' own for the registry's `auth: token` mode: it answers
 * `GET /token?service=…&scope=repository:NAME:ACTIONS` with a JWT that the Distribution registry
 * verifies itself (ES256, signed with the fixture key, its certificate in the `x5c` header chained
 * to fixtures/tls/ca.crt, the registry's `rootcertbundle`). Anonymous callers get `pull` on public
 * repositories; a caller with a known Basic credential gets every action asked for.
 */
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '../fixture-server.js';

const TLS = join(REPO_ROOT, 'fixtures', 'tls');
export const TOKEN_SERVICE = 'kposture-test-registry';
export const TOKEN_ISSUER = 'kposture-test-token-issuer';
/** The registry trusts tokens whose certificate chains to this bundle. */
export const TOKEN_ROOT_BUNDLE = join(TLS, 'ca.crt');

export interface TokenRequest {
  service: string | null;
  scope: string | null;
  /** The user of a Basic credential sent with the request, if any. */
  user?: string;
  /** What the token grants. */
  granted: string[];
}

export interface TokenIssuer {
  realm: string;
  requests: TokenRequest[];
  close(): Promise<void>;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function basicUser(header: string | undefined, users: Record<string, string>): string | undefined {
  const m = /^Basic (.+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const [user, ...rest] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
  return user !== undefined && users[user] === rest.join(':') ? user : undefined;
}

export async function startTokenIssuer(options: { users?: Record<string, string>; privateRepos?: string[] } = {}): Promise<TokenIssuer> {
  const key = createPrivateKey(readFileSync(join(TLS, 'server.key')));
  const certificate = new X509Certificate(readFileSync(join(TLS, 'server.crt')));
  const users = options.users ?? {};
  const privateRepos = new Set(options.privateRepos ?? []);
  const requests: TokenRequest[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://issuer');
    const scope = url.searchParams.get('scope');
    const user = basicUser(req.headers.authorization, users);
    const access: { type: string; name: string; actions: string[] }[] = [];
    const [type, name, actions] = (scope ?? '').split(':');
    if (type === 'repository' && name && actions) {
      const asked = actions.split(',');
      const granted = user ? asked : privateRepos.has(name) ? [] : asked.filter((a) => a === 'pull');
      if (granted.length > 0) access.push({ type, name, actions: granted });
    }
    requests.push({ service: url.searchParams.get('service'), scope, ...(user ? { user } : {}), granted: access.flatMap((a) => a.actions) });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certificate.raw.toString('base64')] };
    const claims = {
      iss: TOKEN_ISSUER,
      sub: user ?? '',
      aud: url.searchParams.get('service') ?? '',
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signed = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JWS wants ES256 signatures as r‖s, not DER.
    const signature = sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${signed}.${b64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    realm: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
