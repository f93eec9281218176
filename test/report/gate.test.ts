import { describe, expect, it } from '@jest/globals';
import { DEFAULT_MIN_COVERAGE, evaluateGate, failOnRule, gateRules } from '../../src/report/gate.js';
import type { Report, ReportCheck } from '../../src/report/model.js';
import { KpostureError } from '../../src/errors.js';
import { snapshotReport } from './reports.js';
import { WEAK } from '../cli/run.js';

/** A report with just what the gate reads. */
function report(score: number | null, coverage: number, checks: Partial<ReportCheck>[] = []): Report {
  return { score, coverage, checks: checks.map((c) => ({ findings: [], ...c })) } as unknown as Report;
}

const finding = { checkId: 'X', message: 'm' };

describe('gate', () => {
  it('maps each --fail-on value to one rule, and refuses others', () => {
    expect(failOnRule('high')).toEqual({ kind: 'severity', atOrAbove: 'high', failOn: 'high' });
    expect(failOnRule('CRITICAL')).toEqual({ kind: 'severity', atOrAbove: 'critical', failOn: 'critical' });
    expect(() => failOnRule('urgent')).toThrow(KpostureError);
    expect(() => failOnRule('urgent')).toThrow('--fail-on urgent: unknown value');
  });

  it('adds the default minimum coverage to a score or findings gate, unless --min-coverage is given', () => {
    expect(gateRules({})).toEqual([]);
    expect(gateRules({ failUnder: 80 })).toEqual([
      { kind: 'score', failUnder: 80 },
      { kind: 'coverage', minCoverage: DEFAULT_MIN_COVERAGE, isDefault: true },
    ]);
    expect(gateRules({ failOn: ['high'] }).at(-1)).toEqual({ kind: 'coverage', minCoverage: 80, isDefault: true });
    expect(gateRules({ failUnder: 80, minCoverage: 0 }).at(-1)).toEqual({ kind: 'coverage', minCoverage: 0, isDefault: false });
    expect(gateRules({ minCoverage: 90 })).toEqual([{ kind: 'coverage', minCoverage: 90, isDefault: false }]);
  });

  it('says the verdict and every rule in one line', () => {
    expect(evaluateGate(report(58.1, 100), gateRules({ failUnder: 80 }))).toEqual({
      failUnder: 80,
      minCoverage: 80,
      minCoverageDefault: true,
      passed: false,
      reasons: ['score 58.1 < 80'],
      verdict: 'gate failed: score 58.1 < 80; coverage 100%',
    });
    expect(evaluateGate(report(91.2, 100), gateRules({ failUnder: 80 }))!.verdict).toBe('gate passed: score 91.2 ≥ 80; coverage 100%');
    expect(evaluateGate(report(80, 100), gateRules({ failUnder: 80 }))!.passed).toBe(true);
  });

  it('fails a good score at low coverage, saying the minimum is the default one', () => {
    const gate = evaluateGate(report(91.2, 16.4), gateRules({ failUnder: 80 }))!;
    expect(gate.passed).toBe(false);
    expect(gate.reasons).toEqual(['coverage 16.4% is below the default minimum of 80% (--min-coverage)']);
    expect(gate.verdict).toBe('gate failed: score 91.2 ≥ 80; coverage 16.4% is below the default minimum of 80% (--min-coverage)');
    expect(evaluateGate(report(91.2, 16.4), gateRules({ failUnder: 80, minCoverage: 0 }))!.passed).toBe(true);
    expect(evaluateGate(report(91.2, 16.4), gateRules({ failUnder: 80, minCoverage: 50 }))!.reasons).toEqual(['coverage 16.4% is below --min-coverage 50']);
  });

  it('fails on any finding at or above the --fail-on severity, and names the checks', () => {
    const checks: Partial<ReportCheck>[] = [
      { id: 'NP-01', severity: 'critical', findings: [] },
      { id: 'MT-05', severity: 'high', findings: [finding] as never },
      { id: 'NP-02', severity: 'high', findings: [finding, finding] as never },
      { id: 'OS-02', severity: 'medium', findings: [finding] as never },
      { id: 'NP-06', severity: 'info', findings: [finding] as never },
    ];
    const at = (severity: string): ReturnType<typeof evaluateGate> => evaluateGate(report(70, 100, checks), gateRules({ failOn: [severity] }));
    expect(at('critical')!.verdict).toBe('gate passed: no finding at or above critical; coverage 100%');
    expect(at('high')!.verdict).toBe('gate failed: 3 findings at or above high (MT-05, NP-02); coverage 100%');
    expect(at('medium')!.reasons).toEqual(['4 findings at or above medium (MT-05, NP-02, OS-02)']);
    expect(at('info')!.reasons).toEqual(['5 findings at or above info (MT-05, NP-02, NP-06, OS-02)']);
    expect(at('high')!.failOn).toEqual(['high']);
  });

  it('counts a root cause once: a finding explained by a check at least as severe fails the gate through that check', () => {
    const explained = { ...finding, explainedBy: ['NP-02'] };
    const checks: Partial<ReportCheck>[] = [
      { id: 'NP-02', severity: 'high', findings: [{ ...finding, explains: ['NP-03'] }] as never },
      { id: 'NP-03', severity: 'medium', findings: [explained] as never },
    ];
    const at = (severity: string): ReturnType<typeof evaluateGate> => evaluateGate(report(70, 100, checks), gateRules({ failOn: [severity] }));
    expect(at('high')!.reasons).toEqual(['1 finding at or above high (NP-02)']);
    expect(at('medium')!.reasons).toEqual(['1 finding at or above medium (NP-02)']);
  });

  it('keeps the reason of a gate with no score at all', () => {
    expect(evaluateGate(report(null, 0), gateRules({ failUnder: 10, minCoverage: 0 }))!.reasons).toEqual([
      'no score could be computed (coverage 0%), --fail-under 10',
    ]);
  });

  it('judges a real report with its own numbers', () => {
    const weak = snapshotReport(WEAK, { only: ['MT-04', 'PE-01'] });
    const gate = evaluateGate(weak, gateRules({ failUnder: 90, failOn: ['high'] }))!;
    const high = weak.checks.filter((c) => c.findings.length > 0 && (c.severity === 'high' || c.severity === 'critical'));
    const count = high.reduce((n, c) => n + c.findings.length, 0);
    expect(high.map((c) => c.id)).toContain('MT-04');
    expect(gate.verdict).toBe(
      `gate failed: score ${weak.score} < 90; ${count} findings at or above high (${high.map((c) => c.id).join(', ')}); coverage ${weak.coverage}%`,
    );
  });
});
