import type { ConfigValue } from './config-tree.js';

/**
 * Gives a configuration text its type, the way Prefect 0.11 typed `PREFECT__…` values (spec 6.6
 * item 4): `true` / `false` in any casing → boolean; a valid Python literal → its value (int,
 * float, signed numbers, quoted strings with escapes, lists, tuples → arrays, dicts, sets → arrays,
 * `None` → null, `True` / `False` inside containers); anything else → the text unchanged.
 *
 * Differences from Python's `ast.literal_eval`, all of which fall back to the raw text:
 * bytes, f-strings, complex numbers, `\N{…}` escapes, integers outside JavaScript's safe range
 * (kept as text rather than silently rounded), and dict keys other than strings and numbers.
 * `$VAR` expansion and backslash-escape decoding are the loader's job, not this function's.
 */
export function interpretValue(raw: string): ConfigValue {
  const upper = raw.toUpperCase();
  if (upper === 'TRUE') return true;
  if (upper === 'FALSE') return false;
  const parsed = parsePythonLiteral(raw);
  return parsed.ok ? parsed.value : raw;
}

/**
 * Python's `repr` of a list of strings, e.g. `['a', 'b']`: the form PREFECT__LOGGING__EXTRA_LOGGERS
 * travels in, which {@link interpretValue} reads back into the same list.
 */
export function formatPythonList(values: readonly string[]): string {
  return formatPythonLiteral(values);
}

/**
 * Python's `repr` of a configuration value (`True`, `None`, `'text'`, `[1, 'a']`, `{'k': 'v'}`), so
 * that any value written this way reads back through {@link interpretValue} unchanged.
 */
export function formatPythonLiteral(value: ConfigValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return formatPythonNumber(value);
  if (typeof value === 'string') return formatPythonString(value);
  if (Array.isArray(value)) return `[${value.map((item) => formatPythonLiteral(item)).join(', ')}]`;
  const entries = Object.entries(value).map(([key, item]) => `${formatPythonString(key)}: ${formatPythonLiteral(item)}`);
  return `{${entries.join(', ')}}`;
}

function formatPythonNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

// Code points Python's str.isprintable() rejects: control, format, private use, unassigned,
// surrogates and every separator except the plain space.
const nonPrintable = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Zs}]/u;

function formatPythonString(value: string): string {
  // Python prefers single quotes and switches to double quotes only to avoid escaping.
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let body = '';
  for (const character of value) {
    if (character === '\\') body += '\\\\';
    else if (character === quote) body += `\\${quote}`;
    else if (character === '\n') body += '\\n';
    else if (character === '\r') body += '\\r';
    else if (character === '\t') body += '\\t';
    else if (character !== ' ' && nonPrintable.test(character)) body += escapeCodePoint(character.codePointAt(0) ?? 0);
    else body += character;
  }
  return `${quote}${body}${quote}`;
}

