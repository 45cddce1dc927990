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
    ['all(result)', [1], /all expects an array and a predicate/],
    // Braces are optional, so `1` is a predicate body; expr-lang rejects it for not being a bool.
    ['all(result, 1)', [1], /all expects a bool, got number/],
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

// The expr-lang features beyond Argo's helpers, each checked against expr-lang's source:
// builtin/builtin.go and builtin/lib.go (functions), vm/runtime (operators), compiler/compiler.go
// (predicate builtins) and parser/parser.go with parser/operator/operator.go (grammar).
describe('evaluateCondition with expr-lang builtins', () => {
  it.each<[string, Value, boolean]>([
    // sum: an int 0 accumulator plus each element (compiler.go "sum"), so an empty array sums to 0.
    ['sum(result) < 10', [1, 2, 3], true],
    ['sum(result) == 0', [], true],
    ['sum(result) == 6.5', [1, 2.5, 3], true],
    ['isNaN(sum(result))', [1, Number.NaN], true],
    ['sum(result, # * 2) == 12', [1, 2, 3], true],
    ['sum(result, .v) == 3', [{ v: 1 }, { v: 2 }], true],
    // max/min (lib.go minMax): arrays, nested arrays and variadic numbers; an empty array gives nil.
    ['max(result) < 0.05', [0.01, 0.04], true],
    ['max(result) == 3', [1, [3, 2]], true],
    ['max(1, 5, 3) == 5', null, true],
    ['min(result, 0) == -1', [-1, 2], true],
    ['min(result) == 1', [3, 1, 2], true],
    ['max(result) == nil', [], true],
    ['max(result) == "a"', 'a', true],
    // runtime.Less never replaces a NaN already chosen, and a NaN candidate never wins.
    ['isNaN(max(result))', [Number.NaN, 1], true],
    ['max(result) == 1', [1, Number.NaN], true],
    // mean and median of nothing are 0.0 (builtin.go); median sorts with sort.Float64s, NaN first.
    ['mean(result) < 1', [0.5, 1], true],
    ['mean(result) == 0', [], true],
    ['mean(1, [2, 3]) == 2', null, true],
    ['isNaN(mean(result))', [1, Number.NaN], true],
    ['median(result) == 2', [3, 1, 2], true],
    ['median(result) == 2.5', [4, 1, 3, 2], true],
    ['median(result) == 0', [], true],
    ['median(result) == 1', [2, Number.NaN, 1], true],
    ['count(result) == 2', [true, false, true], true],
    // abs keeps the value's sign rules (lib.go Abs); ceil/floor/round return floats, round half away from zero.
    ['abs(result - 1) < 0.1', 1.05, true],
    ['abs(result) == 3', -3, true],
    ['isNaN(abs(result))', Number.NaN, true],
    ['ceil(result) == 2', 1.2, true],
    ['floor(result) == -2', -1.5, true],
    ['round(result) == -3', -2.5, true],
    ['round(result) == 3', 2.5, true],
    // float parses with strconv.ParseFloat, int truncates numbers and parses strings with strconv.Atoi.
    ['float(result) > 1.5', '2.5', true],
    ['float(result) == 2', 2, true],
    ['int(result) == 2', 2.9, true],
    ['int(result) == -2', -2.9, true],
    ['int(result) == 42', '42', true],
    ['int(result) == -9223372036854775808', Number.NaN, true],
    ['first(result) == 1 and last(result) == 3', [1, 2, 3], true],
    ['first(result) == nil and last(result) == nil', [], true],
    ['upper(result) == "OK" and lower(result) == "ok"', 'Ok', true],
    ['trim(result) == "ok"', '  ok\n', true],
    ['trim(result, "_") == "ok"', '__ok__', true],
    ['hasPrefix(result, "o") and hasSuffix(result, "k")', 'ok', true],
    // Go's len counts a string's UTF-8 bytes.
    ['len(result) == 2', 'é', true],
  ])('%s with %j → %s', (expr, result, want) => {
    expect(evaluateCondition(expr, result)).toBe(want);
  });
});

