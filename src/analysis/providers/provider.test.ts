import { describe, expect, it } from 'vitest';
import { goFloat, goFloatV, parsePromFloat } from './provider.js';

describe('Go float formatting', () => {
  it.each<[number, string]>([
    [0.99, '0.99'],
    [1, '1'],
    [1e-7, '0.0000001'],
    [-1.5e-7, '-0.00000015'],
    [1e21, '1000000000000000000000'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
  ])("strconv.FormatFloat(%d, 'f', -1) is %s", (value, want) => {
    expect(goFloat(value)).toBe(want);
  });

  // Printed by Go 1.26: fmt.Printf("%+v", [][]float64{{0.001, 1234567, 100000000, 1e21, 0.00001, 12, 1.5}}).
  it('matches fmt %v', () => {
    expect([0.001, 1234567, 100000000, 1e21, 0.00001, 12, 1.5].map(goFloatV).join(' ')).toBe('0.001 1.234567e+06 1e+08 1e+21 1e-05 12 1.5');
  });

  it('parses Prometheus special values', () => {
    expect(parsePromFloat('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parsePromFloat('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(parsePromFloat('NaN')).toBeNaN();
    expect(parsePromFloat('0.25')).toBe(0.25);
  });
});
