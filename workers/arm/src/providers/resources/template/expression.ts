// The template expression language: which JSON strings are expressions, and a parser for them.
//
//   "[concat('a', parameters('b'))]"  expression           "[[x]"      the literal "[x]"
//   "plain" / "[x] y" / "x]"           literal strings      "'it''s'"  a string literal with a quote
//
// Grammar (whitespace between tokens is ignored):
//   expr     := primary accessor*
//   primary  := 'string' | integer | name '(' [expr (',' expr)*] ')'
//   name     := identifier ['.' identifier]          (a user-defined function is namespace.member)
//   accessor := '.' identifier | '[' expr ']'
// There are no bare identifiers: true/false/null are the functions true(), false(), null().

import { ExpressionError } from "./errors";

export type Expr =
  | { kind: "string"; value: string }
  | { kind: "int"; value: number }
  | { kind: "call"; name: string; args: Expr[] }
  | { kind: "member"; target: Expr; name: string }
  | { kind: "index"; target: Expr; index: Expr };

/** Azure's limit on one expression string (the text between the brackets included). */
export const MAX_EXPRESSION_LENGTH = 24_576;
/** Calls, indexers and arguments nested deeper than this are refused (never a stack overflow). */
export const MAX_EXPRESSION_DEPTH = 100;

export type Classified = { kind: "literal"; value: string } | { kind: "expression"; source: string };

/** Whether a JSON string is an expression, and its text or its literal value. */
export function classify(text: string): Classified {
  if (text.length >= 2 && text.startsWith("[") && text.endsWith("]")) {
    if (text.startsWith("[[")) return { kind: "literal", value: text.slice(1) };
    return { kind: "expression", source: text.slice(1, -1) };
  }
  return { kind: "literal", value: text };
}

type Token =
  | { t: "(" | ")" | "," | "." | "[" | "]" | "end"; at: number }
  | { t: "string"; value: string; at: number }
  | { t: "int"; value: number; at: number }
  | { t: "ident"; value: string; at: number };

const TOKEN_NAMES: Record<string, string> = {
  "(": "LeftParenthesis",
  ")": "RightParenthesis",
  ",": "Comma",
  ".": "Dot",
  "[": "LeftSquareBracket",
  "]": "RightSquareBracket",
  end: "EndOfData",
  string: "Literal",
  int: "Integer",
  ident: "Identifier",
};

function parseError(source: string, detail: string): ExpressionError {
  const shown = source.length > 200 ? `${source.slice(0, 200)}…` : source;
  return new ExpressionError(`Unable to parse language expression '${shown}': ${detail}`);
}

function isIdentStart(c: string): boolean {
  return /[A-Za-z_$]/.test(c);
}
function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_$]/.test(c);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++;
      continue;
    }
    if (c === "(" || c === ")" || c === "," || c === "." || c === "[" || c === "]") {
      tokens.push({ t: c, at: i });
      i++;
      continue;
    }
    if (c === "'") {
      const start = i;
      let value = "";
      i++;
      for (;;) {
        if (i >= source.length) throw parseError(source, `the string literal starting at position '${start}' is not terminated`);
        const d = source[i]!;
        if (d === "'") {
          if (source[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += d;
        i++;
      }
      tokens.push({ t: "string", value, at: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(source[i + 1] ?? ""))) {
      const start = i;
      i++;
      while (i < source.length && /[0-9]/.test(source[i]!)) i++;
      const value = Number(source.slice(start, i));
      if (!Number.isSafeInteger(value)) throw parseError(source, `the integer literal at position '${start}' is out of range`);
      tokens.push({ t: "int", value, at: start });
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      i++;
      while (i < source.length && isIdentPart(source[i]!)) i++;
      tokens.push({ t: "ident", value: source.slice(start, i), at: start });
      continue;
    }
    throw parseError(source, `the character '${c}' at position '${i}' is not expected`);
  }
  tokens.push({ t: "end", at: source.length });
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return token;
  }

  private expect(t: Token["t"]): Token {
    const token = this.next();
    if (token.t !== t) throw this.unexpected(t, token);
    return token;
  }

  private unexpected(expected: string, actual: Token): ExpressionError {
    return parseError(this.source, `expected token '${TOKEN_NAMES[expected] ?? expected}' and actual '${TOKEN_NAMES[actual.t]}'`);
  }

  parseRoot(): Expr {
    if (this.peek().t === "end") throw parseError(this.source, "the expression is empty");
    const expr = this.parseExpr(1);
    const rest = this.peek();
    if (rest.t !== "end") throw this.unexpected("end", rest);
    return expr;
  }

  private parseExpr(depth: number): Expr {
    if (depth > MAX_EXPRESSION_DEPTH) {
      throw parseError(this.source, `the expression is nested more than ${MAX_EXPRESSION_DEPTH} levels deep`);
    }
    let expr = this.parsePrimary(depth);
    for (;;) {
      const token = this.peek();
      if (token.t === ".") {
        this.next();
        const name = this.next();
        if (name.t !== "ident") throw this.unexpected("ident", name);
        expr = { kind: "member", target: expr, name: name.value };
      } else if (token.t === "[") {
        this.next();
        const index = this.parseExpr(depth + 1);
        this.expect("]");
        expr = { kind: "index", target: expr, index };
      } else {
        return expr;
      }
    }
  }

  private parsePrimary(depth: number): Expr {
    const token = this.next();
    if (token.t === "string") return { kind: "string", value: token.value };
    if (token.t === "int") return { kind: "int", value: token.value };
    if (token.t !== "ident") throw this.unexpected("ident", token);
    let name = token.value;
    if (this.peek().t === "." && this.peek(1).t === "ident" && this.peek(2).t === "(") {
      this.next();
      name = `${name}.${(this.next() as { value: string }).value}`;
    }
    this.expect("(");
    const args: Expr[] = [];
    if (this.peek().t === ")") {
      this.next();
      return { kind: "call", name, args };
    }
    for (;;) {
      args.push(this.parseExpr(depth + 1));
      const sep = this.next();
      if (sep.t === ")") break;
      if (sep.t !== ",") throw this.unexpected(")", sep);
    }
    return { kind: "call", name, args };
  }
}

const cache = new Map<string, Expr>();

/** Parses the text between the brackets; throws ExpressionError with Azure's parse message. */
export function parseExpression(source: string): Expr {
  const cached = cache.get(source);
  if (cached) return cached;
  if (source.length + 2 > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(
      `The language expression '${source.slice(0, 100)}…' is ${source.length + 2} characters long; the limit is ${MAX_EXPRESSION_LENGTH} characters`,
    );
  }
  const expr = new Parser(source, tokenize(source)).parseRoot();
  if (cache.size > 2_000) cache.clear();
  cache.set(source, expr);
  return expr;
}

/** Every call in an expression tree, outermost first (iterative: trees are bounded but be safe). */
export function callsIn(expr: Expr): Array<Extract<Expr, { kind: "call" }>> {
  const calls: Array<Extract<Expr, { kind: "call" }>> = [];
  const stack: Expr[] = [expr];
  while (stack.length > 0) {
    const e = stack.pop()!;
    switch (e.kind) {
      case "call":
        calls.push(e);
        for (let i = e.args.length - 1; i >= 0; i--) stack.push(e.args[i]!);
        break;
      case "member":
        stack.push(e.target);
        break;
      case "index":
        stack.push(e.index, e.target);
        break;
    }
  }
  return calls;
}
