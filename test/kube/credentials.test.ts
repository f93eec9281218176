import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import path from 'node:path';
import { credentialProblem } from '../../src/kube/credentials.js';
import { TLS_DIR } from '../support/fixture-server.js';

const CERT = readFileSync(path.join(TLS_DIR, 'server.crt'));
const KEY = readFileSync(path.join(TLS_DIR, 'server.key'));
const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const OTHER_KEY = pair.privateKey.export({ type: 'pkcs8', format: 'pem' });
const ENCRYPTED_KEY = pair.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'kp-passphrase' });

type Options = Pick<https.RequestOptions, 'cert' | 'key' | 'passphrase' | 'headers'>;

describe('credentialProblem: what Node would refuse to send, by the option it is in', () => {
  it.each<[string, Options, unknown]>([
    ['a certificate with its own key and a bearer token', { cert: CERT, key: KEY, headers: { Authorization: 'Bearer abc.def' } }, undefined],
    ['PEM text as strings, as exec plugins give it', { cert: CERT.toString(), key: KEY.toString() }, undefined],
    ['no credentials at all', {}, undefined],
    [
      'an encrypted key with its passphrase: read, then found not to be the certificate’s',
      { cert: CERT, key: ENCRYPTED_KEY, passphrase: 'kp-passphrase' },
      { part: 'pair' },
    ],
    [
      'a certificate that is not PEM',
      { cert: Buffer.from('garbage'), key: KEY },
      { part: 'cert', problem: expect.stringMatching(/^is not a PEM certificate \(OpenSSL: .+\)$/) },
    ],
    ['a key that is the certificate', { cert: CERT, key: CERT }, { part: 'key', problem: expect.stringMatching(/^is not a usable PEM private key/) }],
    ['an encrypted key without its passphrase', { cert: CERT, key: ENCRYPTED_KEY }, { part: 'key' }],
    ['a key that is not the certificate’s', { cert: CERT, key: OTHER_KEY }, { part: 'pair', problem: expect.stringMatching(/^do not match/) }],
    ['a certificate without a key', { cert: CERT }, { part: 'cert', problem: 'has no client key to go with it' }],
    ['a key without a certificate', { key: KEY }, { part: 'key', problem: 'has no client certificate to go with it' }],
    ['a token with CR/LF', { headers: { Authorization: 'Bearer abc\r\nX-Injected: 1' } }, { part: 'header', header: 'Authorization' }],
    ['a header list with a NUL', { headers: { 'Impersonate-Group': ['a', 'b\0'] } }, { part: 'header', header: 'Impersonate-Group' }],
  ])('%s', (_what, opts, expected) => {
    const found = credentialProblem(opts);
    if (expected === undefined) expect(found).toBeUndefined();
    else expect(found).toMatchObject(expected as Record<string, unknown>);
  });

  it('never repeats the credential in what it says', () => {
    const token = 'kp-unit-token-9f8e7d';
    const found = credentialProblem({ headers: { Authorization: `Bearer ${token}\n` } });
    expect(JSON.stringify(found)).not.toContain(token);
  });
});