describe('evaluateCondition with expr-lang operators', () => {
  it.each<[string, Value, boolean]>([
    // ** and ^ are math.Pow, right-associative, binding tighter than unary minus.
    ['result ** 2 == 9', 3, true],
    ['result ^ 2 == 9', 3, true],
    ['2 ** 3 ** 2 == 512', null, true],
    ['-2 ** 2 == -4', null, true],
    ['(-2) ** 2 == 4', null, true],
    ['1 ** result == 1', Number.NaN, true],
    ['(-1) ** result == 1', Infinity, true],
    // % is integer-only and truncated like Go's.
    ['result % 3 == 1', 7, true],
    ['-7 % 3 == -1', null, true],
    ['result / 0 > 1', 1, true],
    ['2 + 3 * 4 == 14', null, true],
    ['-result < 0', 2, true],
    ['"a" + result == "ab"', 'b', true],
    // `not` takes in ?? (precedence 500), so this is not (result ?? true).
    ['not result ?? true', null, false],
    ['!(result > 1) and not false', 0, true],
    ['result > 0 && result < 1 || result == 5', 5, true],
    ['(result == 1 ? "one" : "other") == "one"', 1, true],
    // in: equality over arrays (runtime.Equal), key presence over maps, false for nil.
    ['result in [1, 2]', 2, true],
    ['result in [1, 2]', 3, false],
    ['result not in [1, 2]', 3, true],
    ['result not  in [1, 2]', 3, true],
    ['result in [[1]]', [1], true],
    ['result in [nil]', null, true],
    ['result in nil', 1, false],
    ['"a" in result', { a: 1 }, true],
    ['"b" in result', { a: 1 }, false],
    ['"constructor" in result', {}, false],
    ['result in {a: 1, "b": 2}', 'b', true],
    // String operators and Go regexps (RE2 flags, named groups, \A and \z).
    ['"abc" contains "b"', null, true],
    ['result contains "err"', 'no error', true],
    ['result startsWith "ok"', 'okay', true],
    ['result endsWith "ay"', 'okay', true],
    ['result not contains "x"', 'abc', true],
    ['result not startsWith "b"', 'abc', true],
    ['result not endsWith "c"', 'abc', false],
    ['"x" matches "^x"', null, true],
    ['result not matches "^a"', 'abc', false],
    [String.raw`result matches "^5\\d\\d$"`, '503', true],
    ['result matches "(?i)^ERROR"', 'error: x', true],
    ['result matches "(?P<code>5..)"', '503', true],
    [String.raw`result matches "ok\\z"`, 'ok', true],
    [String.raw`result matches "ok\\z"`, 'ok\n', false],
    [String.raw`result matches "\\Aok"`, 'ok', true],
    // ?? returns the right side only for nil; `?.` makes the whole chain nil.
    ['(result ?? 0) < 1', null, true],
    ['(result ?? 0) < 1', 5, false],
    ['result ?? false', false, false],
    ['1 < result ?? 2', null, true],
    ['result.a ?? true', {}, true],
    ['(result[0] ?? 2) == 2', [null], true],
    ['result?.a == 1', { a: 1 }, true],
    ['result?.a.b == nil', null, true],
    ['result?.a?.b == nil', { a: null }, true],
    // Own fields only: an inherited JavaScript property is no field of the result.
    ['result.constructor == nil', {}, true],
    // <, >, <=, >= chain (parseComparison); == stays a plain left-associative operator.
    ['1 < result < 3', 2, true],
    ['1 < result < 3', 3, false],
    ['0 < result <= 1 < 2', 1, true],
    ['1 < 2 == true', null, true],
    // Ranges, map literals and pipes.
    ['result in 1..3', 2, true],
    ['len(1..5) == 5 and len(3..1) == 0', null, true],
    ['{a: 1, "b": 2}.b == 2', null, true],
    ['{1: "x"}["1"] == "x" and len({}) == 0', null, true],
    ['result | sum() > 5', [3, 3], true],
    ['result | filter(# > 1) | len() == 2', [1, 2, 3], true],
    ['result | len() > 0 ? true : false', [1], true],
  ])('%s with %j → %s', (expr, result, want) => {
    expect(evaluateCondition(expr, result)).toBe(want);
  });
});