function escapeCodePoint(code: number): string {
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

type ParseResult = { ok: true; value: ConfigValue } | { ok: false };

/** Thrown inside the parser only; any syntax Python would reject makes the text stay a string. */
class NotALiteral extends Error {}

const maximumNesting = 100;
const numberToken =
  /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*[eE][+-]?\d(?:_?\d)*|\d(?:_?\d)*/y;
const identifierToken = /[A-Za-z_][A-Za-z0-9_]*/y;
const identifierCharacter = /[A-Za-z0-9_]/;
const simpleEscapes: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function parsePythonLiteral(text: string): ParseResult {
  try {
    return { ok: true, value: new PythonLiteralParser(text).parseDocument() };
  } catch (error) {
    if (error instanceof NotALiteral) return { ok: false };
    throw error;
  }
}

/**
 * Recursive-descent parser for the subset of Python expressions `ast.literal_eval` accepts. It
 * never evaluates anything: names other than True/False/None and any operator other than a sign
 * on a number are syntax it refuses.
 */
class PythonLiteralParser {
  private position = 0;
  // Inside brackets Python ignores line breaks; outside them a line break ends the expression.
  private depth = 0;

  constructor(private readonly text: string) {}

  parseDocument(): ConfigValue {
    this.skipTrivia(true);
    const value = this.parseExpressionList();
    this.skipTrivia(true);
    if (this.position !== this.text.length) this.fail();
    return value;
  }

  /** `1, 2` at the top level is a tuple in Python's eval mode. */
  private parseExpressionList(): ConfigValue {
    const first = this.parseExpression();
    this.skipTrivia();
    if (this.peek() !== ',') return first;
    const items = [first];
    while (this.peek() === ',') {
      this.position += 1;
      this.skipTrivia();
      if (this.atEnd() || this.peek() === '#' || this.isLineBreak(this.peek())) break;
      items.push(this.parseExpression());
      this.skipTrivia();
    }
    return items;
  }

  private parseExpression(): ConfigValue {
    this.skipTrivia();
    const character = this.peek();
    if (character === '+' || character === '-') {
      this.position += 1;
      this.skipTrivia();
      // literal_eval accepts one sign on a number literal, not `--1` or `-True`.
      if (this.peek() === '+' || this.peek() === '-') this.fail();
      const operand = this.parseExpression();
      if (typeof operand !== 'number') this.fail();
      return character === '-' ? -operand : operand;
    }
    if (character === '[') return this.parseList();
    if (character === '(') return this.parseParenthesized();
    if (character === '{') return this.parseBraces();
    if (character === "'" || character === '"') return this.parseStrings();
    if (character !== undefined && /[0-9.]/.test(character)) return this.parseNumber();
    if (character !== undefined && /[A-Za-z_]/.test(character)) return this.parseWord();
    return this.fail();
  }

  private parseList(): ConfigValue[] {
    return this.parseSequence('[', ']').items;
  }

  private parseParenthesized(): ConfigValue {
    const { items, trailingComma } = this.parseSequence('(', ')');
    // `(x)` is just x; `()`, `(x,)` and `(x, y)` are tuples, which JSON can only hold as arrays.
    if (items.length === 1 && !trailingComma) return items[0] as ConfigValue;
    return items;
  }

  private parseSequence(open: string, close: string): { items: ConfigValue[]; trailingComma: boolean } {
    this.enter(open);
    const items: ConfigValue[] = [];
    let trailingComma = false;
    this.skipTrivia();
    while (this.peek() !== close) {
      items.push(this.parseExpression());
      this.skipTrivia();
      trailingComma = false;
      if (this.peek() === ',') {
        this.position += 1;
        trailingComma = true;
        this.skipTrivia();
      } else if (this.peek() !== close) {
        this.fail();
      }
    }
    this.leave(close);
    return { items, trailingComma };
  }

  /** `{}` and `{k: v}` are dicts, `{a, b}` a set (returned as an array without duplicates). */
  private parseBraces(): ConfigValue {
    this.enter('{');
    this.skipTrivia();
    if (this.peek() === '}') {
      this.leave('}');
      return {};
    }
    const firstKey = this.parseExpression();
    this.skipTrivia();
    if (this.peek() === ':') return this.parseDictRest(firstKey);
    const members: ConfigValue[] = [firstKey];
    while (this.peek() === ',') {
      this.position += 1;
      this.skipTrivia();
      if (this.peek() === '}') break;
      members.push(this.parseExpression());
      this.skipTrivia();
    }
    this.leave('}');
    return members.filter((member, index) => {
      // Lists and dicts are unhashable: Python raises TypeError for a set that holds one.
      if (typeof member === 'object' && member !== null) this.fail();
      return members.indexOf(member) === index;
    });
  }

  private parseDictRest(firstKey: ConfigValue): ConfigValue {
    const result: Record<string, ConfigValue> = {};
    let key = firstKey;
    for (;;) {
      this.expect(':');
      const value = this.parseExpression();
      setOwnProperty(result, this.dictKey(key), value);
      this.skipTrivia();
      if (this.peek() !== ',') break;
      this.position += 1;
      this.skipTrivia();
      if (this.peek() === '}') break;
      key = this.parseExpression();
      this.skipTrivia();
    }
    this.leave('}');
    return result;
  }

  private dictKey(key: ConfigValue): string {
    if (typeof key === 'string') return key;
    if (typeof key === 'number') return formatPythonNumber(key);
    return this.fail();
  }

  /** Adjacent literals concatenate, as in Python: `'a' "b"` is `'ab'`. */
  private parseStrings(prefix = ''): string {
    let value = this.parseStringBody(prefix);
    for (;;) {
      const save = this.position;
      this.skipTrivia();
      const character = this.peek();
      if (character === "'" || character === '"') {
        value += this.parseStringBody('');
        continue;
      }
      identifierToken.lastIndex = this.position;
      const word = identifierToken.exec(this.text)?.[0];
      const after = word === undefined ? undefined : this.text[this.position + word.length];
      if (word !== undefined && (after === "'" || after === '"')) {
        this.position += word.length;
        value += this.parseStringBody(this.checkStringPrefix(word));
        continue;
      }
      this.position = save;
      return value;
    }
  }

  private checkStringPrefix(word: string): string {
    const prefix = word.toLowerCase();
    // b'' (bytes) and f'' (formatted) are not values a config can hold; only r and u are plain text.
    if (prefix !== 'r' && prefix !== 'u') this.fail();
    return prefix;
  }

  private parseStringBody(prefix: string): string {
    const raw = prefix === 'r';
    const quote = this.peek();
    if (quote !== "'" && quote !== '"') return this.fail();
    const triple = this.text.startsWith(quote.repeat(3), this.position);
    this.position += triple ? 3 : 1;
    let value = '';
    for (;;) {
      const character = this.peek();
      if (character === undefined) return this.fail();
      if (triple ? this.text.startsWith(quote.repeat(3), this.position) : character === quote) {
        this.position += triple ? 3 : 1;
        return value;
      }
      if (!triple && this.isLineBreak(character)) return this.fail();
      if (character === '\\') {
        value += raw ? this.readRawEscape() : this.readEscape();
        continue;
      }
      value += character;
      this.position += 1;
    }
  }

  private readRawEscape(): string {
    // In a raw string the backslash stays, but still keeps the next character (even a quote) literal.
    const next = this.text[this.position + 1];
    if (next === undefined) return this.fail();
    this.position += 2;
    return `\\${next}`;
  }

  private readEscape(): string {
    const next = this.text[this.position + 1];
    if (next === undefined) return this.fail();
    this.position += 2;
    if (next === '\n') return '';
    if (next === '\r') {
      if (this.peek() === '\n') this.position += 1;
      return '';
    }
    const simple = simpleEscapes[next];
    if (simple !== undefined) return simple;
    if (/[0-7]/.test(next)) {
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(this.peek() ?? '')) {
        digits += this.peek();
        this.position += 1;
      }
      return String.fromCodePoint(Number.parseInt(digits, 8));
    }
    const hexLength = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (hexLength > 0) {
      const digits = this.text.slice(this.position, this.position + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(digits)) this.fail();
      const code = Number.parseInt(digits, 16);
      if (code > 0x10ffff) this.fail();
      this.position += hexLength;
      return String.fromCodePoint(code);
    }
    if (next === 'N') return this.fail();
    // Unknown escapes keep their backslash in Python.
    return `\\${next}`;
  }

  private parseNumber(): number {
    numberToken.lastIndex = this.position;
    const token = numberToken.exec(this.text)?.[0];
    if (token === undefined) return this.fail();
    this.position += token.length;
    const following = this.peek();
    // `1j` is complex and `1abc` / `1.2.3` are not numbers at all.
    if (following !== undefined && (identifierCharacter.test(following) || following === '.')) this.fail();
    const digits = token.replaceAll('_', '');
    if (/^0[xob]/i.test(digits)) return this.safeInteger(BigInt(digits));
    if (/^\d+$/.test(digits)) {
      // Python 3 rejects leading zeros on decimal integers ("0123"), except for zero itself.
      if (/^0\d/.test(digits) && !/^0+$/.test(digits)) this.fail();
      return this.safeInteger(BigInt(digits));
    }
    return Number(digits);
  }

  private safeInteger(value: bigint): number {
    // Beyond 2^53 a JavaScript number would silently change the value; keep the text instead.
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail();
    return Number(value);
  }

  private parseWord(): ConfigValue {
    identifierToken.lastIndex = this.position;
    const word = identifierToken.exec(this.text)?.[0] ?? '';
    const after = this.text[this.position + word.length];
    if (after === "'" || after === '"') {
      this.position += word.length;
      return this.parseStrings(this.checkStringPrefix(word));
    }
    this.position += word.length;
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    return this.fail();
  }

  private skipTrivia(allowLineBreaks = false): void {
    for (;;) {
      const character = this.peek();
      if (character === ' ' || character === '\t' || character === '\f') {
        this.position += 1;
      } else if (character === '#') {
        while (!this.atEnd() && !this.isLineBreak(this.peek())) this.position += 1;
      } else if (character === '\\' && this.isLineBreak(this.text[this.position + 1])) {
        this.position += 2;
      } else if (this.isLineBreak(character) && (allowLineBreaks || this.depth > 0)) {
        this.position += 1;
      } else {
        return;
      }
    }
  }

  private enter(open: string): void {
    this.expect(open);
    this.depth += 1;
    if (this.depth > maximumNesting) this.fail();
  }

  private leave(close: string): void {
    this.skipTrivia();
    this.expect(close);
    this.depth -= 1;
  }

  private expect(character: string): void {
    this.skipTrivia();
    if (this.peek() !== character) this.fail();
    this.position += 1;
  }

  private peek(): string | undefined {
    return this.text[this.position];
  }

  private atEnd(): boolean {
    return this.position >= this.text.length;
  }

  private isLineBreak(character: string | undefined): boolean {
    return character === '\n' || character === '\r';
  }

  private fail(): never {
    throw new NotALiteral();
  }
}

/** Plain assignment would treat a `__proto__` key as the prototype instead of a property. */
function setOwnProperty(target: Record<string, ConfigValue>, key: string, value: ConfigValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
