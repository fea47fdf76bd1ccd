// Calico label selectors: a tokenizer and recursive-descent parser producing a small AST, and
// a matcher over a label map. Syntax as Calico documents it: all(), has(k), k == 'v', k != 'v',
// k in {'a','b'}, k not in {..}, k contains 's', k starts with 's', k ends with 's', !, &&, ||
// and parentheses; an empty selector selects everything. Errors carry the column where the
// parser stopped. It lives in config/ so resources can be validated where they are read;
// peers/ re-exports it.

export type SelectorNode =
  | { op: 'all' }
  | { op: 'has'; key: string }
  | { op: '=='; key: string; value: string }
  | { op: '!='; key: string; value: string }
  | { op: 'in'; key: string; values: string[] }
  | { op: 'not in'; key: string; values: string[] }
  | { op: 'contains' | 'starts with' | 'ends with'; key: string; value: string }
  | { op: '!'; expr: SelectorNode }
  | { op: '&&' | '||'; left: SelectorNode; right: SelectorNode };

export class SelectorError extends Error {
  constructor(
    readonly selector: string,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`invalid selector ${JSON.stringify(selector)} at column ${column + 1}: ${reason}`);
    this.name = 'SelectorError';
  }
}

type Tok =
  | { t: 'ident'; v: string; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'punct'; v: string; at: number }
  | { t: 'end'; at: number };

