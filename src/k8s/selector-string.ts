/**
 * Label selectors written as text, the syntax of `kubectl get -l` and of apimachinery's
 * `labels.Parse`: requirements separated by commas, all of which must hold.
 *
 *   key            the label exists              !key          it does not
 *   key=value      equal (also key==value)       key!=value    absent or different
 *   key in (a,b)   one of the values             key notin (a,b)  absent or none of them
 *
 * Keys are qualified names (`team`, `example.com/tier`), values label values (63 characters at
 * most, letters, digits, `-`, `_`, `.`, starting and ending alphanumeric, or empty). Parsing is
 * strict: anything else is an error that names the position, never a guess. The numeric `>`
 * and `<` of node selectors are refused: namespace labels are compared as strings.
 */
import { compileLabelSelector, type CompiledSelector, type Requirement } from './labels.js';

export type SelectorStringResult = { ok: true; selector: CompiledSelector } | { ok: false; reason: string };

type Token =
  | { type: 'identifier'; text: string; at: number }
  | { type: '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '<' | '>' | 'in' | 'notin' | 'end'; text: string; at: number };

const SYMBOLS = ['!=', '==', '!', '=', '(', ')', ',', '<', '>'] as const;
const SPECIAL = /[\s!=(),<>]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (symbol) {
      tokens.push({ type: symbol, text: symbol, at: i });
      i += symbol.length;
      continue;
    }
    const start = i;
    while (i < text.length && !SPECIAL.test(text[i]!)) i++;
    const word = text.slice(start, i);
    tokens.push(word === 'in' || word === 'notin' ? { type: word, text: word, at: start } : { type: 'identifier', text: word, at: start });
  }
  tokens.push({ type: 'end', text: '', at: text.length });
  return tokens;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a label key (a qualified name), or undefined when it is one. */
function keyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key "${key}": the prefix must be a lowercase DNS subdomain (example.com/)`;
  }
  if (name.length > 63 || !NAME.test(name)) {
    return `label key "${key}": the name must be 63 characters at most, letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

function valueProblem(value: string): string | undefined {
  if (value === '' || (value.length <= 63 && NAME.test(value))) return undefined;
  return `label value "${value}": 63 characters at most, letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
}

function describe(token: Token): string {
  return token.type === 'end' ? 'the end' : `'${token.text}'`;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    return this.tokens[this.i++]!;
  }

  private fail(token: Token, expected: string): never {
    throw new SelectorSyntaxError(`${describe(token)} at position ${token.at + 1}, expected ${expected}`);
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      requirements.push(this.requirement());
      const after = this.next();
      if (after.type === 'end') return requirements;
      if (after.type !== ',') this.fail(after, "',' or the end");
    }
  }

  private requirement(): Requirement {
    const negated = this.peek().type === '!';
    if (negated) this.next();
    const keyToken = this.next();
    if (keyToken.type !== 'identifier') this.fail(keyToken, negated ? 'a label key after !' : "a label key or '!'");
    const key = keyToken.text;
    const keyError = keyProblem(key);
    if (keyError) throw new SelectorSyntaxError(keyError);
    const op = this.peek();
    if (negated || op.type === ',' || op.type === 'end') {
      if (negated && op.type !== ',' && op.type !== 'end') this.fail(op, "',' or the end after !key");
      return { key, operator: negated ? 'DoesNotExist' : 'Exists', values: [] };
    }
    this.next();
    switch (op.type) {
      case '=':
      case '==':
      case '!=':
        return { key, operator: op.type === '!=' ? 'NotIn' : 'In', values: [this.exactValue()] };
      case 'in':
      case 'notin':
        return { key, operator: op.type === 'in' ? 'In' : 'NotIn', values: this.valueList() };
      case '<':
      case '>':
        throw new SelectorSyntaxError(`operator ${op.text} compares numbers on node labels; a namespace selector uses =, ==, !=, in, notin, key or !key`);
      default:
        return this.fail(op, "=, ==, !=, in, notin, ',' or the end");
    }
  }

  /** The value after =, == or !=: empty when the requirement ends right there (`tier=`). */
  private exactValue(): string {
    const token = this.peek();
    if (token.type === ',' || token.type === 'end') return '';
    this.next();
    if (token.type !== 'identifier') this.fail(token, 'a label value');
    return checkedValue(token.text);
  }

  private valueList(): string[] {
    const open = this.next();
    if (open.type !== '(') this.fail(open, "'(' to open the list of values");
    const values: string[] = [];
    for (;;) {
      const token = this.next();
      if (token.type === 'identifier') {
        values.push(checkedValue(token.text));
        const after = this.next();
        if (after.type === ')') return values;
        if (after.type !== ',') this.fail(after, "',' or ')'");
      } else if (token.type === ')' && values.length > 0) {
        // `in (a,)`: a trailing comma stands for an empty value, as apimachinery reads it.
        values.push('');
        return values;
      } else {
        this.fail(token, 'a label value');
      }
    }
  }
}

function checkedValue(value: string): string {
  const problem = valueProblem(value);
  if (problem) throw new SelectorSyntaxError(problem);
  return value;
}

class SelectorSyntaxError extends Error {}

/** Parses a selector string such as `team=a,env in (prod,stage),!legacy`. */
export function parseSelectorString(text: string): SelectorStringResult {
  if (text.trim() === '') return { ok: false, reason: 'the selector is empty' };
  let requirements: Requirement[];
  try {
    requirements = new Parser(tokenize(text)).parse();
  } catch (err) {
    if (err instanceof SelectorSyntaxError) return { ok: false, reason: err.message };
    throw err;
  }
  const compiled = compileLabelSelector(
    { matchExpressions: requirements.map((r) => ({ key: r.key, operator: r.operator, values: [...r.values] })) },
    { absent: 'nothing' },
  );
  return compiled.ok ? { ok: true, selector: compiled.selector } : { ok: false, reason: compiled.reason };
}
