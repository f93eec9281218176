import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KpostureError } from '../../src/errors.js';
import { fixedTarget, resolveKubeconfig, resolveTarget } from '../../src/kube/kubeconfig.js';
import { TLS_DIR, writeKubeconfigFor } from '../support/fixture-server.js';

const CA_DATA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

/** A kubeconfig file with one context (`ctx`) over the given cluster and user fields. */
function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return writeKubeconfigFor({ server: 'https://127.0.0.1:6443', ...cluster }, user);
}

/** What client-node sets on a request in this thread, without its agent: the reference. */
async function appliedHere(file: string): Promise<Record<string, unknown>> {
  const target = await resolveKubeconfig({ kubeconfig: file });
  const opts: https.RequestOptions = {};
  await target.kc!.applyToHTTPSOptions(opts);
  delete opts.agent;
  return { ...opts };
}

const STATIC_USERS: [string, Record<string, unknown>, Record<string, unknown>][] = [
  ['a bearer token and CA data', { 'certificate-authority-data': CA_DATA }, { token: 'abc.def' }],
  [
    'client certificate and key files, a TLS server name',
    { 'certificate-authority': path.join(TLS_DIR, 'ca.crt'), 'tls-server-name': 'api.internal' },
    { 'client-certificate': path.join(TLS_DIR, 'server.crt'), 'client-key': path.join(TLS_DIR, 'server.key') },
  ],
  ['a user name and password, TLS verification off', { 'insecure-skip-tls-verify': true }, { username: 'admin', password: 'hunter2' }],
  ['a token and impersonation', { 'certificate-authority-data': CA_DATA }, { token: 't', as: 'jane' }],
];

describe('fixedTarget: request options made once for static credentials', () => {
  it.each(STATIC_USERS)('%s: the same options client-node makes per request', async (_what, cluster, user) => {
    const file = kubeconfig(cluster, user);
    const target = await fixedTarget({ kubeconfig: file });
    expect(target).toBeDefined();
    expect(target!.kc).toBeUndefined();
    expect({ ...target!.fixed }).toEqual(await appliedHere(file));
    // The user keeps its name and file paths for messages; its secrets are only in the options.
    expect(target!.user.name).toBe('ctx-user');
    expect(JSON.stringify(target!.user)).not.toMatch(/abc\.def|hunter2/);
  });

  it.each([
    ['an exec plugin', {}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } }],
    ['an auth provider', {}, { 'auth-provider': { name: 'oidc', config: { 'id-token': 'x', 'idp-issuer-url': 'https://127.0.0.1:1' } } }],
    ['a proxy', { 'proxy-url': 'http://127.0.0.1:3128' }, { token: 't' }],
  ])('%s: none, credentials are made per request', async (_what, cluster, user) => {
    expect(await fixedTarget({ kubeconfig: kubeconfig(cluster, user) })).toBeUndefined();
  });
});

describe('resolveTarget', () => {
  it('resolves static credentials in a worker: no KubeConfig here, key material as Buffers', async () => {
    const file = kubeconfig(
      { 'certificate-authority': path.join(TLS_DIR, 'ca.crt') },
      { 'client-certificate': path.join(TLS_DIR, 'server.crt'), 'client-key': path.join(TLS_DIR, 'server.key') },
    );
    const target = await resolveTarget({ kubeconfig: file });
    expect(target.kc).toBeUndefined();
    expect(target.context).toBe('ctx');
    expect(target.server).toBe('https://127.0.0.1:6443');
    for (const field of ['ca', 'cert', 'key'] as const) expect(Buffer.isBuffer(target.fixed![field])).toBe(true);
    expect({ ...target.fixed }).toEqual(await appliedHere(file));
  });

  it('keeps client-node in this thread for credentials made per request', async () => {
    const target = await resolveTarget({ kubeconfig: kubeconfig({}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } }) });
    expect(target.kc).toBeDefined();
    expect(target.fixed).toBeUndefined();
  });

  it('reports configuration errors as resolveKubeconfig does, from the given environment', async () => {
    const missing = path.join(mkdtempSync(path.join(os.tmpdir(), 'kposture-kc-')), 'absent');
    const here = await resolveKubeconfig({ kubeconfig: missing }).catch((e: unknown) => e);
    const there = await resolveTarget({ kubeconfig: missing }).catch((e: unknown) => e);
    expect(there).toBeInstanceOf(KpostureError);
    expect((there as KpostureError).message).toBe((here as KpostureError).message);
    const file = kubeconfig({}, { token: 't' });
    const viaEnv = await resolveTarget({ env: { KUBECONFIG: file }, context: 'ctx' });
    expect(viaEnv.fixed?.headers).toEqual({ Authorization: 'Bearer t' });
    const wrong = await resolveTarget({ env: { KUBECONFIG: file }, context: 'nope' }).catch((e: unknown) => e);
    expect((wrong as KpostureError).message).toContain('context "nope" is not in kubeconfig');
  });
});

/**
 * Runs resolveTarget in a fresh Node process whose main thread reports every client-node module
 * it loads (a module customization hook, registered in that thread only: worker threads do not
 * inherit it).
 */
function clientNodeModulesLoadedHere(kubeconfigFile: string): { loaded: string[]; out: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kposture-hook-'));
  const record = path.join(dir, 'loaded.txt');
  // Written to a file: a hook's stderr does not always reach the parent (Node 24).
  writeFileSync(
    path.join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.includes('/@kubernetes/client-node/')) appendFileSync(${JSON.stringify(record)}, url + '\\n');\n  return next(url, context);\n}\n`,
  );
  writeFileSync(record, '');
  const kubeconfigModule = new URL('../../src/kube/kubeconfig.js', import.meta.url).href;
  writeFileSync(
    path.join(dir, 'main.mjs'),
    `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\nconst { resolveTarget } = await import(${JSON.stringify(kubeconfigModule)});\nconst t = await resolveTarget({ kubeconfig: process.argv[2] });\nconsole.log(t.kc ? 'per request' : 'fixed');\n`,
  );
  const run = spawnSync(process.execPath, [path.join(dir, 'main.mjs'), kubeconfigFile], { encoding: 'utf8', timeout: 30_000 });
  return { loaded: readFileSync(record, 'utf8').split('\n').filter(Boolean), out: run.stdout.trim() };
}

describe('client-node stays out of the main thread', () => {
  it('for static credentials: the kubeconfig worker loads it, the main thread never does', () => {
    const { loaded, out } = clientNodeModulesLoadedHere(kubeconfig({ 'certificate-authority-data': CA_DATA }, { token: 'abc' }));
    expect(out).toBe('fixed');
    expect(loaded).toEqual([]);
  });

  it('but is loaded there for credentials made per request (the hook sees it)', () => {
    const { loaded, out } = clientNodeModulesLoadedHere(kubeconfig({}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } }));
    expect(out).toBe('per request');
    expect(loaded.length).toBeGreaterThan(0);
  });
});
