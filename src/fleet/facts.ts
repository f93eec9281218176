/**
 * What a fleet compares between clusters, read from each cluster's report before the report is
 * dropped: the facts its checks already established (the subjects they examined and their
 * details), never a second look at the inventory. A fact a check could not establish (it was
 * unknown, not applicable or not run) is `unknown` with the reason, so drift is never claimed on
 * what nobody knows.
 */
import type { Report, ReportCheck } from '../report/model.js';
import { objectName } from '../report/view.js';

/** Known: the values, sorted and distinct (empty when there are none). Else why it is not known. */
export type Fact = { values: string[] } | { unknown: string };

/** Known: namespace name → enforce level (`none` when unlabelled). Else why it is not known. */
export type NamespaceFact = { namespaces: Record<string, string> } | { unknown: string };

export interface ClusterFacts {
  /** OS families of the nodes (OS-01). */
  osFamilies: Fact;
  /** `status.nodeInfo.osImage` of the nodes (OS-02). */
  osImages: Fact;
  /** Kubelet versions (OS-02). */
  kubeletVersions: Fact;
  /** Container runtimes with their versions, `containerd://1.7.13` (OS-02). */
  runtimeVersions: Fact;
  /** Each CNI found and whether it enforces NetworkPolicy: `Calico (enforces)` (NP-01). */
  cni: Fact;
  /** Each policy engine and its mode: `Kyverno: enforce` (PE-01, PE-02); none when none is installed. */
  policyEngines: Fact;
  /** Pod Security Admission enforce level of each tenant namespace (MT-04). */
  psa: NamespaceFact;
  /** Findings accepted by a waiver: `MT-05 ClusterRoleBinding capsule-manager` (the report's findings). */
  waivers: Fact;
}

export function clusterFacts(report: Report): ClusterFacts {
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  const check = (id: string): ReportCheck | string => {
    const c = byId.get(id);
    if (!c) {
      const skipped = report.skipped.find((s) => s.id === id);
      return `${id} was not run${skipped ? ` (${skipped.reason})` : ''}`;
    }
    if (c.status === 'not-applicable') return `${id} is not applicable: ${c.reason ?? 'no reason given'}`;
    return c;
  };
  return {
    osFamilies: fromSubjects(check('OS-01'), (d) => [str(d.family) ?? 'unidentified']),
    osImages: fromSubjects(check('OS-02'), (d) => listed(d.osImage)),
    kubeletVersions: fromSubjects(check('OS-02'), (d) => listed(d.kubeletVersion)),
    runtimeVersions: fromSubjects(check('OS-02'), (d) => listed(d.containerRuntimeVersion)),
    cni: fromSubjects(check('NP-01'), (d) => [`${str(d.name) ?? str(d.cni) ?? 'unnamed CNI'} (${enforcement(d.enforcesNetworkPolicy)})`]),
    policyEngines: policyEngines(check('PE-01'), check('PE-02')),
    psa: podSecurity(check('MT-04'), byId.get('MT-04')),
    waivers: { values: distinct(report.checks.flatMap((c) => c.findings.filter((f) => f.waived).map((f) => `${c.id} ${objectName(f.resource)}`))) },
  };
}

type Details = Record<string, unknown>;

/** The values the subjects' details give; unknown when the check could not examine any. */
function fromSubjects(check: ReportCheck | string, values: (details: Details) => string[]): Fact {
  if (typeof check === 'string') return { unknown: check };
  const found = check.subjects.flatMap((s) => (s.details ? values(s.details) : []));
  if (found.length === 0)
    return { unknown: check.status === 'unknown' ? `${check.id} is unknown: ${check.reason ?? 'no reason given'}` : `${check.id} found none` };
  return { values: distinct(found) };
}

function policyEngines(pe01: ReportCheck | string, pe02: ReportCheck | string): Fact {
  if (typeof pe01 === 'string') return { unknown: pe01 };
  if (pe01.status === 'unknown') return { unknown: `PE-01 is unknown: ${pe01.reason ?? 'no reason given'}` };
  // Each engine's policies: how many rules enforce and how many only audit (PE-02's subjects).
  const modes = new Map<string, { enforcing: number; auditing: number }>();
  if (typeof pe02 !== 'string') {
    for (const s of pe02.subjects) {
      const engine = str(s.details?.engine);
      if (!engine) continue;
      const m = modes.get(engine) ?? { enforcing: 0, auditing: 0 };
      // A rule that enforces in some namespaces and audits in others (Kyverno overrides) counts as both.
      m.enforcing += num(s.details?.enforcing) + num(s.details?.mixed);
      m.auditing += num(s.details?.auditing) + num(s.details?.mixed);
      modes.set(engine, m);
    }
  }
  const values = pe01.subjects.flatMap((s) => {
    const d = s.details ?? {};
    const id = str(d.engine);
    const name = str(d.name) ?? id ?? 'unnamed engine';
    if (s.verdict === 'info') return [];
    if (s.verdict === 'fail') return [`${name}: not serving`];
    const m = id ? modes.get(id) : undefined;
    const mode = !m || m.enforcing + m.auditing === 0 ? 'mode unknown' : m.auditing === 0 ? 'enforce' : m.enforcing === 0 ? 'audit' : 'enforce and audit';
    return [`${name}: ${mode}`];
  });
  return { values: distinct(values) };
}

function podSecurity(check: ReportCheck | string, ran: ReportCheck | undefined): NamespaceFact {
  // Not applicable: the cluster has no tenant namespace, which is known.
  if (typeof check === 'string') return ran?.status === 'not-applicable' ? { namespaces: {} } : { unknown: check };
  if (check.status === 'unknown') return { unknown: `MT-04 is unknown: ${check.reason ?? 'no reason given'}` };
  const namespaces: Record<string, string> = {};
  for (const s of [...check.subjects].sort((a, b) => a.resource.name.localeCompare(b.resource.name, 'en'))) {
    if (s.resource.kind === 'Namespace') namespaces[s.resource.name] = str(s.details?.enforce) ?? 'none';
  }
  return { namespaces };
}

function enforcement(value: unknown): string {
  return value === 'yes' ? 'enforces' : value === 'no' ? 'does not enforce' : 'enforcement unknown';
}

/** The `value`s of an OS-02 list of `{ value, nodes }`. */
function listed(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v: unknown) => {
    const s = typeof v === 'object' && v !== null ? str((v as { value?: unknown }).value) : undefined;
    return s ? [s] : [];
  });
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function distinct(values: string[]): string[] {
  return [...new Set(values)].sort((a, b) => a.localeCompare(b, 'en'));
}
