import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { KINDS } from '../../src/k8s/kinds.js';
import { loadSnapshot } from '../../src/inventory/snapshot.js';
import type { Report, ReportCheck } from '../../src/report/model.js';
import {
  buildSarif,
  FINGERPRINT_KEY,
  GITHUB_FINGERPRINT_KEY,
  MAX_RESULTS,
  renderSarif,
  ruleName,
  SARIF_SCHEMA_URI,
  type SarifLog,
} from '../../src/report/sarif.js';
import { REPO_ROOT, removeDir, STRONG, tempDir, WEAK, PARTIAL } from '../cli/run.js';
import { liveCluster, liveInventory, reportFor, sarifValidator, snapshotReport, TEST_CHECKS } from './reports.js';

const validateSarif = sarifValidator();

function expectValidSarif(text: string): SarifLog {
  const log = JSON.parse(text) as SarifLog;
  const ok = validateSarif(log);
  if (!ok) throw new Error(`SARIF does not match the SARIF 2.1.0 schema: ${JSON.stringify(validateSarif.errors?.slice(0, 3))}`);
  return log;
}

const liveReport = (): Report => reportFor(liveInventory(liveCluster()), [...BUILTIN_CHECKS, ...TEST_CHECKS], { failUnder: 90 });

function withoutTime(text: string): string {
  const log = JSON.parse(text) as { runs: { invocations: { endTimeUtc?: string }[] }[] };
  for (const run of log.runs) for (const inv of run.invocations) delete inv.endTimeUtc;
  return JSON.stringify(log, null, 2);
}

