/**
 * Whether Node can send a request with the credentials client-node put in its options. Node
 * fails such a request before it leaves the process (a PEM it cannot read, a key that is not the
 * certificate's, a header with CR/LF), so without this check the failure would look like a list
 * that failed, not like the kubeconfig or plugin output that is broken.
 */
import { validateHeaderValue } from 'node:http';
import type https from 'node:https';
import { createSecureContext } from 'node:tls';

/** What is wrong, by the request option it is in; never a part of the credential's value. */
export type CredentialProblem = { part: 'cert' | 'key' | 'pair'; problem: string } | { part: 'header'; header: string; problem: string };

export function credentialProblem(opts: Pick<https.RequestOptions, 'cert' | 'key' | 'passphrase' | 'headers'>): CredentialProblem | undefined {
  return tlsProblem(opts) ?? headerProblem(opts.headers);
}

function tlsProblem({ cert, key, passphrase }: Pick<https.RequestOptions, 'cert' | 'key' | 'passphrase'>): CredentialProblem | undefined {
  // kubectl refuses one without the other too: a client certificate is useless without its key.
  if (cert && !key) return { part: 'cert', problem: 'has no client key to go with it' };
  if (key && !cert) return { part: 'key', problem: 'has no client certificate to go with it' };
  if (!cert || !key) return undefined;
  const fails = (options: Parameters<typeof createSecureContext>[0]): string | undefined => {
    try {
      createSecureContext(options);
      return undefined;
    } catch (err) {
      // OpenSSL's reason ("no start line", "bad decrypt") names the failure, never the data.
      const reason = (err as { reason?: unknown }).reason;
      return typeof reason === 'string' && reason !== '' ? reason : 'unreadable';
    }
  };
  const certFails = fails({ cert });
  if (certFails) return { part: 'cert', problem: `is not a PEM certificate (OpenSSL: ${certFails})` };
  const keyFails = fails({ key, ...(passphrase !== undefined ? { passphrase } : {}) });
  if (keyFails) return { part: 'key', problem: `is not a usable PEM private key (OpenSSL: ${keyFails})` };
  const pairFails = fails({ cert, key, ...(passphrase !== undefined ? { passphrase } : {}) });
  if (pairFails) return { part: 'pair', problem: `do not match: the key is not the certificate's (OpenSSL: ${pairFails})` };
  return undefined;
}

function headerProblem(headers: https.RequestOptions['headers']): CredentialProblem | undefined {
  if (!headers || Array.isArray(headers)) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    try {
      for (const v of Array.isArray(value) ? value : [value]) validateHeaderValue(name, String(v));
    } catch {
      return { part: 'header', header: name, problem: 'contains a character an HTTP header cannot carry (CR, LF or another control character)' };
    }
  }
  return undefined;
}