const PUNCT = ['&&', '||', '==', '!=', '!', '(', ')', '{', '}', ','];
// Label keys may carry a DNS prefix ("projectcalico.org/name") and values of `has()` the same.
const IDENT = /[A-Za-z0-9_.\/-]+/y;

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new SelectorError(src, i, 'unterminated string');
      out.push({ t: 'str', v: src.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const p = PUNCT.find((x) => src.startsWith(x, i));
    if (p) {
      out.push({ t: 'punct', v: p, at: i });
      i += p.length;
      continue;
    }
    IDENT.lastIndex = i;
    const m = IDENT.exec(src);
    if (!m) throw new SelectorError(src, i, `unexpected character ${JSON.stringify(c)}`);
    out.push({ t: 'ident', v: m[0], at: i });
    i += m[0].length;
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

class Parser {
  #toks: Tok[];
  #pos = 0;
  constructor(
    readonly src: string,
    toks: Tok[],
  ) {
    this.#toks = toks;
  }

  #peek(n = 0): Tok {
    return this.#toks[Math.min(this.#pos + n, this.#toks.length - 1)];
  }
  #next(): Tok {
    return this.#toks[this.#pos++];
  }
  #err(t: Tok, reason: string): never {
    throw new SelectorError(this.src, t.at, reason);
  }
  #isPunct(v: string, n = 0): boolean {
    const t = this.#peek(n);
    return t.t === 'punct' && t.v === v;
  }
  #isWord(v: string, n = 0): boolean {
    const t = this.#peek(n);
    return t.t === 'ident' && t.v === v;
  }
  #expectPunct(v: string): void {
    const t = this.#next();
    if (t.t !== 'punct' || t.v !== v) this.#err(t, `expected '${v}'`);
  }
  #expectString(): string {
    const t = this.#next();
    if (t.t !== 'str') this.#err(t, 'expected a quoted string');
    return t.v;
  }

  parse(): SelectorNode {
    if (this.#peek().t === 'end') return { op: 'all' };
    const n = this.#or();
    const t = this.#peek();
    if (t.t !== 'end') this.#err(t, `unexpected ${t.t === 'str' ? 'string' : `'${t.v}'`}`);
    return n;
  }

  #or(): SelectorNode {
    let left = this.#and();
    while (this.#isPunct('||')) {
      this.#next();
      left = { op: '||', left, right: this.#and() };
    }
    return left;
  }

  #and(): SelectorNode {
    let left = this.#unary();
    while (this.#isPunct('&&')) {
      this.#next();
      left = { op: '&&', left, right: this.#unary() };
    }
    return left;
  }

  #unary(): SelectorNode {
    if (this.#isPunct('!')) {
      this.#next();
      return { op: '!', expr: this.#unary() };
    }
    if (this.#isPunct('(')) {
      this.#next();
      const n = this.#or();
      this.#expectPunct(')');
      return n;
    }
    return this.#term();
  }

  #term(): SelectorNode {
    const t = this.#next();
    if (t.t !== 'ident') this.#err(t, t.t === 'end' ? 'unexpected end of selector' : 'expected a label or all()/has()');
    if ((t.v === 'all' || t.v === 'global') && this.#isPunct('(')) {
      this.#next();
      this.#expectPunct(')');
      // global() selects non-namespaced resources; every Node is one.
      return { op: 'all' };
    }
    if (t.v === 'has' && this.#isPunct('(')) {
      this.#next();
      const k = this.#next();
      if (k.t !== 'ident') this.#err(k, 'has() needs a label key');
      this.#expectPunct(')');
      return { op: 'has', key: k.v };
    }
    const key = t.v;
    if (this.#isPunct('==') || this.#isPunct('!=')) {
      const op = (this.#next() as { v: '==' | '!=' }).v;
      return { op, key, value: this.#expectString() };
    }
    if (this.#isWord('in')) {
      this.#next();
      return { op: 'in', key, values: this.#set() };
    }
    if (this.#isWord('not') && this.#isWord('in', 1)) {
      this.#next();
      this.#next();
      return { op: 'not in', key, values: this.#set() };
    }
    if (this.#isWord('contains')) {
      this.#next();
      return { op: 'contains', key, value: this.#expectString() };
    }
    if ((this.#isWord('starts') || this.#isWord('ends')) && this.#isWord('with', 1)) {
      const w = (this.#next() as { v: string }).v;
      this.#next();
      return { op: w === 'starts' ? 'starts with' : 'ends with', key, value: this.#expectString() };
    }
    this.#err(this.#peek(), `expected an operator (==, !=, in, not in, contains, starts with, ends with) after label ${JSON.stringify(key)}`);
  }

  #set(): string[] {
    this.#expectPunct('{');
    const values: string[] = [];
    if (this.#isPunct('}')) {
      this.#next();
      return values;
    }
    for (;;) {
      values.push(this.#expectString());
      if (this.#isPunct(',')) {
        this.#next();
        continue;
      }
      this.#expectPunct('}');
      return values;
    }
  }
}

export type Labels = Readonly<Record<string, string>>;

export class Selector {
  constructor(
    readonly source: string,
    readonly ast: SelectorNode,
  ) {}

  matches(labels: Labels): boolean {
    return evaluate(this.ast, labels);
  }

  /** Canonical text, stable across spacing and quoting differences. */
  toString(): string {
    return render(this.ast);
  }
}

/** Parse a selector; throws SelectorError with the column of the problem. */
export function parseSelector(src: string): Selector {
  return new Selector(src, new Parser(src, tokenize(src)).parse());
}

function has(labels: Labels, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key);
}

function evaluate(n: SelectorNode, labels: Labels): boolean {
  switch (n.op) {
    case 'all':
      return true;
    case 'has':
      return has(labels, n.key);
    case '==':
      return has(labels, n.key) && labels[n.key] === n.value;
    // Calico: "!=" and "not in" also match when the label is absent.
    case '!=':
      return !has(labels, n.key) || labels[n.key] !== n.value;
    case 'in':
      return has(labels, n.key) && n.values.includes(labels[n.key]);
    case 'not in':
      return !has(labels, n.key) || !n.values.includes(labels[n.key]);
    case 'contains':
      return has(labels, n.key) && labels[n.key].includes(n.value);
    case 'starts with':
      return has(labels, n.key) && labels[n.key].startsWith(n.value);
    case 'ends with':
      return has(labels, n.key) && labels[n.key].endsWith(n.value);
    case '!':
      return !evaluate(n.expr, labels);
    case '&&':
      return evaluate(n.left, labels) && evaluate(n.right, labels);
    case '||':
      return evaluate(n.left, labels) || evaluate(n.right, labels);
  }
}

function q(s: string): string {
  return s.includes('"') ? `'${s}'` : `"${s}"`;
}

function render(n: SelectorNode): string {
  switch (n.op) {
    case 'all':
      return 'all()';
    case 'has':
      return `has(${n.key})`;
    case 'in':
    case 'not in':
      return `${n.key} ${n.op} {${n.values.map(q).join(', ')}}`;
    case '!':
      return `!${render(n.expr)}`;
    case '&&':
    case '||':
      return `(${render(n.left)} ${n.op} ${render(n.right)})`;
    default:
      return `${n.key} ${n.op} ${q(n.value)}`;
  }
}
