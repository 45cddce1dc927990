// Expected values are what Go's strconv.ParseInt(s, 10, 64) / ParseFloat(s, 64) return (checked with go1.26).
import { describe, expect, it } from 'vitest';
import { parseGoFloat, parseGoInt } from './go-strconv.js';

describe('parseGoInt', () => {
  it.each<[string, number]>([
    ['3', 3],
    ['-3', -3],
    ['+3', 3],
    ['007', 7],
  ])('%j is %d', (text, want) => {
    expect(parseGoInt(text)).toBe(want);
  });

  it.each<[string, string]>([
    ['3.5', 'invalid syntax'],
    ['3e2', 'invalid syntax'],
    [' 3', 'invalid syntax'],
    ['', 'invalid syntax'],
    ['1_000', 'invalid syntax'],
    ['0x10', 'invalid syntax'],
    ['9223372036854775808', 'value out of range'],
    ['-9223372036854775809', 'value out of range'],
    ['18446744073709551616ns', 'value out of range'],
  ])('%j fails: %s', (text, reason) => {
    expect(() => parseGoInt(text)).toThrow(`strconv.ParseInt: parsing ${JSON.stringify(text)}: ${reason}`);
  });
});

describe('parseGoFloat', () => {
  it.each<[string, number]>([
    ['0.5', 0.5],
    ['.5', 0.5],
    ['5.', 5],
    ['1E-2', 0.01],
    ['1.5e+2', 150],
    ['+3', 3],
    ['-0', -0],
    ['1_000', 1000],
    ['1e-400', 0],
    ['Inf', Infinity],
    ['inf', Infinity],
    ['+Inf', Infinity],
    ['Infinity', Infinity],
    ['-infinity', -Infinity],
    ['NaN', Number.NaN],
    ['nan', Number.NaN],
    ['0x1p-2', 0.25],
    ['0x1.8p1', 3],
    ['0X_1p0', 1],
    ['0x.8p1', 1],
    ['0x1.8p-1074', 1e-323],
  ])('%j is %d', (text, want) => {
    expect(parseGoFloat(text)).toBe(want);
  });

  it.each<[string, string]>([
    ['0.5abc', 'invalid syntax'],
    ['infinit', 'invalid syntax'],
    ['-nan', 'invalid syntax'],
    [' 1', 'invalid syntax'],
    ['1 ', 'invalid syntax'],
    ['', 'invalid syntax'],
    ['.', 'invalid syntax'],
    ['1e', 'invalid syntax'],
    ['0x10', 'invalid syntax'],
    ['1__0', 'invalid syntax'],
    ['0x_.8p1', 'invalid syntax'],
    ['1e400', 'value out of range'],
    ['0x1p1024', 'value out of range'],
  ])('%j fails: %s', (text, reason) => {
    expect(() => parseGoFloat(text)).toThrow(`strconv.ParseFloat: parsing ${JSON.stringify(text)}: ${reason}`);
  });
});
