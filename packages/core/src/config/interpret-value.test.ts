import { describe, expect, it } from 'vitest';
import { formatPythonList, formatPythonLiteral, interpretValue } from './interpret-value.js';

describe('interpretValue', () => {
  // test_configuration.py::test_string_to_type_function
  it('reads true and false in any casing as booleans', () => {
    for (const text of ['true', 'True', 'TRUE', 'trUe']) expect(interpretValue(text)).toBe(true);
    for (const text of ['false', 'False', 'FALSE', 'falSe']) expect(interpretValue(text)).toBe(false);
  });

  it('reads numbers, signed numbers and floats', () => {
    expect(interpretValue('1')).toBe(1);
    expect(interpretValue('1.5')).toBe(1.5);
    expect(interpretValue('-1')).toBe(-1);
    expect(interpretValue('-1.5')).toBe(-1.5);
    expect(interpretValue('10')).toBe(10);
    expect(interpretValue('-7.5')).toBe(-7.5);
    expect(interpretValue('+3')).toBe(3);
    expect(interpretValue('- 3')).toBe(-3);
    expect(interpretValue('1_000')).toBe(1000);
    expect(interpretValue('0x1F')).toBe(31);
    expect(interpretValue('0o17')).toBe(15);
    expect(interpretValue('0b101')).toBe(5);
    expect(interpretValue('1e3')).toBe(1000);
    expect(interpretValue('.5')).toBe(0.5);
    expect(interpretValue('5.')).toBe(5);
    expect(interpretValue('2.5E-3')).toBe(0.0025);
    expect(interpretValue('0')).toBe(0);
    expect(interpretValue('00')).toBe(0);
  });

  it('keeps text that only looks numeric as text', () => {
    expect(interpretValue('x')).toBe('x');
    expect(interpretValue('0123')).toBe('0123'); // leading zeros are a syntax error in Python 3
    expect(interpretValue('1.2.3')).toBe('1.2.3');
    expect(interpretValue('1abc')).toBe('1abc');
    expect(interpretValue('1j')).toBe('1j');
    expect(interpretValue('--1')).toBe('--1');
    expect(interpretValue('-True')).toBe('-True');
    expect(interpretValue('1__0')).toBe('1__0');
    expect(interpretValue('12345678901234567890')).toBe('12345678901234567890');
    expect(interpretValue('4f8a2b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b')).toBe('4f8a2b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b');
    expect(interpretValue('test1/test2:test3')).toBe('test1/test2:test3');
    expect(interpretValue('')).toBe('');
  });

  it('reads quoted strings with their escapes', () => {
    expect(interpretValue("'abc'")).toBe('abc');
    expect(interpretValue('"abc"')).toBe('abc');
    expect(interpretValue("'it\\'s'")).toBe("it's");
    expect(interpretValue("'a\\nb\\t\\x41\\u00e9\\101'")).toBe('a\nb\tA\u00e9A');
    expect(interpretValue("'\\d'")).toBe('\\d');
    expect(interpretValue("r'\\n'")).toBe('\\n');
    expect(interpretValue("u'x'")).toBe('x');
    expect(interpretValue("'''a'b'''")).toBe("a'b");
    expect(interpretValue("'a' \"b\"")).toBe('ab');
  });

  it('refuses strings Python would refuse or that are not text', () => {
    expect(interpretValue("'abc")).toBe("'abc");
    expect(interpretValue("b'abc'")).toBe("b'abc'");
    expect(interpretValue("f'abc'")).toBe("f'abc'");
    expect(interpretValue("'a\nb'")).toBe("'a\nb'");
    expect(interpretValue("'\\x4'")).toBe("'\\x4'");
  });

  it('reads None, lists, tuples, dicts and sets, nested', () => {
    expect(interpretValue('None')).toBe(null);
    expect(interpretValue("['a', 'b']")).toEqual(['a', 'b']);
    expect(interpretValue('[]')).toEqual([]);
    expect(interpretValue('[1, [True, None], {"k": (1, 2)}]')).toEqual([1, [true, null], { k: [1, 2] }]);
    expect(interpretValue('(1,)')).toEqual([1]);
    expect(interpretValue('()')).toEqual([]);
    expect(interpretValue('(7)')).toBe(7);
    expect(interpretValue('-(7)')).toBe(-7);
    expect(interpretValue('1, 2')).toEqual([1, 2]);
    expect(interpretValue('[1, 2,]')).toEqual([1, 2]);
    expect(interpretValue('{"ACCESS_KEY": "abcdef", "SECRET_ACCESS_KEY": "ghijklmn"}')).toEqual({
      ACCESS_KEY: 'abcdef',
      SECRET_ACCESS_KEY: 'ghijklmn',
    });
    expect(interpretValue("{1: 'one', 'a': {'b': [False]}}")).toEqual({ 1: 'one', a: { b: [false] } });
    expect(interpretValue("{'a', 'b', 'a'}")).toEqual(['a', 'b']);
    expect(interpretValue('{}')).toEqual({});
    expect(interpretValue('[\n  1,  # one\n  2\n]')).toEqual([1, 2]);
    expect(interpretValue('  [1]  ')).toEqual([1]);
  });

  it('keeps a __proto__ key as data instead of a prototype', () => {
    const value = interpretValue("{'__proto__': {'polluted': True}}") as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps anything that is not a literal as text', () => {
    for (const text of ['[1, 2', '[,]', '{1: }', 'foo', 'os.system("x")', '[1] [2]', '1 + 2', '...', 'True()', '{[1]: 2}', '{[1], 2}', '1\n2']) {
      expect(interpretValue(text)).toBe(text);
    }
  });

  it('does not overflow the stack on deep nesting', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expect(interpretValue(deep)).toBe(deep);
  });
});

describe('formatPythonList', () => {
  it('writes the Python repr of a list of strings', () => {
    expect(formatPythonList([])).toBe('[]');
    expect(formatPythonList(['test_logger'])).toBe("['test_logger']");
    expect(formatPythonList(['a', 'b'])).toBe("['a', 'b']");
  });

  it('quotes and escapes like repr', () => {
    expect(formatPythonList(["it's"])).toBe(`["it's"]`);
    expect(formatPythonList(['say "hi"'])).toBe(`['say "hi"']`);
    expect(formatPythonList(['both \' and "'])).toBe(`['both \\' and "']`);
    expect(formatPythonList(['back\\slash'])).toBe("['back\\\\slash']");
    expect(formatPythonList(['a\nb\t\u0001\u00a0é'])).toBe("['a\\nb\\t\\x01\\xa0é']");
  });

  it('reads back to the same list', () => {
    const names = ['plain', "it's", 'say "hi"', 'both \' and "', 'back\\slash', 'tab\tnew\nline', 'é ü 日本'];
    expect(interpretValue(formatPythonList(names))).toEqual(names);
  });
});

describe('formatPythonLiteral', () => {
  it('writes Python repr for every config value', () => {
    expect(formatPythonLiteral(true)).toBe('True');
    expect(formatPythonLiteral(null)).toBe('None');
    expect(formatPythonLiteral(1.5)).toBe('1.5');
    expect(formatPythonLiteral({ a: [1, 'x'], b: { c: false } })).toBe("{'a': [1, 'x'], 'b': {'c': False}}");
    expect(interpretValue(formatPythonLiteral({ a: [1, 'x'], b: { c: false } }))).toEqual({ a: [1, 'x'], b: { c: false } });
  });
});
