import { describe, expect, it } from 'vitest';
import { parseParameters } from './parse-parameters.js';
import { UsageError } from './usage-error.js';

describe('parseParameters', () => {
  it('returns no parameters for no pairs', () => {
    expect(parseParameters([])).toEqual({});
  });

  it('reads values that are JSON as that JSON value', () => {
    expect(parseParameters([
      'count=42',
      'ratio=-1.5e3',
      'enabled=true',
      'disabled=false',
      'nothing=null',
      'quoted="42"',
      'list=[1,"a",null]',
      'object={"a":{"b":[true]}}',
    ])).toEqual({
      count: 42,
      ratio: -1500,
      enabled: true,
      disabled: false,
      nothing: null,
      quoted: '42',
      list: [1, 'a', null],
      object: { a: { b: [true] } },
    });
  });

  it('keeps anything else as the plain string', () => {
    expect(parseParameters(['who=Ada', 'path=/tmp/x y', 'broken={"a":', 'word=True', 'spaced= 7 '])).toEqual({
      who: 'Ada',
      path: '/tmp/x y',
      broken: '{"a":',
      word: 'True',
      spaced: 7,
    });
  });

  it('splits at the first "=" only, and accepts an empty value', () => {
    expect(parseParameters(['query=a=b=c', 'empty='])).toEqual({ query: 'a=b=c', empty: '' });
  });

  it('lets a later pair for the same name win', () => {
    expect(parseParameters(['who=Ada', 'who=Grace'])).toEqual({ who: 'Grace' });
  });

  it('rejects a pair without a name or without "=" with a UsageError quoting it', () => {
    for (const pair of ['Ada', '=Ada', '']) {
      let caught: unknown;
      try {
        parseParameters([pair]);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as Error).message).toBe(`--param expects name=value, got "${pair}"`);
    }
  });
});
