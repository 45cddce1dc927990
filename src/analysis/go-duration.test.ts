// Expected values are what Go's time.ParseDuration returns for the same input (checked with go1.26).
import { describe, expect, it } from 'vitest';
import { goQuote, parseGoDuration } from './go-duration.js';

describe('parseGoDuration', () => {
  it.each<[string, number]>([
    ['1m', 60_000],
    ['.5s', 500],
    ['1.s', 1000],
    ['1.5h', 5_400_000],
    ['1h30m', 5_400_000],
    ['-1m', -60_000],
    ['+2s', 2000],
    ['0', 0],
    ['+0', 0],
    ['-0', 0],
    ['1µs', 0.001],
    ['1μs', 0.001],
    ['1us', 0.001],
    ['250ms', 250],
    ['1ns', 0.000001],
    ['0.0000000001s', 0],
    ['2562047h', 9_223_369_200_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toEqual({ ok: true, ms });
  });

  it.each<[string, string]>([
    ['60', 'time: missing unit in duration "60"'],
    ['1m30', 'time: missing unit in duration "1m30"'],
    ['1..5s', 'time: missing unit in duration "1..5s"'],
    ['', 'time: invalid duration ""'],
    ['s', 'time: invalid duration "s"'],
    ['.s', 'time: invalid duration ".s"'],
    [' 1s', 'time: invalid duration " 1s"'],
    ['2562048h', 'time: invalid duration "2562048h"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['1S', 'time: unknown unit "S" in duration "1S"'],
    ['1e3s', 'time: unknown unit "e" in duration "1e3s"'],
    ['1s ', 'time: unknown unit "s " in duration "1s "'],
    ['1äs', 'time: unknown unit "\\xc3\\xa4s" in duration "1\\xc3\\xa4s"'],
  ])('%j is rejected with Go\'s message', (text, error) => {
    expect(parseGoDuration(text)).toEqual({ ok: false, error });
  });

  it('quotes like Go\'s time package', () => {
    expect(goQuote('a"b\\c\n')).toBe('"a\\"b\\\\c\\x0a"');
  });
});
