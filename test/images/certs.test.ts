/** Where a registry's own CA certificates are found: certs.d folders named after the registry, as docker and podman name them. */
import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { defaultCertsDirs, registryCaFiles, registryClientCertFiles, registryTls } from '../../src/images/certs.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function certsRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kposture-certs.d-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  return root;
}

describe('registry CAs from certs.d', () => {
  it('looks in the user’s containers folder, then /etc/containers and /etc/docker', () => {
    expect(defaultCertsDirs({ HOME: '/home/ci' })).toEqual(['/home/ci/.config/containers/certs.d', '/etc/containers/certs.d', '/etc/docker/certs.d']);
    expect(defaultCertsDirs({ HOME: '/home/ci', XDG_CONFIG_HOME: '/cfg' })[0]).toBe('/cfg/containers/certs.d');
    expect(defaultCertsDirs({})).toEqual(['/etc/containers/certs.d', '/etc/docker/certs.d']);
  });

  it('takes the *.crt files of the host:port folder under every root, sorted, and nothing else', () => {
    const user = certsRoot({ 'registry.corp:5000/b.crt': PEM, 'registry.corp:5000/a.crt': PEM, 'registry.corp:5000/client.key': 'key' });
    const system = certsRoot({ 'registry.corp:5000/ca.crt': PEM, 'registry.corp/ca.crt': PEM });
    expect(registryCaFiles('registry.corp:5000', [user, system])).toEqual([
      join(user, 'registry.corp:5000', 'a.crt'),
      join(user, 'registry.corp:5000', 'b.crt'),
      join(system, 'registry.corp:5000', 'ca.crt'),
    ]);
    expect(registryCaFiles('other.corp', [user, system])).toEqual([]);
  });

  it('never leaves the roots for a host that is not a folder name', () => {
    const root = certsRoot({ 'x/ca.crt': PEM });
    expect(registryCaFiles('..', [join(root, 'x')])).toEqual([]);
    expect(registryCaFiles('../x', [join(root, 'y')])).toEqual([]);
  });

  it('trusts Node’s roots and the registry’s CAs together, or leaves the default store alone', () => {
    const root = certsRoot({ 'registry.corp/ca.crt': PEM });
    const material = registryTls('registry.corp', [root]);
    expect(material?.ca).toHaveLength(tls.rootCertificates.length + 1);
    expect(material?.ca?.at(-1)).toBe(PEM);
    expect(material?.cert).toBeUndefined();
    expect(registryTls('docker.io', [root])).toBeUndefined();
  });

  it('pairs NAME.cert with NAME.key, as docker does, and ignores a certificate without its key', () => {
    const root = certsRoot({ 'registry.corp/a.cert': 'A', 'registry.corp/client.cert': 'CERT', 'registry.corp/client.key': 'KEY' });
    expect(registryClientCertFiles('registry.corp', [root])).toEqual({
      cert: join(root, 'registry.corp', 'client.cert'),
      key: join(root, 'registry.corp', 'client.key'),
    });
    expect(registryTls('registry.corp', [root])).toEqual({ cert: 'CERT', key: 'KEY' });
    expect(registryClientCertFiles('registry.corp', [certsRoot({ 'registry.corp/a.cert': 'A' })])).toBeUndefined();
  });
});
