/**
 * The slim guard: views that follow SLIM_SHAPES and throw, naming the kind and the field, when a
 * check reads a field the slim projection drops; and the engine's test mode that hands them to
 * built-in checks. Every built-in check on every fixture under the guard: test/k8s/slim.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoKey, type Check, type CheckContext, type Outcome } from '../../src/engine/check.js';
import { runChecks } from '../../src/engine/run.js';
import { guardSlim, SlimContractError } from '../../src/engine/slim-guard.js';
import { loadBuiltinCatalogs } from '../../src/catalog/load.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { field, type K8sObject } from '../../src/k8s/object.js';
import { LAST_APPLIED_ANNOTATION, slimProjection } from '../../src/k8s/slim.js';
import { inventoryOf } from '../support/inventory.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function pod(): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'team-a',
      uid: '3f1c',
      labels: { app: 'web' },
      annotations: { [LAST_APPLIED_ANNOTATION]: '{}', team: 'a' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9', uid: '9a', controller: true }],
    },
    spec: {
      nodeName: 'node-1',
      containers: [
        { name: 'app', image: 'nginx:1.27', env: [{ name: 'A', value: 'x' }], securityContext: { runAsNonRoot: true } },
        { name: 'sidecar', image: 'envoy:1.31' },
      ],
      volumes: [
        { name: 'host', hostPath: { path: '/var/run' } },
        { name: 'cfg', configMap: { name: 'c' } },
      ],
    },
    status: { phase: 'Running', podIP: '10.0.0.1' },
  };
}

function contractError(read: () => unknown): SlimContractError {
  try {
    read();
  } catch (err) {
    if (err instanceof SlimContractError) return err;
    throw err;
  }
  throw new Error('no SlimContractError');
}

describe('guardSlim', () => {
  it('reads kept fields as the object has them, nested records and arrays included', () => {
    const obj = pod();
    const g = guardSlim(KINDS.Pod, obj);
    expect(field(g, 'metadata', 'name')).toBe('web-1');
    expect(field(g, 'metadata', 'labels')).toBe(field(obj, 'metadata', 'labels'));
    const containers = field(g, 'spec', 'containers') as { name: string; image: string; securityContext?: unknown }[];
    expect(Array.isArray(containers)).toBe(true);
    expect(containers).toHaveLength(2);
    expect(containers.map((c) => c.image)).toEqual(['nginx:1.27', 'envoy:1.31']);
    expect([...containers].map((c) => c.name)).toEqual(['app', 'sidecar']);
    const names: string[] = [];
    for (const c of containers) names.push(c.name);
    expect(names).toEqual(['app', 'sidecar']);
    expect(containers[0]!.securityContext).toBe((obj.spec as { containers: { securityContext: unknown }[] }).containers[0]!.securityContext);
    expect(containers.find((c) => c.name === 'sidecar')?.securityContext).toBeUndefined();
    expect(Object.entries(field(g, 'metadata', 'ownerReferences') as object[])).toHaveLength(1);
    expect(field(g, 'status', 'phase')).toBe('Running');
    expect(Object.getPrototypeOf(g)).toBe(Object.prototype);
  });

  it('shows what the projection keeps to Object.keys, spread, for…in and JSON.stringify', () => {
    const obj = pod();
    const g = guardSlim(KINDS.Pod, obj);
    expect(JSON.stringify(g)).toBe(JSON.stringify(slimProjection()(KINDS.Pod, pod())));
    expect(Object.keys(g.spec as object)).toEqual(['containers', 'volumes']);
    // Round-tripped: outside a check run, jest's own reads (asymmetricMatch…) are reads of dropped fields.
    expect(JSON.parse(JSON.stringify({ ...(g.metadata as object) }))).toEqual({
      name: 'web-1',
      namespace: 'team-a',
      labels: { app: 'web' },
      annotations: { team: 'a' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9', controller: true }],
    });
    const keys: string[] = [];
    for (const key in (g.spec as { containers: object[] }).containers[0]!) keys.push(key);
    expect(keys).toEqual(['name', 'image', 'securityContext']);
  });

  it('throws on a dropped field, naming the kind and the path, whether or not the object has it', () => {
    const g = guardSlim(KINDS.Pod, pod());
    const nodeName = contractError(() => field(g, 'spec', 'nodeName'));
    expect([nodeName.kind, nodeName.path]).toEqual(['Pod', 'spec.nodeName']);
    expect(nodeName.message).toContain('add it to SLIM_SHAPES in src/k8s/slim.ts');
    expect(contractError(() => field(g, 'spec', 'tolerations')).path).toBe('spec.tolerations');
    expect(contractError(() => Object.prototype.hasOwnProperty.call((field(g, 'spec', 'containers') as object[])[0]!, 'env')).path).toBe(
      'spec.containers[0].env',
    );
    expect(contractError(() => 'resources' in (field(g, 'spec', 'containers') as object[])[1]!).path).toBe('spec.containers[1].resources');
    expect(contractError(() => field(g, 'metadata', 'uid')).path).toBe('metadata.uid');
    expect(contractError(() => (field(g, 'metadata', 'ownerReferences') as Record<string, unknown>[])[0]!.uid).path).toBe('metadata.ownerReferences[0].uid');
    expect(contractError(() => (field(g, 'spec', 'volumes') as Record<string, unknown>[])[1]!.configMap).path).toBe('spec.volumes[1].configMap');
    expect(contractError(() => field(g, 'metadata', 'annotations', LAST_APPLIED_ANNOTATION)).path).toBe(`metadata.annotations.${LAST_APPLIED_ANNOTATION}`);
    expect(contractError(() => field(g, 'status', 'podIP')).path).toBe('status.podIP');
  });

  it("keeps every other field of a '*' shape, and follows the kind's shape", () => {
    const cm = guardSlim('ResourceQuota', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'c', uid: 'u', managedFields: [] },
      spec: { hard: { pods: '10' } },
    });
    expect(field(cm, 'spec', 'hard', 'pods')).toBe('10');
    expect(field(cm, 'metadata', 'uid')).toBe('u');
    expect(contractError(() => field(cm, 'metadata', 'managedFields')).path).toBe('metadata.managedFields');
    const node = guardSlim(KINDS.Node, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
      spec: { podCIDR: '10.0.0.0/24' },
      status: { nodeInfo: { osImage: 'Talos' }, images: [] },
    });
    expect(field(node, 'spec', 'podCIDR')).toBe('10.0.0.0/24');
    expect(contractError(() => field(node, 'status', 'images')).kind).toBe('Node');
  });

  it('keeps values of an unexpected shape as they are, as the projection does', () => {
    const odd = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: 5, ownerReferences: 'x' },
      spec: { containers: { not: 'a list' }, volumes: [7, null] },
      status: 'weird',
    };
    expect(JSON.parse(JSON.stringify(guardSlim(KINDS.Pod, odd)))).toEqual(odd);
  });

  it('is read-only', () => {
    const g = guardSlim(KINDS.Pod, pod());
    expect(() => {
      (g.metadata as Record<string, unknown>).name = 'x';
    }).toThrow(/never modify/);
    expect(() => (field(g, 'spec', 'containers') as unknown[]).push({})).toThrow(TypeError);
    expect(() => delete (g as Record<string, unknown>).status).toThrow(TypeError);
  });

  it('guards frozen objects (the shared parts of slim records)', () => {
    const slim = slimProjection()(KINDS.Pod, pod());
    Object.freeze(slim.spec);
    const g = guardSlim(KINDS.Pod, slim);
    expect((field(g, 'spec', 'containers') as { image: string }[])[0]!.image).toBe('nginx:1.27');
    expect(contractError(() => field(g, 'spec', 'nodeName')).path).toBe('spec.nodeName');
  });
});

function testCheck(evaluate: (ctx: CheckContext) => Outcome): Check {
  return {
    meta: {
      id: 'TEST-01',
      title: 'reads where a pod runs',
      category: 'die',
      severity: 'low',
      rationale: 'r',
      remediation: 'f',
      references: ['https://example.com'],
      reads: [KINDS.Pod],
      messages: { scheduled: '{name} runs on {node}' },
    },
    evaluate,
  };
}

/** Reads spec.nodeName, which the slim projection drops: in the audit it is always undefined. */
const readsNodeName = testCheck((ctx) => ({
  status: 'pass',
  subjects: ctx.items(KINDS.Pod).map((p) => ({
    resource: { kind: 'Pod', name: String(field(p, 'metadata', 'name')) },
    verdict: field(p, 'spec', 'nodeName') === undefined ? 'fail' : 'pass',
  })),
  findings: [],
}));

