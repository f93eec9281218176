import { evaluateCalico, parseCalicoSelector, type KeyLookup } from '../../src/k8s/calico-selector.js';

function evalWith(source: string, labels: Record<string, string>): string {
  const parsed = parseCalicoSelector(source);
  if (!parsed.ok) throw new Error(parsed.reason);
  return evaluateCalico(parsed.expr, (key) => ({ value: labels[key] }));
}

describe('Calico selector expressions', () => {
  it('parses and evaluates the operators of the Calico selector reference', () => {
    const web = { app: 'web', tier: 'frontend', 'projectcalico.org/namespace': 'shop' };
    const cases: [string, string][] = [
      ['all()', 'T'],
      ['', 'T'],
      ['global()', 'F'],
      ["app == 'web'", 'T'],
      ['app == "db"', 'F'],
      ["app != 'db'", 'T'],
      ['has(tier)', 'T'],
      ['!has(tier)', 'F'],
      ["app in {'web', 'api'}", 'T'],
      ["app not in {'web'}", 'F'],
      ["tier contains 'front'", 'T'],
      ["tier starts with 'front'", 'T'],
      ["tier ends with 'end'", 'T'],
      ["app == 'web' && tier == 'backend'", 'F'],
      ["app == 'db' || tier == 'frontend'", 'T'],
      ["!(app == 'db') && (has(tier) || has(x))", 'T'],
      ["projectcalico.org/namespace not in {'kube-system', 'calico-system'}", 'T'],
    ];
    for (const [source, expected] of cases) expect([source, evalWith(source, web)]).toEqual([source, expected]);
  });

  it('!= and not in are true for objects that lack the label', () => {
    expect(evalWith("env != 'prod'", {})).toBe('T');
    expect(evalWith("env not in {'prod'}", {})).toBe('T');
    expect(evalWith("env in {'prod'}", {})).toBe('F');
  });

  it('does not take a label key starting with a keyword for the keyword', () => {
    expect(evalWith("allowed == 'yes'", { allowed: 'yes' })).toBe('T');
    expect(evalWith("hash == 'x'", { hash: 'x' })).toBe('T');
  });

  it('reports syntax errors instead of guessing', () => {
    for (const bad of ["app = 'web'", 'app == web', "app in {'a'", '(all()', "app == 'web' &&", 'has(app']) {
      const parsed = parseCalicoSelector(bad);
      expect([bad, parsed.ok]).toEqual([bad, false]);
    }
  });

  it('four-valued logic: pod-dependent parts are U (some pods), unknown parts X', () => {
    const lookup: KeyLookup = (key) => (key === 'projectcalico.org/namespace' ? { value: 'shop' } : key.startsWith('pcns.') ? 'unknown' : 'pod');
    const tri = (s: string) => {
      const parsed = parseCalicoSelector(s);
      if (!parsed.ok) throw new Error(parsed.reason);
      return evaluateCalico(parsed.expr, lookup);
    };
    expect(tri("projectcalico.org/namespace == 'shop'")).toBe('T');
    expect(tri("projectcalico.org/namespace == 'shop' && app == 'web'")).toBe('U');
    expect(tri("projectcalico.org/namespace == 'blog' && app == 'web'")).toBe('F');
    expect(tri("pcns.tenant == 'a'")).toBe('X');
    expect(tri("pcns.tenant == 'a' && app == 'web'")).toBe('U');
    expect(tri("pcns.tenant == 'a' || app == 'web'")).toBe('X');
    expect(tri("projectcalico.org/namespace == 'shop' || pcns.tenant == 'a'")).toBe('T');
  });
});
