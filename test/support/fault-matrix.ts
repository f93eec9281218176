/**
 * The fault matrix, shared by test/reliability/fault-matrix.test.ts (transport faults) and
 * malformed-matrix.test.ts (200 answers of the wrong shape): every cell runs `audit` or
 * `snapshot` through main() against its own fixture API server with the fault injected, and is
 * judged against the fault-free run:
 *
 * - transient (the first one or two requests of the target fail): the result is byte for byte the
 *   fault-free run's (report without its timestamp and server URL; snapshot file whole);
 * - persistent (every request of the target fails): exactly the target's kinds become `error`
 *   with a reason naming the fault, exactly the checks that require them become `unknown` with
 *   that reason, every other check and kind is as in the fault-free run, coverage does not rise
 *   (and drops when a lost check had been evaluated), the table says what failed, and the
 *   snapshot leaves out exactly those kinds, saying so on stderr;
 * - always: exit 0, no crash, every run under its time bound, only GETs, never a Secret.
 *
 * Cells run concurrently (they mostly wait on retries), so the matrix costs seconds, not minutes.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { mapBounded } from '../../src/kube/limit.js';
import { KINDS, kindId, kindSpec, type KindId } from '../../src/k8s/kinds.js';
import type { Report } from '../../src/report/model.js';
import { startFixtureServer, writeKubeconfig, type RecordedRequest } from './fixture-server.js';
import { writeSyntheticCluster } from './fixture-cluster.js';
import { runMain } from './fixture-cli.js';
import { FAULTS, FaultPlan, MALFORMED_DISCOVERY, MALFORMED_LISTS, requestsKind, type Fault } from './faults.js';
import type { ServedResource } from './fixture-server.js';
import { kindsToCollect } from '../../src/engine/run.js';
import { readOnlyViolations } from './read-only.js';
import { unwrapped } from './table.js';

/** Every list page holds one item, so that every kind with two or more objects is paged. */
const PAGE = 1;
/**
 * Generous for a loaded CI machine (cells share one event loop, and two cores with other suites,
 * the malformed-answer matrix among them): a healthy request must never time out, or a transient
 * cell would differ for the wrong reason. 3 s, then 6 s, were missed under that load (a transient
 * `slow` cell's retry, or a discovery document, answered late): the margin is wide on purpose, and
 * costs only the waits of the `slow` cells, which overlap.
 */
const REQUEST_TIMEOUT_S = 15;
/** A `slow` answer comes well after the request timeout (the client has given up long before). */
const SLOW_MS = 3 * REQUEST_TIMEOUT_S * 1000;
const DEADLINE_S = 180;
/**
 * No cell may take longer: 4 tries with waits of at most 1s (Retry-After), or 2 timeouts, plus
 * slack for load; a cell that hung would run into the deadline and past this.
 */
const CELL_BOUND_MS = 120_000;

/** How a matrix runs: cells that never wait on a timeout may be given more time under load. */
export interface MatrixTiming {
  requestTimeoutS: number;
  cellBoundMs: number;
}
let timing: MatrixTiming = { requestTimeoutS: REQUEST_TIMEOUT_S, cellBoundMs: CELL_BOUND_MS };
const CONCURRENCY = 16;
/**
 * The whole matrix, run once in beforeAll: every cell is bounded on its own (cellBoundMs), and the
 * sum grows with the kinds the checks read (more in the malformed matrix since ConfigMaps, Kyverno
 * ValidatingPolicies and Kubewarden policy groups joined), so the bound leaves room for a loaded
 * 2-core CI machine running the other matrix beside it.
 */
const MATRIX_BOUND_MS = 1_200_000;

export type Command = 'audit' | 'snapshot';
export type Mode = 'transient' | 'persistent';

export interface Target {
  name: string;
  match: (req: RecordedRequest) => boolean;
  /** The kinds a persistent fault takes away. */
  kinds: KindId[];
  /** Whether the target's answers span several pages (else an expired continue token cannot happen). */
  paged: boolean;
  /** Discovery documents are only faulted transiently here (persistent ones: test/inventory/live.test.ts). */
  persistent: boolean;
}

