import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSchema } from '../../src/util/schemas.js';
import { loadCatalogFile } from '../../src/catalog/load.js';
import { mergeCatalogs, type ImageRule, type OsFamily } from '../../src/catalog/catalogs.js';
import { identifyOs, identifyOsImage } from '../../src/k8s/os.js';
import { classifyImage, parseImageRef } from '../../src/k8s/images.js';
import { validateConfig } from '../../src/config/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const osFile = JSON.parse(readFileSync(path.join(ROOT, 'catalog/os-families.json'), 'utf8')) as { entries: OsFamily[] };
const imageFile = JSON.parse(readFileSync(path.join(ROOT, 'catalog/image-bases.json'), 'utf8')) as { entries: ImageRule[] };
const families = loadCatalogFile('osFamilies') as OsFamily[];
const rules = loadCatalogFile('imageRules') as ImageRule[];

function node(osImage: string | undefined, labels: Record<string, string> = {}, kernelVersion?: string, providerID?: string): Record<string, unknown> {
  const nodeInfo = { ...(osImage === undefined ? {} : { osImage }), ...(kernelVersion === undefined ? {} : { kernelVersion }) };
  const spec = providerID === undefined ? {} : { spec: { providerID } };
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels }, ...spec, status: { nodeInfo } };
}

function classify(image: string): { class: string; rule?: string } {
  const parsed = parseImageRef(image);
  if (!parsed.ok) throw new Error(`${image}: ${parsed.reason}`);
  const result = classifyImage(parsed.ref, rules);
  return result.rule ? { class: result.class, rule: result.rule.id } : { class: result.class };
}