const run = (check: Check, guard: boolean, objects: K8sObject[] = [pod()]): Outcome =>
  runChecks({ inventory: inventoryOf(objects), checks: [check], catalogs: loadBuiltinCatalogs(), systemNamespaces: new Set(), guardSlim: guard })[0]!.outcome;

describe('runChecks({ guardSlim: true })', () => {
  it('throws when a check reads a field the slim projection drops, naming the check, the kind and the field', () => {
    expect(() => run(readsNodeName, true)).toThrow(SlimContractError);
    expect(() => run(readsNodeName, true)).toThrow('check TEST-01 reads Pod spec.nodeName, which the slim projection drops');
    // Without the guard the check runs, on whole objects here; in the audit it would see no node.
    expect(run(readsNodeName, false).status).toBe('pass');
  });

  it('throws even when the check caught the error itself', () => {
    const swallows = testCheck((ctx) => {
      try {
        field(ctx.items(KINDS.Pod)[0], 'spec', 'nodeName');
      } catch {
        // a check that treats any error as "no data"
      }
      return { status: 'pass', subjects: [], findings: [] };
    });
    expect(() => run(swallows, true)).toThrow(/spec\.nodeName/);
  });

  it('guards what ctx.memo computes from too', () => {
    const key = memoKey<unknown[]>('test/node-names', [KINDS.Pod]);
    const viaMemo = testCheck((ctx) => {
      ctx.memo(key, (memoCtx) => memoCtx.items(KINDS.Pod).map((p) => field(p, 'spec', 'nodeName')));
      return { status: 'pass', subjects: [], findings: [] };
    });
    expect(() => run(viaMemo, true)).toThrow(/check TEST-01 reads Pod spec\.nodeName/);
  });

  it('still turns other errors into unknown, and leaves checks that read kept fields alone', () => {
    const throws = testCheck(() => {
      throw new Error('boom');
    });
    expect(run(throws, true)).toMatchObject({ status: 'unknown', reason: expect.stringContaining('boom') });
    const readsImages = testCheck((ctx) => ({
      status: 'pass',
      subjects: ctx
        .items(KINDS.Pod)
        .map((p) => ({ resource: { kind: 'Pod', name: 'x' }, verdict: 'pass', details: { images: JSON.stringify(field(p, 'spec', 'containers')) } })),
      findings: [],
    }));
    // The guard shows a whole object as its slim record would read.
    const slim = slimProjection();
    expect(run(readsImages, true)).toEqual(run(readsImages, false, [slim(KINDS.Pod, pod())]));
  });

  it('lets the engine and tests read an outcome holding a view: dropped fields read as absent there', () => {
    const keepsOwner = testCheck((ctx) => ({
      status: 'pass',
      subjects: [
        {
          resource: { kind: 'Pod', name: 'web-1' },
          verdict: 'pass',
          details: { owner: (field(ctx.items(KINDS.Pod)[0], 'metadata', 'ownerReferences') as Record<string, unknown>[])[0]! },
        },
      ],
      findings: [],
    }));
    const outcome = run(keepsOwner, true);
    const owner = outcome.status === 'pass' ? (outcome.subjects[0]!.details!.owner as Record<string, unknown>) : {};
    expect(owner.uid).toBeUndefined();
    expect(owner).toEqual({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9', controller: true });
  });

  it('is never turned on by the CLI', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const cli = files(path.join(ROOT, 'src/cli')).filter((f) => f.endsWith('.ts'));
    expect(cli.length).toBeGreaterThan(0);
    expect(cli.filter((f) => readFileSync(f, 'utf8').includes('guardSlim'))).toEqual([]);
  });
});