describe('evaluateCondition with predicates', () => {
  it.each<[string, Value, boolean]>([
    // Braces are optional (parsePredicate), `.field` is `#.field`, `#index` the element's index.
    ['all(result, # < 0.05)', [0.01, 0.02], true],
    ['all(result, # < 0.05)', [0.01, 0.2], false],
    ['any(result, # > 10)', [1, 20], true],
    ['all(result, # > 10)', [], true],
    ['none(result, # > 10)', [], true],
    ['any(result, # > 10)', [], false],
    ['one(result, # > 10)', [], false],
    ['all(result, .Value < 1)', [{ Value: 0.5 }], true],
    ['filter(result, .ok)[0].id == 2', [{ id: 1, ok: false }, { id: 2, ok: true }], true],
    ['map(result, #index)[1] == 1', ['a', 'b'], true],
    ['count(result, # > 0) == 2', [1, -1, 2], true],
    // find* return nil when nothing matches (the compiled loop falls through to OpNil).
    ['find(result, # > 1) == 5', [1, 5, 7], true],
    ['find(result, # > 9) == nil', [1], true],
    ['findIndex(result, # > 1) == 1', [1, 5, 7], true],
    ['findIndex(result, # > 9) == nil', [1], true],
    ['findLast(result, # > 1) == 7', [1, 5, 7], true],
    ['findLastIndex(result, # > 1) == 2', [1, 5, 7], true],
    // reduce: #acc starts at the first element unless an initial value is given.
    ['reduce(result, #acc + #) == 6', [1, 2, 3], true],
    ['reduce(result, #acc + #, 10) == 10', [], true],
    ['reduce(result, #acc + #index, 0) == 3', [5, 5, 5], true],
    // Nested predicates: the inner # is the inner element.
    ['all(result, {all(#, # > 0)})', [[1], [2]], true],
    ['all(result, any(#.Values, # > 1))', [{ Values: [0, 2] }], true],
    ['result | all(# > 0)', [1], true],
    // all stops at the first false, so later elements are never evaluated.
    ['all(result, # > 1 && # / 0 > 1)', [0, 'x'], false],
  ])('%s with %j → %s', (expr, result, want) => {
    expect(evaluateCondition(expr, result)).toBe(want);
  });
});

describe('evaluateCondition errors for expr-lang features', () => {
  it.each<[string, Value, RegExp]>([
    ['sum(result) > 0', 1, /sum expects an array, got number/],
    ['sum(result) > 0', ['a'], /invalid operation: string \+ number/],
    // max of an empty array is nil, and nil does not compare with a number.
    ['max(result) < 1', [], /cannot compare nil < number/],
    ['max(result, "a") > 1', [1], /invalid argument for max \(type string\)/],
    ['max(result) > 1', [[]], /invalid argument for max \(type nil\)/],
    ['max() > 1', null, /not enough arguments to call max/],
    ['mean(result) > 1', ['a'], /invalid argument for mean \(type string\)/],
    ['median(result) > 1', [true], /invalid argument for median \(type bool\)/],
    ['abs(result) > 1', 'x', /invalid argument for abs \(type string\)/],
    ['abs(1, 2) > 1', null, /too many arguments to call abs/],
    ['int(result) > 1', 'abc', /invalid operation: int\(abc\)/],
    ['int(result) > 1', true, /invalid operation: int\(bool\)/],
    ['float(result) > 1', '1.5x', /invalid operation: float\(1\.5x\)/],
    ['float(result) > 1', null, /invalid operation: float\(nil\)/],
    ['result % 2 == 0', 2.5, /% needs integers/],
    ['result % 0 == 0', 2, /integer divide by zero/],
    ['"a" + 1 == "a1"', null, /invalid operation: string \+ number/],
    ['result ** 2 > 1', 'x', /\*\* expects a number, got string/],
    ['result contains "a"', 1, /invalid operation: number contains string/],
    ['result matches "("', 'x', /error parsing regexp/],
    ['result in 1', 1, /operator "in" not defined on number/],
    ['1 in result', { a: 1 }, /cannot use number as a key of a map/],
    ['reduce(result, #acc + #) > 0', [], /reduce of an empty array needs an initial value/],
    ['count(result) > 0', [1], /count expects a bool, got number/],
    ['upper(result) == "A"', 1, /upper expects a string, got number/],
    ['{# > 1}', 1, /only allowed as an argument/],
    ['.a > 1', { a: 2 }, /unknown name #/],
    ['len(0..2000000) > 0', null, /memory budget exceeded/],
    ['result == null', null, /unknown name null/],
    ['toString(result)', 1, /unknown function toString/],
    ['result.a.b == 1', { a: null }, /cannot index nil with string/],
    // parser.go: "Operator (>) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses."
    ['result ?? 0 > 1', null, /cannot parse expression.*coalesce expressions \(\?\?\) cannot be mixed/],
    ['result ?? 0 + 1 > 1', null, /coalesce expressions \(\?\?\) cannot be mixed/],
    ['result | 1', 1, /cannot parse expression.*expected a function call after \|/],
    ['{a 1}', 1, /cannot parse expression/],
    ['result & 1', 1, /cannot parse expression/],
    ['result === 1', 1, /cannot parse expression/],
  ])('%s fails with a clear error', (expr, result, message) => {
    expect(() => evaluateCondition(expr, result)).toThrow(ExpressionError);
    expect(() => evaluateCondition(expr, result)).toThrow(message);
  });
});
