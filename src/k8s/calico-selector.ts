/**
 * Calico selector expressions (`all()`, `app == 'web'`, `has(x) && !has(y)`,
 * `projectcalico.org/namespace not in {'a','b'}`), parsed into a tree and evaluated with
 * four-valued logic, so that a check can ask "does this policy select *every* pod of a
 * namespace?" without knowing the pods:
 * - T / F: decided for every pod (the expression only reads namespace facts);
 * - U: depends on the pod's own labels (the policy selects some pods, not the namespace);
 * - X: depends on something kposture does not know (e.g. namespace labels it could not read).
 * Grammar and semantics follow Calico's selector reference: `!=` and `not in` are true when
 * the label is absent; `global()` selects non-namespaced endpoints only (never a pod).
 */

export type Tri = 'T' | 'F' | 'U' | 'X';

export type CalicoExpr =
  | { op: 'all' }
  | { op: 'global' }
  | { op: 'has'; key: string }
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'contains' | 'starts' | 'ends'; key: string; value: string }
  | { op: 'not'; expr: CalicoExpr }
  | { op: 'and' | 'or'; left: CalicoExpr; right: CalicoExpr };

export type CalicoParse = { ok: true; expr: CalicoExpr } | { ok: false; reason: string };

const KEY = /^[A-Za-z0-9_./-]+/;

export function parseCalicoSelector(source: string): CalicoParse {
  const text = source.trim();
  if (text === '') return { ok: true, expr: { op: 'all' } };
  let pos = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${pos} of ${JSON.stringify(source)}`);
  };
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const eat = (token: string): boolean => {
    skip();
    if (text.startsWith(token, pos)) {
      pos += token.length;
      return true;
    }
    return false;
  };
  const eatWord = (word: string): boolean => {
    skip();
    const re = new RegExp(`^${word.replace(/ /g, '\\s+')}(?![A-Za-z0-9_./-])`);
    const m = re.exec(text.slice(pos));
    if (!m) return false;
    pos += m[0].length;
    return true;
  };
  const str = (): string => {
    skip();
    const quote = text[pos];
    if (quote !== "'" && quote !== '"') fail('expected a quoted string');
    const end = text.indexOf(quote!, pos + 1);
    if (end < 0) fail('unterminated string');
    const value = text.slice(pos + 1, end);
    pos = end + 1;
    return value;
  };
  const key = (): string => {
    skip();
    const m = KEY.exec(text.slice(pos));
    if (!m) fail('expected a label key');
    pos += m![0].length;
    return m![0];
  };
  const set = (): string[] => {
    if (!eat('{')) fail("expected '{'");
    const values: string[] = [];
    if (eat('}')) return values;
    do values.push(str());
    while (eat(','));
    if (!eat('}')) fail("expected '}'");
    return values;
  };
  const primary = (): CalicoExpr => {
    if (eat('!')) return { op: 'not', expr: primary() };
    if (eat('(')) {
      const inner = or();
      if (!eat(')')) fail("expected ')'");
      return inner;
    }
    const start = pos;
    if (eatWord('all') && eat('(') && eat(')')) return { op: 'all' };
    pos = start;
    if (eatWord('global') && eat('(') && eat(')')) return { op: 'global' };
    pos = start;
    if (eatWord('has') && eat('(')) {
      const k = key();
      if (!eat(')')) fail("expected ')'");
      return { op: 'has', key: k };
    }
    pos = start;
    const k = key();
    if (eat('==')) return { op: 'eq', key: k, value: str() };
    if (eat('!=')) return { op: 'ne', key: k, value: str() };
    if (eatWord('not in')) return { op: 'notin', key: k, values: set() };
    if (eatWord('in')) return { op: 'in', key: k, values: set() };
    if (eatWord('contains')) return { op: 'contains', key: k, value: str() };
    if (eatWord('starts with')) return { op: 'starts', key: k, value: str() };
    if (eatWord('ends with')) return { op: 'ends', key: k, value: str() };
    return fail(`expected an operator after ${k}`);
  };
  const and = (): CalicoExpr => {
    let left = primary();
    while (eat('&&')) left = { op: 'and', left, right: primary() };
    return left;
  };
  const or = (): CalicoExpr => {
    let left = and();
    while (eat('||')) left = { op: 'or', left, right: and() };
    return left;
  };
  try {
    const expr = or();
    skip();
    if (pos !== text.length) fail('unexpected text');
    return { ok: true, expr };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/**
 * How a label key reads for the question being asked: a known value (or absent), or
 * `pod` (varies per pod: U), or `unknown` (X).
 */
export type KeyLookup = (key: string) => { value: string | undefined } | 'pod' | 'unknown';

export function evaluateCalico(expr: CalicoExpr, lookup: KeyLookup): Tri {
  switch (expr.op) {
    case 'all':
      return 'T';
    case 'global':
      return 'F';
    case 'not':
      return triNot(evaluateCalico(expr.expr, lookup));
    case 'and':
      return triAnd(evaluateCalico(expr.left, lookup), evaluateCalico(expr.right, lookup));
    case 'or':
      return triOr(evaluateCalico(expr.left, lookup), evaluateCalico(expr.right, lookup));
    default: {
      const found = lookup(expr.key);
      if (found === 'pod') return 'U';
      if (found === 'unknown') return 'X';
      return atom(expr, found.value) ? 'T' : 'F';
    }
  }
}

function atom(expr: Exclude<CalicoExpr, { op: 'all' | 'global' | 'not' | 'and' | 'or' }>, value: string | undefined): boolean {
  switch (expr.op) {
    case 'has':
      return value !== undefined;
    case 'eq':
      return value === expr.value;
    case 'ne':
      return value !== expr.value;
    case 'in':
      return value !== undefined && expr.values.includes(value);
    case 'notin':
      return value === undefined || !expr.values.includes(value);
    case 'contains':
      return value !== undefined && value.includes(expr.value);
    case 'starts':
      return value !== undefined && value.startsWith(expr.value);
    case 'ends':
      return value !== undefined && value.endsWith(expr.value);
  }
}

function triNot(a: Tri): Tri {
  return a === 'T' ? 'F' : a === 'F' ? 'T' : a;
}

/** AND: a pod-dependent part means "not every pod", whatever the unknown part is. */
export function triAnd(a: Tri, b: Tri): Tri {
  if (a === 'F' || b === 'F') return 'F';
  if (a === 'T') return b;
  if (b === 'T') return a;
  return a === 'U' || b === 'U' ? 'U' : 'X';
}

/** OR: an unknown part might be true for everyone, so it wins over a pod-dependent part. */
function triOr(a: Tri, b: Tri): Tri {
  if (a === 'T' || b === 'T') return 'T';
  if (a === 'F') return b;
  if (b === 'F') return a;
  return a === 'X' || b === 'X' ? 'X' : 'U';
}
