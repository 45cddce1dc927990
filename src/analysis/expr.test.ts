import { describe, expect, it } from 'vitest';
import { ExpressionError, evaluateCondition, type Value } from './expr.js';

describe('evaluateCondition', () => {
  it.each<[string, Value, boolean]>([
    ['result[0] >= 0.95', [0.99], true],
    ['result[0] >= 0.95', [0.5], false],
    ['result >= 0.95', 0.96, true],
    ['len(result) > 0 && result[0] < 100', [42], true],
    ['len(result) > 0 && result[0] < 100', [], false],
    // Argo docs, handling metric results: an empty vector, NaN, Inf and no value at all.
    ['len(result) == 0 || result[0] >= 0.95', [], true],
    ['isNaN(result) || result >= 0.95', Number.NaN, true],
    ['isInf(result) || result >= 0.95', Infinity, true],
    ['default(result, 0) >= 0.95', null, false],
    ['default(result, 1) >= 0.95', null, true],
    ['isNil(result)', null, true],
    ['asFloat(result) > 1.5', '2.5', true],
    ['asInt(result) == 2', 2.9, true],
    ['result.data.ok == true', { data: { ok: true } }, true],
    ["result.status == 'healthy'", { status: 'healthy' }, true],
    ['result > 1 and result < 3', 2, true],
    ['result < 1 or result > 3', 2, false],
    ['not (result > 1)', 2, false],
    ['!(result > 1)', 0, true],
    ['result[-1] == 3', [1, 2, 3], true],
    ['result > 0 ? true : false', 1, true],
    ['result * 100 >= 95', 0.96, true],
    // CloudWatch results are MetricDataResults; conditions use expr-lang's predicate builtins.
    ['all(result[0].Values, {# <= 0.01})', [{ Id: 'errors', Values: [0.001, 0.002] }], true],
    ['all(result[0].Values, {# <= 0.01})', [{ Id: 'errors', Values: [0.001, 0.2] }], false],
    ['len(result[0].Values) >= 2 and all(result[0].Values, { # < 1 })', [{ Id: 'e', Values: [0.5, 0.2] }], true],
    ['any(result, {# > 10})', [1, 20], true],
    ['none(result, {# > 10})', [1, 20], false],
    ['one(result, {# > 10})', [1, 20], true],
    ['count(result, {# > 0}) == 2', [1, 20, 0], true],
    ['len(filter(result, {# > 5})) == 1', [1, 20], true],
    ['map(result, {# * 2})[1] == 40', [1, 20], true],
    // asFloat is Go's strconv.ParseFloat: Inf, Infinity and NaN in any case.
    ['asFloat(result) > 1', 'Inf', true],
    ['asFloat(result) < 0', '-infinity', true],
    // expr-lang's ==: NaN equals nothing, not nil, not NaN, not inside an array either.
    ['result == nil', Number.NaN, false],
    ['result == result', Number.NaN, false],
    ['result != nil', Number.NaN, true],
    ['result == result', [Number.NaN], false],
    // default and isNil look at the whole result, whatever their first argument (Argo's defaultFunc/isNilFunc).
    ['default(result[0], 0) == 5', [5], false],
    ['len(default(result[0], 0)) == 1', [5], true],
    ['isNil(result.a)', { a: null }, false],
    ['isNil(0)', null, true],
    ['default(1, 2) == 5', 5, true],
  ])('%s with %j → %s', (expr, result, want) => {
    expect(evaluateCondition(expr, result)).toBe(want);
  });

  it.each<[string, Value, RegExp]>([
    ['result >=', 1, /cannot parse expression "result >="/],
    ['result > "a"', 1, /cannot compare number > string/],
    ['result[3] > 1', [1], /index 3 out of range/],
    ['unknown(result)', 1, /unknown function unknown/],
    ['result', 1, /expected bool, but got number/],
    ['all(result, {# > 1)', [1], /cannot parse expression/],
    ['all(result, 1)', [1], /all expects an array and a predicate/],
    ['all(result, {# > 1})', 1, /all expects an array, got number/],
    ['# > 1', 1, /unknown name #/],
    ['result && true', 1, /expects a bool/],
    ['process.exit(1)', 1, /unknown function|unknown name/],
    ['constructor.constructor("x")()', 1, /unknown name constructor|unknown function|unsupported/],
    // asInt and asFloat are Go's strconv: the whole string must be a number.
    ['asInt(result) == 3', '3.5', /strconv.ParseInt: parsing "3.5": invalid syntax/],
    ['asFloat(result) < 1', '0.5abc', /strconv.ParseFloat: parsing "0.5abc": invalid syntax/],
    ['asFloat(result) > 1', '1e400', /strconv.ParseFloat: parsing "1e400": value out of range/],
    ['asFloat(result) > 1', ' 2', /strconv.ParseFloat: parsing " 2": invalid syntax/],
    ['default(result) == 1', 1, /not enough arguments to call default/],
    ['isNil(result, 1)', 1, /too many arguments to call isNil/],
  ])('%s fails with a clear error', (expr, result, message) => {
    expect(() => evaluateCondition(expr, result)).toThrow(ExpressionError);
    expect(() => evaluateCondition(expr, result)).toThrow(message);
  });
});