const LIST_KINDS: KindId[] = [
  KINDS.Namespace,
  KINDS.Node,
  KINDS.Pod,
  KINDS.Deployment,
  KINDS.ReplicaSet,
  KINDS.NetworkPolicy,
  KINDS.CustomResourceDefinition,
  KINDS.ValidatingWebhookConfiguration,
  KINDS.KyvernoClusterPolicy,
];

/** How many leading requests of the target a transient fault spoils. */
const TRANSIENT_TIMES: Partial<Record<Fault, number>> = { throttle: 1, internal: 2, unavailable: 2, reset: 2, truncated: 2, slow: 1, gone: 2 };

/** What a kind's inventory reason must say after each persistent fault. */
const REASON: Record<Fault, RegExp> = {
  throttle: /^429 TooManyRequests: .*\(tried 4 times\)$/,
  internal: /^500 InternalError: .*\(tried 4 times\)$/,
  unavailable: /^503 ServiceUnavailable: .*\(tried 4 times\)$/,
  reset: /ECONNRESET.*\(tried 4 times\)$/,
  truncated: /is not valid JSON \(EBADJSON\) \(tried 4 times\)$/,
  slow: new RegExp(`^no answer within ${REQUEST_TIMEOUT_S}s \\(tried 2 times\\)$`),
  gone: /^410 Expired: .*\(the list was restarted 2 times and its continue token expired every time\)$/,
  'empty-object': /^the answer to GET \S+ is not an? \w+: kind is missing, not "\w+"$/,
  'items-missing': /^the answer to GET \S+ is not a \w+List: items is missing, not an array$/,
  'items-null': /^the answer to GET \S+ is not a \w+List: items is null, not an array$/,
  'items-object': /^the answer to GET \S+ is not a \w+List: items is an object, not an array$/,
  'status-200': /^the answer to GET \S+ is not an? \w+: the answer is a Status object \(Failure InternalError etcdserver: leader changed\), not an? \w+$/,
  'wrong-kind': /^the answer to GET \S+ is not a (\w+)List: kind is "(NamespaceList|PodList)", not "\1List"$/,
  'continue-number': /^the answer to GET \S+ is not a \w+List: metadata.continue is a number, not a string$/,
  'groups-null': /^the answer to GET \S+ is not an? \w+: kind is missing, not "\w+"$/,
};

export interface Cell {
  command: Command;
  mode: Mode;
  fault: Fault;
  target: Target;
}

interface CellResult {
  cell: Cell;
  injected: number;
  code: number;
  ms: number;
  /** Checks that turned unknown (persistent audit cells). */
  unknown: number;
  /** Checks that only optionally read a lost kind and changed their result (must stay 0). */
  falseVerdicts: string[];
  /** Checks that only optionally read a lost kind and kept their verdict, with less detail. */
  degraded: number;
  /** Everything that was not as expected; empty when the cell passed. */
  problems: string[];
}

let clusterFile: string;
let workDir: string;
let served: Map<KindId, number>;
/** Kinds the checks read that the synthetic cluster has no API for: served empty, so that each can be spoiled. */
let emptyKinds: ServedResource[];
let baseline: { report: Report; table: string; snapshot: string };
const requests: RecordedRequest[] = [];
const results: CellResult[] = [];

function targets(): Target[] {
  const byKind = LIST_KINDS.map((kind): Target => ({
    name: kind,
    match: (req) => requestsKind(kind, req),
    kinds: [kind],
    paged: (served.get(kind) ?? 0) > PAGE,
    persistent: true,
  }));
  const discovery = (name: string, p: string, kinds: KindId[], persistent: boolean): Target => ({
    name,
    match: (req) => req.path === p,
    kinds,
    paged: false,
    persistent,
  });
  return [
    ...byKind,
    discovery('discovery /version', '/version', [], false),
    discovery('discovery /api', '/api', [], false),
    discovery('discovery /apis', '/apis', [], false),
    // A whole group-version document: every kind in it is lost, nothing else.
    discovery('discovery /apis/apps/v1', '/apis/apps/v1', [KINDS.Deployment, KINDS.ReplicaSet, KINDS.DaemonSet, KINDS.StatefulSet], true),
  ];
}

