import { audit, fixtureNames, readFixture } from '../fixtures/load.js';

/**
 * The house rule for every finding, held on every realistic fixture: it names the object and
 * the field, shows the evidence, and gives a kubectl command that shows it; a finding that
 * groups several objects lists them.
 */
describe.each(fixtureNames())('findings on fixture %s', (name) => {
  const { results } = audit(readFixture(name));
  const findings = results.flatMap((r) => (r.outcome.status === 'fail' ? r.outcome.findings.map((f) => ({ id: r.check.meta.id, f })) : []));

  it('each names its object and field, shows evidence and a read-only kubectl command', () => {
    const bad = findings.filter(
      ({ f }) =>
        !f.resource.kind ||
        !f.resource.name ||
        f.field.trim() === '' ||
        f.evidence.trim() === '' ||
        !/^kubectl (-n \S+ )?(get|describe|version)\b/.test(f.verify) ||
        /\bkubectl (delete|apply|edit|patch|label|annotate|create)\b/.test(f.verify),
    );
    expect(bad.map(({ id, f }) => `${id} ${f.resource.kind}/${f.resource.name}: ${f.verify}`)).toEqual([]);
  });

  it('never repeats one root cause: at most one finding per check, object, message and field', () => {
    const keys = findings.map(({ id, f }) => `${id}|${f.resource.kind}/${f.resource.namespace ?? ''}/${f.resource.name}|${f.messageId}|${f.field}`);
    expect(keys.length - new Set(keys).size).toBe(0);
  });
});
