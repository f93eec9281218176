import { BUILTIN_CHECKS } from '../../checks/index.js';
import { runCli } from './run.js';

describe('kposture explain', () => {
  it("prints MT-04's rationale, remediation and references", async () => {
    const run = await runCli(['explain', 'MT-04']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const meta = BUILTIN_CHECKS.find((c) => c.meta.id === 'MT-04')!.meta;
    const out = run.stdout;
    expect(out.split('\n')[0]).toBe(`MT-04: ${meta.title}`);
    expect(out).toContain('severity: high');
    expect(out).toContain('Why');
    expect(out).toContain(meta.rationale);
    expect(out).toContain('How to fix');
    expect(out).toContain(meta.remediation);
    expect(out).toContain('References');
    expect(meta.references.length).toBeGreaterThan(0);
    for (const ref of meta.references) expect(out).toContain(`  - ${ref}`);
    // Sections in reading order.
    expect(out.indexOf('Why')).toBeLessThan(out.indexOf('How to fix'));
    expect(out.indexOf('How to fix')).toBeLessThan(out.indexOf('References'));
  });

  it('names the kinds a check reads only when they can be read (MT-01 needs none)', async () => {
    const run = await runCli(['explain', 'MT-01']);
    expect(run.code).toBe(0);
    const line = run.stdout.split('\n')[1]!;
    expect(line).toContain('reads when available: CustomResourceDefinition.apiextensions.k8s.io');
    expect(line).not.toContain('—');
    const np02 = await runCli(['explain', 'NP-02']);
    expect(np02.stdout.split('\n')[1]).toMatch(/reads: \S/);
  });

  it('accepts the id in any case', async () => {
    const upper = await runCli(['explain', 'MT-04']);
    const lower = await runCli(['explain', 'mt-04']);
    expect(lower.code).toBe(0);
    expect(lower.stdout).toBe(upper.stdout);
  });

  it('exits 2 with one line for an unknown id', async () => {
    const run = await runCli(['explain', 'NOPE-1']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('kposture: unknown check id NOPE-1 (run `kposture checks` to list them)\n');
  });

  it('suggests the id meant by a near miss', async () => {
    const run = await runCli(['explain', 'np02']);
    expect([run.code, run.stderr]).toEqual([2, 'kposture: unknown check id np02 (did you mean NP-02?)\n']);
  });

  it('exits 2 when the id is missing', async () => {
    const run = await runCli(['explain']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/missing required argument 'id'/);
  });
});

describe('kposture checks', () => {
  it('lists every built-in check, sorted, with category, severity and title', async () => {
    const run = await runCli(['checks']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const ids = BUILTIN_CHECKS.map((c) => c.meta.id).sort((a, b) => a.localeCompare(b, 'en'));
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(ids);
    const mt04 = lines.find((l) => l.startsWith('MT-04'))!;
    expect(mt04).toMatch(/^MT-04\s+multitenancy\s+high\s+Namespaces enforce Pod Security Admission/);
  });

  it('prints the metadata as JSON with --format json', async () => {
    const run = await runCli(['checks', '--format', 'json']);
    expect(run.code).toBe(0);
    const metas = JSON.parse(run.stdout) as { id: string; rationale: string; reads: string[] }[];
    expect(metas.map((m) => m.id)).toEqual(BUILTIN_CHECKS.map((c) => c.meta.id).sort((a, b) => a.localeCompare(b, 'en')));
    expect(metas.find((m) => m.id === 'MT-04')).toMatchObject({ reads: ['Namespace'] });
  });
});