describe('catalogue files', () => {
  it.each([
    ['os-families.json', 'os-families.schema.json', osFile],
    ['image-bases.json', 'image-bases.schema.json', imageFile],
  ])('%s validates against %s', (_file, schema, data) => {
    const validate = compileSchema(schema);
    expect(validate(data)).toBe(true);
    expect(validate.errors ?? null).toBeNull();
  });

  it.each([
    ['os-families', osFile.entries as { id: string; source: string }[]],
    ['image-bases', imageFile.entries as { id: string; source: string }[]],
  ])('%s: every entry cites a source and ids are unique', (_name, entries) => {
    expect(entries.length).toBeGreaterThan(10);
    for (const e of entries) expect(e.source.trim().length).toBeGreaterThan(10);
    const ids = entries.map((e) => e.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('every entry carries examples, so that each rule is exercised', () => {
    expect(osFile.entries.filter((e) => !e.examples?.length).map((e) => e.id)).toEqual([]);
    expect(imageFile.entries.filter((e) => !e.examples?.length).map((e) => e.id)).toEqual([]);
  });

  it('the schema rejects an OS pattern that is not a regular expression', () => {
    const validate = compileSchema('os-families.schema.json');
    const bad = { entries: [{ id: 'x', name: 'X', class: 'general-purpose', osImage: ['^X('], source: 'https://example.org' }] };
    expect(validate(bad)).toBe(false);
  });

  it('the schema rejects an image class other than distroless, minimal, full', () => {
    const validate = compileSchema('image-bases.schema.json');
    expect(validate({ entries: [{ id: 'x', class: 'unknown', repository: '*', source: 's' }] })).toBe(false);
  });
});

describe('OS families', () => {
  const cases = osFile.entries.flatMap((f) => (f.examples ?? []).map((ex) => [f.id, ex] as const));

  it.each(cases)('%s recognises its example %j', (id, example) => {
    const n = typeof example === 'string' ? node(example) : node(example.osImage, example.labels, example.kernelVersion, example.providerID);
    expect(identifyOs(n, families).family?.id).toBe(id);
  });

  it('osImage patterns never overlap: each example string matches one family only', () => {
    for (const family of osFile.entries) {
      for (const example of family.examples ?? []) {
        if (typeof example !== 'string') continue;
        const matching = osFile.entries.filter((f) => (f.osImage ?? []).some((p) => new RegExp(p, 'iu').test(example)));
        expect([example, matching.map((f) => f.id)]).toEqual([example, [family.id]]);
      }
    }
  });

  it.each([
    ['Talos (v1.7.6)', 'talos', 'container-optimized'],
    ['Flatcar Container Linux by Kinvolk 3815.2.2 (Oklo)', 'flatcar', 'container-optimized'],
    ['Fedora CoreOS 41.20250215.3.0', 'fedora-coreos', 'container-optimized'],
    ['Bottlerocket OS 1.44.0 (aws-k8s-1.33)', 'bottlerocket', 'container-optimized'],
    ['Bottlerocket (EKS Auto, Nvidia) 2026.4.23 (aws-k8s-1.34-nvidia)', 'bottlerocket', 'container-optimized'],
    ['Container-Optimized OS from Google', 'cos', 'container-optimized'],
    ['Red Hat Enterprise Linux CoreOS 414.92.202308151250-0 (Plow)', 'rhcos', 'container-optimized'],
    ['Red Hat Enterprise Linux CoreOS 9.6.20260303-1 (Plow)', 'rhcos', 'container-optimized'],
    ['k3OS v0.9.1', 'k3os', 'container-optimized'],
    ['SUSE Linux Enterprise Micro 5.3', 'sle-micro', 'container-optimized'],
    ['Ubuntu 22.04.2 LTS', 'ubuntu', 'general-purpose'],
    ['Debian GNU/Linux 12 (bookworm)', 'debian', 'general-purpose'],
    ['Red Hat Enterprise Linux 8.9 (Ootpa)', 'rhel', 'general-purpose'],
    ['CentOS Stream 9', 'centos', 'general-purpose'],
    ['Amazon Linux 2', 'amazon-linux-2', 'general-purpose'],
    ['Amazon Linux 2023.5.20240624', 'amazon-linux-2023', 'general-purpose'],
    ['CBL-Mariner/Linux', 'azure-linux', 'general-purpose'],
    ['Microsoft Azure Linux 3.0', 'azure-linux', 'general-purpose'],
    ['Oracle Linux Server 8.9', 'oracle-linux', 'general-purpose'],
    ['Rocky Linux 9.3 (Blue Onyx)', 'rocky', 'general-purpose'],
    ['AlmaLinux 9.4 (Seafoam Ocelot)', 'almalinux', 'general-purpose'],
    ['Windows Server 2022 Datacenter', 'windows', 'windows'],
    ['Red Hat CoreOS 4.0.5470', 'rhcos', 'container-optimized'],
    ['RancherOS v1.5.8', 'rancheros', 'container-optimized'],
    ['K3s v1.31.2+k3s1', 'k3s-in-docker', 'node-in-container'],
  ])('%s → %s (%s)', (osImage, id, cls) => {
    const family = identifyOsImage(osImage, families);
    expect(family?.id).toBe(id);
    expect(family?.class).toBe(cls);
  });

  it.each(['Buildroot 2023.02.9', 'Docker Desktop', 'Linux', 'NixOS 24.05 (Uakari)'])('leaves %j unrecognised', (osImage) => {
    expect(identifyOsImage(osImage, families)).toBeUndefined();
  });

  it('an AKS label identifies Azure Container Linux even when the osImage would say Azure Linux', () => {
    const n = node('Microsoft Azure Linux 3.0', { 'kubernetes.azure.com/os-sku': 'AzureContainerLinux' });
    expect(identifyOs(n, families).family?.id).toBe('azure-container-linux');
  });

  it.each([
    ['6.6.32-talos', 'talos'],
    ['6.1.85-flatcar', 'flatcar'],
    ['6.12.55+', 'cos'],
    ['6.1.102-111.182.amzn2023.x86_64', 'amazon-linux-2023'],
    ['5.10.219-208.866.amzn2.x86_64', 'amazon-linux-2'],
    ['5.15.116.1-2.cm2', 'azure-linux'],
    ['4.14.138-rancher', 'rancheros'],
  ])('kernel %s alone → %s', (kernelVersion, id) => {
    expect(identifyOs(node(undefined, {}, kernelVersion), families)).toMatchObject({ family: { id }, signal: 'kernelVersion' });
  });

  it.each([
    // Fedora's kernel runs Fedora Server and Fedora CoreOS; .azl3 runs Azure Linux and (built from its packages) Azure Container Linux
    ['6.6.3-200.fc39.x86_64', ['fedora-coreos', 'fedora']],
    ['6.6.85.1-2.azl3', ['azure-container-linux', 'azure-linux']],
  ])('kernel %s alone narrows to %j and decides nothing', (kernelVersion, ids) => {
    const identity = identifyOs(node(undefined, {}, kernelVersion), families);
    expect(identity.family).toBeUndefined();
    expect(identity.ambiguous?.[0]?.families.map((f) => f.id)).toEqual(ids);
  });

  it.each([
    // a Raspberry Pi kernel ends in + too, but is not COS's bare version
    '5.15.84-v8+',
    '5.15.0-117-generic',
    '4.18.0-553.16.1.el8_10.x86_64',
    '6.1.90',
  ])('kernel %s alone identifies nothing', (kernelVersion) => {
    expect(identifyOs(node(undefined, {}, kernelVersion), families).family).toBeUndefined();
  });

  it('node.openshift.io/os_id=rhel is RHEL or RHCOS 4.19+, so the osImage decides; os_id=rhcos alone decides', () => {
    expect(identifyOs(node(undefined, { 'node.openshift.io/os_id': 'rhel' }), families).family).toBeUndefined();
    expect(identifyOs(node('Red Hat Enterprise Linux CoreOS 9.6.20250916-0 (Plow)', { 'node.openshift.io/os_id': 'rhel' }), families)).toMatchObject({
      family: { id: 'rhcos' },
      signal: 'osImage',
    });
    expect(identifyOs(node(undefined, { 'node.openshift.io/os_id': 'rhcos' }), families).family?.id).toBe('rhcos');
  });

  it('reads the labels of the Kairos operator over the Ubuntu os-release a Kairos 3 node keeps', () => {
    const n = node('Ubuntu 24.04.1 LTS', {
      'kairos.io/id': 'kairos',
      'kairos.io/flavor': 'ubuntu',
      'feature.node.kubernetes.io/system-os_release.ID': 'ubuntu',
    });
    const identity = identifyOs(n, families);
    expect(identity).toMatchObject({ family: { id: 'kairos' }, signal: 'label:kairos.io/id' });
    expect(identity.conflicts?.map((c) => c.signal)).toEqual(['osImage', 'label:feature.node.kubernetes.io/system-os_release.ID']);
  });

  it('a GKE node without osImage is recognised by its gke-os-distribution label', () => {
    expect(identifyOs(node(undefined, { 'cloud.google.com/gke-os-distribution': 'cos' }), families)).toMatchObject({
      family: { id: 'cos' },
      evidence: 'label cloud.google.com/gke-os-distribution=cos',
    });
  });

  it('every borderline general-purpose decision carries its reasoning', () => {
    for (const id of ['azure-linux', 'amazon-linux-2023', 'photon', 'kairos', 'windows']) {
      expect(osFile.entries.find((f) => f.id === id)?.reasoning?.length ?? 0).toBeGreaterThan(40);
    }
  });
});

describe('image bases', () => {
  const cases = imageFile.entries.flatMap((r) => (r.examples ?? []).map((ex) => [r.id, ex, r.class] as const));

  it.each(cases)('%s decides its example %s', (id, example, cls) => {
    expect(classify(example)).toEqual({ class: cls, rule: id });
  });

  it.each([
    ['gcr.io/distroless/static-debian12:nonroot', 'distroless'],
    ['gcr.io/distroless/python3-debian12:debug', 'minimal'],
    [`gcr.io/distroless/base-debian12@sha256:${'e'.repeat(64)}`, 'distroless'],
    ['cgr.dev/chainguard/go:latest', 'distroless'],
    ['cgr.dev/chainguard/go:latest-dev', 'minimal'],
    ['registry.k8s.io/kube-apiserver:v1.30.2', 'distroless'],
    ['registry.k8s.io/kube-proxy:v1.30.2', 'minimal'],
    ['registry.k8s.io/pause:3.9', 'distroless'],
    ['registry.k8s.io/coredns/coredns:v1.11.1', 'distroless'],
    ['registry.k8s.io/ingress-nginx/controller:v1.10.1', 'minimal'],
    ['quay.io/jetstack/cert-manager-controller:v1.15.1', 'distroless'],
    ['quay.io/cilium/cilium:v1.15.6', 'full'],
    ['quay.io/cilium/operator-generic:v1.15.6', 'distroless'],
    ['docker.io/calico/node:v3.28.0', 'minimal'],
    ['ghcr.io/kyverno/kyverno:v1.12.5', 'distroless'],
    ['openpolicyagent/gatekeeper:v3.16.3', 'distroless'],
    ['alpine:3.20', 'minimal'],
    ['busybox', 'minimal'],
    ['ubuntu:24.04', 'full'],
    ['debian:bookworm-slim', 'minimal'],
    ['node:20', 'full'],
    ['node:20-alpine', 'minimal'],
    ['python:3.12', 'full'],
    ['python:3.12-slim', 'minimal'],
    ['golang:1.22-alpine', 'minimal'],
    ['eclipse-temurin:21-jre', 'full'],
    [`python@sha256:${'f'.repeat(64)}`, 'full'],
    ['registry.access.redhat.com/ubi9/ubi-minimal:9.4', 'minimal'],
    ['registry.access.redhat.com/ubi9/ubi:9.4', 'full'],
  ])('%s is %s', (image, cls) => {
    expect(classify(image).class).toBe(cls);
  });

  it.each([
    'registry.corp.io/team/api:1.4.2',
    'ghcr.io/acme/worker:2.0',
    'bitnami/redis:7.2.5',
    'registry.access.redhat.com/ubi9/openjdk-21-runtime:1.20',
    'registry.k8s.io/sig-storage/nfsplugin:v4.8.0',
    // the default EKS kube-proxy build, unlike its -minimal- variant, has no rule
    '602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.30.0-eksbuild.3',
  ])('leaves %s unknown rather than guessing', (image) => {
    expect(classify(image)).toEqual({ class: 'unknown' });
  });
});

describe('user overrides from the config file', () => {
  it('an internal golden base image and an in-house OS win over the built-in entries', () => {
    const config = {
      catalogs: {
        imageRules: [{ id: 'corp-base', class: 'distroless', repository: 'registry.corp/base/*', source: 'internal golden images, built FROM scratch' }],
        osFamilies: [{ id: 'corp-os', name: 'CorpOS', class: 'container-optimized', osImage: ['^CorpOS\\b'], source: 'internal build' }],
      },
    };
    validateConfig(config, 'kposture.yaml');
    const merged = mergeCatalogs({ osFamilies: families, imageRules: rules, policyEngines: [], cnis: [], tenancyFrameworks: [] }, config.catalogs);
    const parsed = parseImageRef('registry.corp/base/team/api:1.0');
    expect(parsed.ok && classifyImage(parsed.ref, merged.imageRules).rule?.id).toBe('corp-base');
    expect(identifyOsImage('CorpOS 3.1', merged.osFamilies)?.class).toBe('container-optimized');
  });

  it('the config file rejects an OS entry whose pattern is not a regular expression', () => {
    const config = { catalogs: { osFamilies: [{ id: 'bad', name: 'Bad', class: 'general-purpose', osImage: ['(('], source: 's' }] } };
    expect(() => validateConfig(config, 'kposture.yaml')).toThrow(/osFamilies/);
  });
});