/** Every kind the checks read, each served (with no objects where the cluster has none). */
function readKinds(): KindId[] {
  return kindsToCollect(BUILTIN_CHECKS).filter((k) => !kindSpec(k)?.dynamic);
}

/** The targets of malformed answers: every list the checks read, and the discovery documents. */
function malformedTargets(): { lists: Target[]; discovery: Target[] } {
  const known = Object.values(KINDS);
  const lists = readKinds().map((kind): Target => ({ name: kind, match: (req) => requestsKind(kind, req), kinds: [kind], paged: false, persistent: true }));
  const discovery = (name: string, kinds: KindId[]): Target => ({
    name: `discovery ${name}`,
    match: (req) => req.path === name,
    kinds,
    paged: false,
    persistent: true,
  });
  return {
    lists,
    discovery: [
      // A root document decides every kind of its part of the API: core, or every group.
      discovery(
        '/api',
        known.filter((k) => !k.includes('.')),
      ),
      discovery(
        '/apis',
        known.filter((k) => k.includes('.')),
      ),
      discovery('/apis/apps/v1', [KINDS.Deployment, KINDS.ReplicaSet, KINDS.DaemonSet, KINDS.StatefulSet]),
    ],
  };
}

/** The (command, mode, fault) groups of a set of faults, each a test of the matrix. */
export function faultGroups(modes: readonly Mode[], faults: Iterable<Fault>): [Command, Mode, Fault][] {
  const out: [Command, Mode, Fault][] = [];
  for (const command of ['audit', 'snapshot'] as const) for (const mode of modes) for (const fault of faults) out.push([command, mode, fault]);
  return out;
}

/** The transport faults: every fault × every target, transient and persistent. */
export function transportCells(): Cell[] {
  const out: Cell[] = [];
  for (const command of ['audit', 'snapshot'] as const) {
    for (const mode of ['transient', 'persistent'] as const) {
      for (const fault of FAULTS) {
        for (const target of targets()) {
          if (fault === 'gone' && !target.paged) continue;
          if (mode === 'persistent' && !target.persistent) continue;
          out.push({ command, mode, fault, target });
        }
      }
    }
  }
  return out;
}

/** The malformed answers: every form × every kind the checks read, and the discovery forms × the discovery documents. */
export function malformedCells(): Cell[] {
  const out: Cell[] = [];
  const malformed = malformedTargets();
  for (const command of ['audit', 'snapshot'] as const) {
    for (const fault of MALFORMED_LISTS) for (const target of malformed.lists) out.push({ command, mode: 'persistent', fault, target });
    for (const fault of MALFORMED_DISCOVERY) for (const target of malformed.discovery) out.push({ command, mode: 'persistent', fault, target });
  }
  return out;
}

async function run(
  command: Command,
  plan: FaultPlan | undefined,
  tag: string,
): Promise<{ code: number; ms: number; stdout: string; stderr: string; table: string; snapshot: string }> {
  const server = await startFixtureServer({ snapshot: [clusterFile], extra: emptyKinds, maxPageSize: PAGE, ...(plan ? { intercept: plan.intercept } : {}) });
  const kc = writeKubeconfig(server, { context: 'faulty', dir: mkdtempSync(path.join(workDir, 'kc-')) });
  const table = path.join(workDir, `${tag}.txt`);
  const snap = path.join(workDir, `${tag}.json`);
  const flags = ['--kubeconfig', kc.file, '--request-timeout', String(timing.requestTimeoutS), '--timeout', String(DEADLINE_S)];
  try {
    const r = await runMain(command === 'audit' ? ['audit', '--format', 'json', '--report', `table=${table}`, ...flags] : ['snapshot', '-o', snap, ...flags]);
    const read = (f: string): string => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    return { ...r, table: read(table), snapshot: read(snap) };
  } finally {
    plan?.close();
    requests.push(...server.requests);
    await server.close();
  }
}