describe('SARIF report', () => {
  describe('validates against the official SARIF 2.1.0 schema', () => {
    it.each([
      ['a weak snapshot', () => snapshotReport(WEAK, { failUnder: 90 })],
      ['a strong snapshot (no results)', () => snapshotReport(STRONG)],
      ['a snapshot with an unknown check', () => snapshotReport(PARTIAL)],
      ['a live cluster with grouped findings of every severity', liveReport],
      [
        'a live cluster whose nodes are forbidden',
        () => reportFor(liveInventory(liveCluster(), { [KINDS.Node]: 'forbidden' }), [...BUILTIN_CHECKS, ...TEST_CHECKS]),
      ],
    ])('%s', (_name, build) => {
      const report = build();
      const log = expectValidSarif(renderSarif(report));
      expect(log.$schema).toBe(SARIF_SCHEMA_URI);
      expect(log.version).toBe('2.1.0');
      expect(log.runs).toHaveLength(1);
      expect(Array.isArray(log.runs[0]!.results)).toBe(true);
      expect(log.runs[0]!.results).toHaveLength(report.checks.reduce((n, c) => n + c.findings.length, 0));
    });
  });

  it('gives a root cause one result: a finding explained by the finding of another check is not a result of its own', () => {
    const report = snapshotReport('fixtures/clusters/demo/snapshot');
    const explained = report.checks.flatMap((c) => c.findings.filter((f) => f.explainedBy).map((f) => f.fingerprint));
    expect(explained.length).toBeGreaterThan(0);
    const log = expectValidSarif(renderSarif(report));
    const fingerprints = new Set(log.runs[0]!.results.map((r) => r.partialFingerprints[FINGERPRINT_KEY]));
    expect(explained.filter((fp) => fingerprints.has(fp))).toEqual([]);
    expect(log.runs[0]!.results).toHaveLength(report.summary.findings + (report.summary.waived ?? 0));
  });

  it('always has a results array, empty when nothing fails', () => {
    const text = renderSarif(snapshotReport(STRONG));
    expect((JSON.parse(text) as SarifLog).runs[0]!.results).toEqual([]);
    expect(text).toContain('"results": []');
  });

  it('has one rule per check in the report, sorted by id, with the metadata GitHub shows', () => {
    const report = liveReport();
    const { rules } = buildSarif(report).runs[0]!.tool.driver;
    expect(rules.map((r) => r.id)).toEqual(report.checks.map((c) => c.id).sort((a, b) => a.localeCompare(b, 'en')));
    for (const rule of rules) {
      const check = report.checks.find((c) => c.id === rule.id)!;
      expect(rule.shortDescription.text).toBe(`${check.title}.`);
      expect(rule.fullDescription.text).toContain(check.rationale.slice(0, 40));
      expect(rule.name).toMatch(/^[A-Z][A-Za-z0-9]*$/);
      expect(rule.help.text).toContain(check.remediation);
      for (const ref of check.references) {
        expect(rule.help.text).toContain(ref);
        expect(rule.help.markdown).toContain(`<${ref}>`);
      }
      if (check.references.length > 0) expect(rule.helpUri).toBe(check.references[0]);
      else expect(rule.helpUri).toBeUndefined();
      expect(rule.properties.category).toBe(check.category);
      expect(rule.properties.tags).toEqual(['security', 'kubernetes', check.category]);
    }
  });

  it("maps severities to levels and to security-severity inside GitHub's bands", () => {
    const rules = buildSarif(liveReport()).runs[0]!.tool.driver.rules;
    const bySeverity = (id: string) => rules.find((r) => r.id === id)!;
    // GitHub: over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
    expect(bySeverity('T-NODE')).toMatchObject({ defaultConfiguration: { level: 'error' }, properties: { severity: 'critical' } });
    expect(Number(bySeverity('T-NODE').properties['security-severity'])).toBeGreaterThan(9.0);
    expect(bySeverity('MT-04')).toMatchObject({ defaultConfiguration: { level: 'error' }, properties: { severity: 'high' } });
    expect(Number(bySeverity('MT-04').properties['security-severity'])).toBeGreaterThanOrEqual(7.0);
    expect(Number(bySeverity('MT-04').properties['security-severity'])).toBeLessThan(9.0);
    expect(bySeverity('T-GROUP')).toMatchObject({ defaultConfiguration: { level: 'warning' }, properties: { severity: 'medium' } });
    expect(Number(bySeverity('T-GROUP').properties['security-severity'])).toBeGreaterThanOrEqual(4.0);
    expect(Number(bySeverity('T-GROUP').properties['security-severity'])).toBeLessThan(7.0);
    expect(bySeverity('T-LOW')).toMatchObject({ defaultConfiguration: { level: 'note' }, properties: { severity: 'low' } });
    expect(Number(bySeverity('T-LOW').properties['security-severity'])).toBeGreaterThan(0);
    expect(Number(bySeverity('T-LOW').properties['security-severity'])).toBeLessThan(4.0);
    expect(bySeverity('T-INFO')).toMatchObject({ defaultConfiguration: { level: 'note' } });
    expect(bySeverity('T-INFO').properties['security-severity']).toBeUndefined();
    for (const r of rules) if (r.properties['security-severity']) expect(r.properties['security-severity']).toMatch(/^\d+\.\d$/);
  });

  it('gives each result its rule index, level, message with evidence and verify command, and the object as a logical location', () => {
    const report = liveReport();
    const run = buildSarif(report).runs[0]!;
    for (const result of run.results) {
      const rule = run.tool.driver.rules[result.ruleIndex]!;
      expect(rule.id).toBe(result.ruleId);
      expect(result.level).toBe(rule.defaultConfiguration.level);
    }
    const blog = run.results.find((r) => r.ruleId === 'MT-04' && r.message.text.includes('blog'))!;
    expect(blog.message.text).toBe(
      'Namespace blog has no Pod Security Admission enforce label.\n' +
        'Evidence: metadata.labels["pod-security.kubernetes.io/enforce"] = label absent.\n' +
        'Verify with: kubectl get namespace blog --show-labels',
    );
    expect(blog.locations[0]!.logicalLocations).toEqual([{ name: 'blog', fullyQualifiedName: 'Namespace/blog', kind: 'resource' }]);
    const shop = run.results.filter((r) => r.ruleId === 'T-GROUP' && r.message.text.includes('shop'));
    expect(shop).toHaveLength(2);
    expect(shop[0]!.message.text).toContain('Affects 2 objects: Pod/shop/web-7f9c6b8d5-p8k2m, Pod/shop/web-7f9c6b8d5-x2x9q.');
    expect(shop[0]!.properties.affected).toEqual(['Pod/shop/web-7f9c6b8d5-p8k2m', 'Pod/shop/web-7f9c6b8d5-x2x9q']);
    const node = run.results.find((r) => r.ruleId === 'T-NODE')!;
    expect(node.locations[0]!.logicalLocations[0]!.fullyQualifiedName).toBe('Node/node-b');
  });

  it('locates live objects at stable pseudo-paths k8s/<context>/<namespace>/<Kind>/<name>.yaml, line 1', () => {
    const run = buildSarif(liveReport()).runs[0]!;
    const uris = run.results.map((r) => r.locations[0]!.physicalLocation);
    expect(uris).toContainEqual({ artifactLocation: { uri: 'k8s/prod-eu/_cluster/Namespace/legacy.yaml' }, region: { startLine: 1 } });
    expect(uris).toContainEqual({ artifactLocation: { uri: 'k8s/prod-eu/_cluster/Node/node-c.yaml' }, region: { startLine: 1 } });
    // PE-01's "no engine" finding names no real object; its pseudo-path is still a valid relative URI.
    expect(uris).toContainEqual({ artifactLocation: { uri: 'k8s/prod-eu/_cluster/ValidatingWebhookConfiguration/_.yaml' }, region: { startLine: 1 } });
  });

  it('locates snapshot objects at their file, percent-encoding characters a URI cannot hold', () => {
    const report = snapshotReport(WEAK);
    const run = buildSarif(report).runs[0]!;
    const mt04 = report.checks.find((c) => c.id === 'MT-04')!;
    const results = run.results.filter((r) => r.ruleId === 'MT-04');
    expect(results.map((r) => r.locations[0]!.physicalLocation)).toEqual(
      mt04.findings.map((f) => ({ artifactLocation: { uri: 'test/data/report-weak/tenant%20namespaces.yaml' }, region: { startLine: f.location.startLine } })),
    );
  });

  it('reports unknown checks as tool execution notifications and summarises the score in run.properties', () => {
    const report = snapshotReport(PARTIAL, { failUnder: 90 });
    const run = buildSarif(report).runs[0]!;
    const unknown = report.checks.filter((c) => c.status === 'unknown');
    expect(unknown.map((c) => c.id)).toContain('PE-01');
    const invocation = run.invocations[0]!;
    expect(invocation.executionSuccessful).toBe(true);
    expect(invocation.exitCode).toBe(1);
    expect(invocation.toolExecutionNotifications.map((n) => n.associatedRule)).toEqual(
      unknown.map((c) => ({ id: c.id, index: run.tool.driver.rules.findIndex((r) => r.id === c.id) })),
    );
    const pe01 = invocation.toolExecutionNotifications.find((n) => n.associatedRule?.id === 'PE-01')!;
    expect(pe01.level).toBe('warning');
    expect(pe01.message.text).toContain(unknown.find((c) => c.id === 'PE-01')!.reason!);
    expect(run.properties.kposture).toMatchObject({ score: report.score, grade: report.grade, coverage: report.coverage, gate: report.gate });
  });

  it('reports the scope and the checks not run as tool configuration notifications, and keeps them in run.properties', () => {
    const report: Report = {
      ...snapshotReport(WEAK, { only: ['MT-04'] }),
      skipped: [{ id: 'PE-01', title: 'A policy engine is installed', reason: 'skipped with --skip' }],
      scope: { namespaces: ['shop'], tenantNamespaces: ['shop'], tenantChecks: ['MT-04'] },
    };
    const log = expectValidSarif(renderSarif(report));
    const invocation = log.runs[0]!.invocations[0]!;
    expect(invocation.toolConfigurationNotifications).toEqual([
      {
        level: 'note',
        message: {
          text: 'Scope: namespaces shop (1 tenant namespace: shop). 1 tenant check saw only these namespaces; cluster-wide checks saw the whole cluster.',
        },
      },
      {
        level: 'note',
        message: { text: 'PE-01 (A policy engine is installed) was not run: skipped with --skip; the score was computed without it.' },
        properties: { checkId: 'PE-01', reason: 'skipped with --skip' },
      },
    ]);
    // Not a rule: a skipped check found nothing either way.
    expect(log.runs[0]!.tool.driver.rules.map((r) => r.id)).toEqual(['MT-04']);
    expect(log.runs[0]!.properties.kposture).toMatchObject({ skipped: report.skipped, scope: report.scope });
    expect(buildSarif(snapshotReport(WEAK, { only: ['MT-04'] })).runs[0]!.invocations[0]!.toolConfigurationNotifications).toBeUndefined();
  });

  it('describes the tool: name, version, semantic version, information URI', () => {
    const driver = buildSarif(snapshotReport(STRONG)).runs[0]!.tool.driver;
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(driver).toMatchObject({ name: 'kposture', version: pkg.version, semanticVersion: pkg.version });
    expect(driver.informationUri).toMatch(/^https:\/\//);
  });

  describe('is deterministic', () => {
    it('renders the same report to the same bytes', () => {
      const report = liveReport();
      expect(renderSarif(report)).toBe(renderSarif(report));
    });

    it('differs between two audits of the same snapshot only in what derives from generatedAt', () => {
      const a = renderSarif(snapshotReport(WEAK, { generatedAt: '2025-03-01T10:00:00.000Z' }));
      const b = renderSarif(snapshotReport(WEAK, { generatedAt: '2025-03-02T11:30:00.000Z' }));
      expect(a).not.toBe(b);
      expect((JSON.parse(a) as SarifLog).runs[0]!.invocations[0]!.endTimeUtc).toBe('2025-03-01T10:00:00.000Z');
      expect(withoutTime(a)).toBe(withoutTime(b));
    });

    it('does not depend on the order in which objects arrive', () => {
      const objects = liveCluster();
      const a = renderSarif(reportFor(liveInventory(objects), [...BUILTIN_CHECKS, ...TEST_CHECKS]));
      const b = renderSarif(reportFor(liveInventory([...objects].reverse()), [...TEST_CHECKS, ...BUILTIN_CHECKS].reverse()));
      expect(b).toBe(a);
    });
  });

  describe('fingerprints', () => {
    const fingerprints = (log: SarifLog): string[] => log.runs[0]!.results.map((r) => r.partialFingerprints[FINGERPRINT_KEY]!);

    it("are sha256 hex, one per result, distinct within a run, and also set as GitHub's primaryLocationLineHash", () => {
      const log = buildSarif(liveReport());
      const fps = fingerprints(log);
      expect(fps.length).toBeGreaterThan(5);
      for (const fp of fps) expect(fp).toMatch(/^[0-9a-f]{64}$/);
      expect(new Set(fps).size).toBe(fps.length);
      for (const r of log.runs[0]!.results) expect(r.partialFingerprints[GITHUB_FINGERPRINT_KEY]).toBe(r.partialFingerprints[FINGERPRINT_KEY]);
    });

    it('tell apart two findings of one check on one object with one message id', () => {
      const run = buildSarif(liveReport()).runs[0]!;
      const shop = run.results.filter((r) => r.ruleId === 'T-GROUP' && r.message.text.includes('Namespace shop'));
      expect(shop.map((r) => r.properties.messageId)).toEqual(['unpinned', 'unpinned']);
      expect(shop[0]!.partialFingerprints[FINGERPRINT_KEY]).not.toBe(shop[1]!.partialFingerprints[FINGERPRINT_KEY]);
    });

    it('stay the same when the object moves in the snapshot file or the cluster around it changes', () => {
      const dir = tempDir('fp');
      try {
        cpSync(path.join(REPO_ROOT, WEAK), dir, { recursive: true });
        const file = path.join(dir, 'tenant namespaces.yaml');
        const before = buildSarif(reportFor(loadSnapshot([dir], dir), BUILTIN_CHECKS)).runs[0]!.results;
        // New namespaces above the failing ones: every line number below moves, and one more finding appears.
        const extra = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: aaa-new\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: zzz-new\n---\n';
        writeFileSync(file, extra + readFileSync(file, 'utf8'));
        const after = buildSarif(reportFor(loadSnapshot([dir], dir), BUILTIN_CHECKS)).runs[0]!.results;
        const key = (r: (typeof before)[number]) => `${r.ruleId} ${r.locations[0]!.logicalLocations[0]!.fullyQualifiedName}`;
        const beforeByKey = new Map(before.map((r) => [key(r), r]));
        expect(after.length).toBe(before.length + 2);
        for (const r of after) {
          const old = beforeByKey.get(key(r));
          if (!old) continue;
          expect(r.partialFingerprints).toEqual(old.partialFingerprints);
        }
        const moved = after.filter((r) => r.ruleId === 'MT-04' && beforeByKey.has(key(r)));
        expect(moved.map((r) => r.locations[0]!.physicalLocation.region.startLine)).not.toEqual(
          moved.map((r) => beforeByKey.get(key(r))!.locations[0]!.physicalLocation.region.startLine),
        );
      } finally {
        removeDir(dir);
      }
    });

    it('do not depend on the kubeconfig context name; only the pseudo-path does', () => {
      const a = buildSarif(reportFor(liveInventory(liveCluster(), {}, 'prod-eu'), TEST_CHECKS)).runs[0]!.results;
      const b = buildSarif(reportFor(liveInventory(liveCluster(), {}, 'admin@prod-eu'), TEST_CHECKS)).runs[0]!.results;
      expect(b.map((r) => r.partialFingerprints)).toEqual(a.map((r) => r.partialFingerprints));
      expect(b[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(/^k8s\/admin_prod-eu\//);
      expect(a[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(/^k8s\/prod-eu\//);
    });

    it('differ per object and per check', () => {
      const run = buildSarif(liveReport()).runs[0]!;
      const byObject = new Map<string, Set<string>>();
      for (const r of run.results) {
        const key = `${r.ruleId} ${r.locations[0]!.logicalLocations[0]!.fullyQualifiedName}`;
        byObject.set(key, (byObject.get(key) ?? new Set()).add(r.partialFingerprints[FINGERPRINT_KEY]!));
      }
      const all = [...byObject.values()].flatMap((s) => [...s]);
      expect(new Set(all).size).toBe(all.length);
      expect(byObject.size).toBeGreaterThan(4);
    });
  });

  it('names rules in PascalCase without articles, as SARIF tools expect', () => {
    expect(ruleName({ id: 'PE-01', title: 'A policy engine is installed and serving admission requests' })).toBe(
      'PolicyEngineIsInstalledAndServingAdmissionRequests',
    );
    expect(ruleName({ id: 'OS-01', title: 'Nodes run a container-specialized OS' })).toBe('NodesRunContainerSpecializedOs');
    expect(ruleName({ id: 'NP-02', title: 'Every namespace has a default-deny NetworkPolicy' })).toBe('EveryNamespaceHasDefaultDenyNetworkPolicy');
    expect(ruleName({ id: 'X-1', title: '1 thing' })).toBe('CheckX11Thing');
  });

  it(`keeps at most ${MAX_RESULTS} results, the most severe, and says so`, () => {
    const base = snapshotReport(WEAK);
    const template = base.checks.find((c) => c.id === 'MT-04')!;
    const many = (id: string, severity: ReportCheck['severity'], n: number): ReportCheck => ({
      ...template,
      id,
      severity,
      findings: Array.from({ length: n }, (_, i) => ({ ...template.findings[0]!, resource: { kind: 'Namespace', name: `ns-${String(i).padStart(5, '0')}` } })),
    });
    const report: Report = { ...base, checks: [many('A-LOW', 'low', 100), many('B-HIGH', 'high', MAX_RESULTS - 10)] };
    const run = buildSarif(report).runs[0]!;
    expect(run.results).toHaveLength(MAX_RESULTS);
    expect(run.results.filter((r) => r.ruleId === 'B-HIGH')).toHaveLength(MAX_RESULTS - 10);
    expect(run.results.filter((r) => r.ruleId === 'A-LOW')).toHaveLength(10);
    expect(run.results[0]!.ruleId).toBe('A-LOW');
    expect(run.invocations[0]!.toolExecutionNotifications.map((n) => n.message.text).join(' ')).toContain(`${MAX_RESULTS + 90} findings exceed`);
  });
});