/** The report without what differs between two servers: the time and the server's port. */
function comparable(report: Report): Record<string, unknown> {
  const r = JSON.parse(JSON.stringify(report)) as Record<string, unknown> & { target: Record<string, unknown> };
  delete r.generatedAt;
  delete r.target.server;
  return r;
}

/** JSON with object keys sorted: equal for equal data, whatever order the keys were built in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function checkReads(id: string): { required: KindId[]; optional: KindId[] } {
  const c = BUILTIN_CHECKS.find((x) => x.meta.id === id)!;
  return { required: [...c.meta.reads], optional: [...(c.meta.optionalReads ?? [])] };
}

function judgeAudit(
  cell: Cell,
  r: { code: number; stdout: string; table: string },
  problems: string[],
): { unknown: number; falseVerdicts: string[]; degraded: number } {
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    problems.push('stdout is not a JSON report');
    return { unknown: 0, falseVerdicts: [], degraded: 0 };
  }
  if (cell.mode === 'transient') {
    if (JSON.stringify(comparable(report)) !== JSON.stringify(comparable(baseline.report))) problems.push('the report differs from the fault-free run');
    return { unknown: 0, falseVerdicts: [], degraded: 0 };
  }
  // A kind that was not served can be lost too: a broken discovery document hides that it is absent.
  const lost = new Set(cell.target.kinds.filter((k) => baseline.report.inventory.some((e) => e.kind === k)));
  for (const entry of report.inventory) {
    const before = baseline.report.inventory.find((e) => e.kind === entry.kind);
    if (lost.has(entry.kind)) {
      if (entry.status !== 'error') problems.push(`${entry.kind} is ${entry.status}, not error`);
      const reason = entry.reason ?? '';
      const bare = reason.replace(/^discovery of [^:]+: /, '');
      if (!REASON[cell.fault].test(bare)) problems.push(`${entry.kind} reason "${reason}" does not match ${String(REASON[cell.fault])}`);
    } else if (JSON.stringify(entry) !== JSON.stringify(before)) {
      problems.push(`${entry.kind} changed: ${JSON.stringify(before)} -> ${JSON.stringify(entry)}`);
    }
  }
  let unknown = 0;
  const falseVerdicts: string[] = [];
  let evaluatedWeightLost = 0;
  let degraded = 0;
  for (const check of report.checks) {
    const before = baseline.report.checks.find((c) => c.id === check.id)!;
    const { required, optional } = checkReads(check.id);
    if (required.some((k) => lost.has(k))) {
      unknown++;
      if (check.status !== 'unknown' || check.score !== null) problems.push(`${check.id} is ${check.status}, not unknown`);
      if (![...lost].some((k) => check.reason?.includes(`listing ${k} failed`)))
        problems.push(`${check.id} reason "${check.reason}" does not name the lost kind`);
      // The table wraps its lines at 80 columns: a reason may continue on the next line.
      const table = unwrapped(r.table);
      if (!table.includes(`${check.id} `) || ![...lost].some((k) => table.includes(`listing ${k} failed`)))
        problems.push(`the table does not say why ${check.id} is unknown`);
      const counted = report.categories.some((c) => c.id === check.category && c.inTotal);
      if (counted && before.status !== 'unknown' && before.status !== 'not-applicable') evaluatedWeightLost += before.weight;
    } else if (optional.some((k) => lost.has(k))) {
      // A check that only optionally reads a lost kind may say unknown, or give the same verdict,
      // score and findings (the optional kinds name owners, they do not decide): anything else
      // would be a verdict built on missing data. Its subjects may say less (an owner inferred
      // from a pod-template-hash is marked inferredOwner); compared as data, since a ref built
      // from an owner reference lists its keys in another order than one built from the object.
      const verdict = (c: Report['checks'][number]): string => canonical({ status: c.status, score: c.score, findings: c.findings.length });
      if (check.status === 'unknown') unknown++;
      else if (verdict(check) !== verdict(before)) falseVerdicts.push(`${check.id}: ${before.status} ${before.score} -> ${check.status} ${check.score}`);
      else if (canonical(check) !== canonical(before)) degraded++;
    } else if (JSON.stringify(check) !== JSON.stringify(before)) {
      falseVerdicts.push(`${check.id} reads no lost kind, yet changed: ${before.status} ${before.score} -> ${check.status} ${check.score}`);
    }
  }
  if (report.coverage > baseline.report.coverage) problems.push(`coverage rose from ${baseline.report.coverage} to ${report.coverage}`);
  if (evaluatedWeightLost > 0 && !(report.coverage < baseline.report.coverage)) problems.push(`coverage stayed ${report.coverage} although checks were lost`);
  if (lost.size > 0 && unknown === 0 && cell.target.kinds.some((k) => BUILTIN_CHECKS.some((c) => c.meta.reads.includes(k))))
    problems.push('no check turned unknown');
  return { unknown, falseVerdicts, degraded };
}

function judgeSnapshot(cell: Cell, r: { code: number; stderr: string; snapshot: string }, problems: string[]): void {
  if (cell.mode === 'transient') {
    if (r.snapshot !== baseline.snapshot) problems.push('the snapshot file differs from the fault-free run');
    return;
  }
  type Lists = { items: { kind: string; apiVersion: string }[] };
  let written: Lists;
  try {
    written = JSON.parse(r.snapshot) as Lists;
  } catch {
    problems.push('no snapshot file was written');
    return;
  }
  const base = JSON.parse(baseline.snapshot) as Lists;
  const isListOf = (l: { kind: string; apiVersion: string }, k: KindId): boolean =>
    l.kind === `${kindSpec(k)!.kind}List` && (l.apiVersion.includes('/') ? l.apiVersion.split('/')[0] : '') === kindSpec(k)!.group;
  const lost = cell.target.kinds.filter((k) => base.items.some((l) => isListOf(l, k)));
  const expected = base.items.filter((l) => !lost.some((k) => isListOf(l, k)));
  if (lost.length === 0 && cell.target.kinds.length > 0) problems.push('the fault-free snapshot holds none of the target kinds');
  if (JSON.stringify(written.items) !== JSON.stringify(expected))
    problems.push(`the snapshot does not hold exactly the fault-free lists minus ${lost.join(', ')}`);
  for (const k of lost) if (!r.stderr.includes(`left out ${k}: error: `)) problems.push(`stderr does not say ${k} was left out`);
}

/**
 * Registers one matrix: the fault-free baseline, then every cell of `makeCells` run against its
 * own fixture server, then a test per (command, mode, fault) and the summary. Called at the top
 * level of a test file.
 */
export function defineFaultMatrix(name: string, makeCells: () => Cell[], groups: [Command, Mode, Fault][], cellTiming?: MatrixTiming): void {
  if (cellTiming) timing = cellTiming;
  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'kposture-faults-'));
    clusterFile = writeSyntheticCluster({ namespaces: 4, podsPerNamespace: 3 }, workDir);
    const probe = await startFixtureServer({ snapshot: [clusterFile] });
    served = new Map(LIST_KINDS.map((k) => [k, probe.objects(k).length]));
    emptyKinds = readKinds()
      .filter((k) => !probe.resources.some((r) => kindId(r.group, r.kind) === k))
      .map((k) => {
        const spec = kindSpec(k)!;
        return { group: spec.group, version: spec.versions[0]!, resource: spec.resource, kind: spec.kind, namespaced: spec.namespaced, items: [] };
      });
    await probe.close();
    const audit = await run('audit', undefined, 'baseline-audit');
    const snap = await run('snapshot', undefined, 'baseline-snapshot');
    if (audit.code !== 0 || snap.code !== 0) throw new Error(`fault-free runs failed: ${audit.stderr}${snap.stderr}`);
    baseline = { report: JSON.parse(audit.stdout) as Report, table: audit.table, snapshot: snap.snapshot };

    const all = makeCells();
    results.push(
      ...(await mapBounded(all, CONCURRENCY, async (cell): Promise<CellResult> => {
        const tag = `${cell.command}-${cell.mode}-${cell.fault}-${cell.target.name.replace(/[^a-z0-9]+/gi, '_')}`;
        const plan = new FaultPlan([
          {
            fault: cell.fault,
            match: cell.target.match,
            retryAfterSeconds: 1,
            delayMs: SLOW_MS,
            ...(cell.mode === 'transient' ? { times: TRANSIENT_TIMES[cell.fault] } : {}),
          },
        ]);
        const r = await run(cell.command, plan, tag);
        const problems: string[] = [];
        if (plan.injected === 0) problems.push('no fault was injected');
        if (r.code !== 0) problems.push(`exit ${r.code}: ${r.stderr.trim()}`);
        if (r.ms > timing.cellBoundMs) problems.push(`took ${r.ms}ms`);
        let verdict = { unknown: 0, falseVerdicts: [] as string[], degraded: 0 };
        if (r.code === 0) {
          if (cell.command === 'audit') verdict = judgeAudit(cell, r, problems);
          else judgeSnapshot(cell, r, problems);
        }
        return { cell, injected: plan.injected, code: r.code, ms: r.ms, ...verdict, problems };
      })),
    );
  }, MATRIX_BOUND_MS);

  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  describe(name, () => {
    test.each(groups)('%s, %s %s: every target as expected', (command, mode, fault) => {
      const mine = results.filter((r) => r.cell.command === command && r.cell.mode === mode && r.cell.fault === fault);
      expect(mine.length).toBeGreaterThan(0);
      const failed = mine
        .filter((r) => r.problems.length > 0 || r.falseVerdicts.length > 0)
        .map((r) => ({ target: r.cell.target.name, problems: r.problems, falseVerdicts: r.falseVerdicts }));
      expect(failed).toEqual([]);
    });

    test('the fault-free baseline is itself paged and complete', () => {
      expect(baseline.report.inventory.filter((e) => e.status === 'error' || e.status === 'forbidden')).toEqual([]);
      expect(requests.filter((r) => r.query.continue).length).toBeGreaterThan(10);
      expect([...served.values()].filter((n) => n > PAGE).length).toBeGreaterThanOrEqual(5);
    });

    test('only GETs, never a Secret, in any cell', () => {
      expect(requests.length).toBeGreaterThan(1000);
      expect(readOnlyViolations(requests)).toEqual([]);
    });

    test('summary: faults injected and what they produced', () => {
      const sum = (f: (r: CellResult) => number): number => results.reduce((n, r) => n + f(r), 0);
      const transient = results.filter((r) => r.cell.mode === 'transient');
      const persistent = results.filter((r) => r.cell.mode === 'persistent');
      const summary = {
        cells: results.length,
        faultsInjected: sum((r) => r.injected),
        transientCells: transient.length,
        transientIdentical: transient.filter((r) => r.problems.length === 0).length,
        persistentCells: persistent.length,
        persistentOnlyTargetLost: persistent.filter((r) => r.problems.length === 0).length,
        checksTurnedUnknown: sum((r) => r.unknown),
        checksSameVerdictLessDetail: sum((r) => r.degraded),
        falseVerdicts: sum((r) => r.falseVerdicts.length),
        crashes: results.filter((r) => r.code !== 0).length,
        hangs: results.filter((r) => r.ms > timing.cellBoundMs).length,
        slowestCellMs: Math.max(...results.map((r) => r.ms)),
      };
      console.log(`${name}: ${JSON.stringify(summary)}`);
      expect(summary.crashes).toBe(0);
      expect(summary.hangs).toBe(0);
      expect(summary.falseVerdicts).toBe(0);
      expect(summary.transientIdentical).toBe(summary.transientCells);
      expect(summary.persistentOnlyTargetLost).toBe(summary.persistentCells);
      expect(summary.faultsInjected).toBeGreaterThanOrEqual(summary.cells);
    });
  });
}
