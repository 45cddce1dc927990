// Argo Rollouts success/failure conditions, in the expr-lang forms people write: `result[0] >= 0.95`,
// `len(result) > 0 && result[0] < 100`, `isNaN(result)`, `default(result, 0) <= 5`, `asFloat(result) > 1`,
// `sum(result) < 10`, `all(result, # < 0.05)`, `result ?? 0`, `"abc" contains "b"`, `result in [1, 2]`.
// Argo evaluates them with github.com/expr-lang/expr; this file follows its parser
// (parser/parser.go, parser/operator/operator.go), its runtime (vm/runtime) and its builtins
// (builtin/builtin.go, builtin/lib.go), plus Argo's own helpers (utils/evaluate/evaluate.go).
// Parsed with jsep, reshaped to expr-lang's grammar, and evaluated by walking the syntax tree: no eval,
// no access to anything but `result` and the helper functions. Types are checked as expr-lang checks
// them (comparing a number with a string is an error, not a JavaScript coercion).
//
// Not supported: slices `a[1:2]`, ranges whose left end is not an integer literal (`x..5`), `a ?: b`,
// backtick strings, comments, hex/octal/underscore number literals, `let`, `$env`, date/time functions,
// and the string/map builtins beyond upper/lower/trim/hasPrefix/hasSuffix.
import jsep, { type Expression } from 'jsep';
import { parseGoFloat, parseGoInt } from './go-strconv.js';

const PREDICATE = 'Predicate';
const MAP_LITERAL = 'MapLiteral';
const IDENTIFIER_START = /[A-Za-z_$]/;

/** expr-lang's binary operators and their precedence (parser/operator/operator.go; `|` is handled apart). */
const EXPR_PRECEDENCE: Readonly<Record<string, number>> = {
  or: 10,
  '||': 10,
  and: 15,
  '&&': 15,
  ...Object.fromEntries(['==', '!=', '<', '>', '<=', '>='].map((op) => [op, 20])),
  // expr-lang allows `not` in front of these five ("not in", "not matches", ...).
  ...Object.fromEntries(['in', 'matches', 'contains', 'startsWith', 'endsWith'].flatMap((op) => [[op, 20], [`not ${op}`, 20]])),
  '..': 25,
  '+': 30,
  '-': 30,
  '*': 60,
  '/': 60,
  '%': 60,
  '**': 100,
  '^': 100,
  '??': 500,
};

/** expr-lang's unary operators: `-x ** 2` is `-(x ** 2)` and `not a * b` is `not (a * b)`. */
const UNARY_PRECEDENCE: Readonly<Record<string, number>> = { not: 50, '!': 50, '-': 90, '+': 90 };

/** Teaches jsep expr-lang's operators, literals and the tokens jsep lacks (predicates, maps, `.field`, ranges, pipes). */
function configureParser(): void {
  // JavaScript operators expr-lang does not have, so they fail to parse instead of meaning something else.
  for (const op of ['|', '&', '^', '===', '!==', '<<', '>>', '>>>']) jsep.removeBinaryOp(op);
  jsep.removeUnaryOp('~');
  jsep.removeLiteral('null');
  // jsep wants small ranks, higher binds tighter; expr-lang's numbers keep their order.
  const ranks = [...new Set(Object.values(EXPR_PRECEDENCE))].sort((a, b) => a - b);
  for (const [op, precedence] of Object.entries(EXPR_PRECEDENCE)) jsep.addBinaryOp(op, ranks.indexOf(precedence) + 1, precedence === 100);
  jsep.addUnaryOp('not');
  jsep.addLiteral('nil', null);
  // `#` is the element inside a predicate; `#index` and `#acc` are its index and reduce's accumulator.
  jsep.addIdentifierChar('#');
  jsep.hooks.add('gobble-token', gobbleExprToken);
  // First, so a ternary after a pipe (`a | f() ? x : y`) still sees the whole piped expression.
  jsep.hooks.add('after-expression', gobblePipes, true);
}

type HookScope = jsep.HookScope;

/** The current character; a call, because TypeScript would otherwise keep `scope.char` narrowed across index moves. */
const peek = (scope: HookScope): string => scope.char;

function gobbleExprToken(this: HookScope, env: { node?: Expression }): void {
  const node = takePending(this) ?? gobbleBraces(this) ?? gobbleGroup(this) ?? gobblePointer(this) ?? gobbleRangeStart(this);
  if (node) env.node = node;
}

/** Parses an expression or fails with a message naming what was expected. */
function requireExpression(scope: HookScope, what: string): Expression {
  // jsep's typings say an expression always comes back; at the end of the input it does not.
  const node = scope.gobbleExpression() as Expression | false | undefined;
  if (!node) scope.throwError(`expected ${what}`);
  return node;
}

/** `{...}`: a map literal when it starts like one (`{}`, `{key: ...}`), else a predicate closure. */
function gobbleBraces(scope: HookScope): Expression | undefined {
  if (scope.char !== '{') return undefined;
  scope.index++;
  if (looksLikeMap(scope)) return scope.gobbleTokenProperty(gobbleMapEntries(scope));
  const body = requireExpression(scope, 'a predicate');
  scope.gobbleSpaces();
  if (peek(scope) !== '}') scope.throwError('expected } to close the predicate');
  scope.index++;
  return { type: PREDICATE, body };
}

function looksLikeMap(scope: HookScope): boolean {
  const start = scope.index;
  scope.gobbleSpaces();
  let isMap = scope.char === '}';
  if (!isMap && mapKey(scope) !== undefined) {
    scope.gobbleSpaces();
    isMap = scope.char === ':';
  }
  scope.index = start;
  return isMap;
}

/** A map key as expr-lang reads it: a quoted string, or a number or identifier taken as its text. */
function mapKey(scope: HookScope): string | undefined {
  const ch = scope.char;
  if (ch === '"' || ch === "'") {
    const value = scope.gobbleStringLiteral()?.value;
    return typeof value === 'string' ? value : undefined;
  }
  if (/[0-9]/.test(ch)) {
    const start = scope.index;
    scope.gobbleNumericLiteral();
    return scope.expr.slice(start, scope.index);
  }
  if (!IDENTIFIER_START.test(ch)) return undefined;
  const name = scope.gobbleIdentifier()?.name;
  return typeof name === 'string' ? name : undefined;
}

function gobbleMapEntries(scope: HookScope): Expression {
  const keys: string[] = [];
  const values: Expression[] = [];
  scope.gobbleSpaces();
  while (scope.char !== '}') {
    const key = mapKey(scope) ?? scope.throwError('a map key must be a quoted string, a number or an identifier');
    scope.gobbleSpaces();
    if (scope.char !== ':') scope.throwError('expected : after a map key');
    scope.index++;
    keys.push(key);
    values.push(requireExpression(scope, 'a map value'));
    scope.gobbleSpaces();
    if (peek(scope) === ',') scope.index++;
    else if (peek(scope) !== '}') scope.throwError('expected , or } in a map');
    scope.gobbleSpaces();
  }
  scope.index++;
  return { type: MAP_LITERAL, keys, values };
}

/** `( ... )`, marked: expr-lang's `??` mixing rule and comparison chains stop at parentheses. */
function gobbleGroup(scope: HookScope): Expression | undefined {
  if (scope.char !== '(') return undefined;
  scope.index++;
  const inner = requireExpression(scope, 'an expression in ( )');
  scope.gobbleSpaces();
  if (peek(scope) !== ')') scope.throwError('expected ) to close the group');
  scope.index++;
  return scope.gobbleTokenProperty({ ...inner, parenthesized: true });
}

/** `.Field` inside a predicate is `#.Field` (expr-lang's PointerNode). */
function gobblePointer(scope: HookScope): Expression | undefined {
  if (scope.char !== '.' || !IDENTIFIER_START.test(scope.expr.charAt(scope.index + 1))) return undefined;
  scope.index++;
  const property = scope.gobbleIdentifier();
  if (!property) scope.throwError('expected a field name after .');
  return scope.gobbleTokenProperty({ type: 'MemberExpression', computed: false, object: { type: 'Identifier', name: '#' }, property });
}

/** The integer before `..` (`1..3`), which jsep would otherwise read as the malformed number `1.`. */
function gobbleRangeStart(scope: HookScope): Expression | undefined {
  const digits = /^[0-9]+(?=\.\.)/.exec(scope.expr.slice(scope.index))?.[0];
  if (digits === undefined) return undefined;
  scope.index += digits.length;
  return { type: 'Literal', value: Number(digits), raw: digits };
}

/** A piped call waiting to become the left operand of the rest of the binary expression. */
const pendingLeft = new WeakMap<object, Expression>();

function takePending(scope: HookScope): Expression | undefined {
  const node = pendingLeft.get(scope);
  pendingLeft.delete(scope);
  return node;
}

/**
 * expr-lang's pipe: `a | f(b)` is `f(a, b)`, and operators after the call apply to its result
 * (`result | len() > 0` is `len(result) > 0`), so the call is handed back to jsep as a left operand.
 */
function gobblePipes(this: HookScope, env: { node?: Expression }): void {
  let node = env.node;
  while (node && this.char === '|' && this.expr.charAt(this.index + 1) !== '|') {
    this.index++;
    pendingLeft.set(this, pipedCall(this, node));
    node = this.gobbleBinaryExpression();
    this.gobbleSpaces();
  }
  if (node) env.node = node;
}

function pipedCall(scope: HookScope, left: Expression): Expression {
  const call = scope.gobbleToken();
  if (call?.type !== 'CallExpression' || !isNode(call.callee) || call.callee.type !== 'Identifier') scope.throwError('expected a function call after |');
  return { ...call, arguments: [left, ...(call.arguments as Expression[])] };
}

configureParser();

/** A problem with an expression; the message names the expression. */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

/** Values an expression works with: JSON values (what providers return). */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

const cache = new Map<string, Expression>();

/** Parses an expression (cached); throws ExpressionError naming it when it cannot be parsed. */
export function parseExpression(text: string): Expression {
  const cached = cache.get(text);
  if (cached) return cached;
  try {
    const ast = normalize(jsep(joinNegatedOperators(text)));
    cache.set(text, ast);
    return ast;
  } catch (err) {
    throw new ExpressionError(`cannot parse expression ${JSON.stringify(text)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const NEGATED_OPERATOR = /\bnot\s+(in|matches|contains|startsWith|endsWith)\b/g;
const STRING_LITERAL = /("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/;

/** `not   in` → `not in`: jsep matches operators as fixed text; string literals are left alone. */
function joinNegatedOperators(text: string): string {
  return text
    .split(STRING_LITERAL)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(NEGATED_OPERATOR, 'not $1')))
    .join('');
}

function isNode(v: unknown): v is Expression {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string';
}

/** Rewrites jsep's tree bottom-up where expr-lang's grammar differs from JavaScript's. */
function normalize(node: Expression): Expression {
  const copy: Expression = { ...node };
  for (const [key, child] of Object.entries(node)) {
    if (isNode(child)) copy[key] = normalize(child);
    else if (Array.isArray(child)) copy[key] = (child as unknown[]).map((c) => (isNode(c) ? normalize(c) : (c as jsep.baseTypes)));
  }
  return copy.type === 'BinaryExpression' ? normalizeBinary(copy) : copy;
}

/** A binary node whose operands are already normalized. */
function normalizeBinary(node: Expression): Expression {
  const left = node.left as Expression;
  const operator = node.operator as string;
  // jsep binds a prefix operator tightest; expr-lang lets `**`, `^`, `??` (and `*`, `/`, `%` after `not`) bind tighter.
  if (left.type === 'UnaryExpression' && left.parenthesized !== true && (EXPR_PRECEDENCE[operator] ?? 0) >= (UNARY_PRECEDENCE[left.operator as string] ?? Infinity)) {
    return { ...left, parenthesized: node.parenthesized, argument: normalizeBinary({ ...node, left: left.argument, parenthesized: false }) };
  }
  // parser.go rejects `a ?? b > 1`: "Operator (>) and coalesce expressions (??) cannot be mixed".
  if (operator !== '??' && left.type === 'BinaryExpression' && left.operator === '??' && left.parenthesized !== true) {
    throw new ExpressionError(`Operator (${operator}) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses.`);
  }
  return chainComparison(node);
}

const ORDERING = new Set(['<', '>', '<=', '>=']);

/** `1 < x < 3` is `1 < x && x < 3` (parseComparison; only <, >, <=, >= chain, `==` stays left-associative). */
function chainComparison(node: Expression): Expression {
  const left = node.left as Expression;
  if (!ORDERING.has(node.operator as string) || left.type !== 'BinaryExpression' || left.parenthesized === true) return node;
  let shared: unknown;
  if (left.chain === true) shared = (left.right as Expression).right;
  else if (ORDERING.has(left.operator as string)) shared = left.right;
  if (!isNode(shared)) return node;
  const next = { ...node, left: shared, parenthesized: false };
  return { type: 'BinaryExpression', operator: '&&', left, right: next, chain: true, parenthesized: node.parenthesized };
}

interface Builtin {
  readonly min: number;
  readonly max: number;
  readonly call: (args: Value[]) => Value;
}

const isNumber = (v: Value): v is number => typeof v === 'number';

function num(v: Value, what: string): number {
  if (!isNumber(v)) throw new ExpressionError(`${what} expects a number, got ${typeName(v)}`);
  return v;
}

function str(v: Value, what: string): string {
  if (typeof v !== 'string') throw new ExpressionError(`${what} expects a string, got ${typeName(v)}`);
  return v;
}

/** expr-lang's type() names, except that JSON numbers do not tell int from float. */
function typeName(v: Value): string {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'map' : typeof v;
}

const fixed = (arity: number, call: (args: Value[]) => Value): Builtin => ({ min: arity, max: arity, call });
const unary = (call: (v: Value) => Value): Builtin => fixed(1, ([v = null]) => call(v));

/** Argo Rollouts' helper functions (utils/evaluate/evaluate.go); expr-lang checks their argument count. */
function argoHelpers(result: Value): ReadonlyMap<string, Builtin> {
  return new Map<string, Builtin>([
    ['isNaN', unary((v) => Number.isNaN(num(v, 'isNaN')))],
    ['isInf', unary((v) => Math.abs(num(v, 'isInf')) === Infinity)],
    // Argo's isNil and default ignore their first argument and look at the whole result
    // (isNilFunc/defaultFunc), so `default(result[0], 0)` is the whole result.
    ['isNil', fixed(1, () => result === null)],
    ['default', fixed(2, ([, d = null]) => result ?? d)],
    ['asInt', unary((v) => (typeof v === 'string' ? goConversion(() => parseGoInt(v)) : Math.trunc(num(v, 'asInt'))))],
    ['asFloat', unary((v) => (typeof v === 'string' ? goConversion(() => parseGoFloat(v)) : num(v, 'asFloat')))],
  ]);
}

/** Runs a strconv conversion, reporting its failure as an expression error (Go's own text unless told otherwise). */
function goConversion(convert: () => number, message?: string): number {
  try {
    return convert();
  } catch (err) {
    throw new ExpressionError(message ?? (err instanceof Error ? err.message : String(err)));
  }
}

/** Go's len: arrays, maps, and strings in UTF-8 bytes. */
function length(v: Value): number {
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (v !== null && typeof v === 'object') return Object.keys(v).length;
  throw new ExpressionError(`invalid argument for len (type ${typeName(v)})`);
}

/** Go's int(float64) truncates; NaN, ±Inf and out-of-range values give math.MinInt64 (amd64's conversion). */
function goInt(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 63) return -(2 ** 63);
  return Math.trunc(x) || 0;
}

/** expr-lang's int(): numbers truncate, strings go through strconv.Atoi (lib.go Int). */
function toInt(v: Value): number {
  if (isNumber(v)) return goInt(v);
  if (typeof v === 'string') return goConversion(() => parseGoInt(v), `invalid operation: int(${v})`);
  throw new ExpressionError(`invalid operation: int(${typeName(v)})`);
}

/** expr-lang's float(): numbers as they are, strings through strconv.ParseFloat (lib.go Float). */
function toFloat(v: Value): number {
  if (isNumber(v)) return v;
  if (typeof v === 'string') return goConversion(() => parseGoFloat(v), `invalid operation: float(${v})`);
  throw new ExpressionError(`invalid operation: float(${typeName(v)})`);
}

/** A one-number builtin that rejects anything else the way lib.go does. */
function numeric(name: string, fn: (x: number) => number): Builtin {
  return unary((v) => {
    if (!isNumber(v)) throw new ExpressionError(`invalid argument for ${name} (type ${typeName(v)})`);
    return fn(v);
  });
}

/** Go's math.Round: half away from zero (JavaScript's Math.round rounds half up). */
const goRound = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

/**
 * lib.go minMax: numbers and (nested) arrays of numbers, variadic; an empty array gives nil; a lone
 * non-number argument is returned as it is. `replaces(best, candidate)` is runtime.Less for max, More for min,
 * so a NaN already chosen is never replaced and a NaN candidate never wins.
 */
function minMax(name: string, args: Value[], replaces: (best: number, candidate: number) => boolean): Value {
  let best: number | null = null;
  for (const arg of args) {
    if (Array.isArray(arg)) {
      for (const element of arg) best = pick(best, minMaxElement(name, element, replaces), replaces);
    } else if (isNumber(arg)) best = pick(best, arg, replaces);
    else if (args.length === 1) return arg;
    else throw new ExpressionError(`invalid argument for ${name} (type ${typeName(arg)})`);
  }
  return best;
}

function minMaxElement(name: string, element: Value, replaces: (best: number, candidate: number) => boolean): number {
  const value = Array.isArray(element) ? minMax(name, [element], replaces) : element;
  if (!isNumber(value)) throw new ExpressionError(`invalid argument for ${name} (type ${typeName(value)})`);
  return value;
}

const pick = (best: number | null, candidate: number, replaces: (best: number, candidate: number) => boolean): number =>
  best === null || replaces(best, candidate) ? candidate : best;

/** The numbers in (nested) arrays and variadic arguments, as lib.go mean and median collect them. */
function numbersOf(name: string, args: Value[]): number[] {
  return args.flatMap((arg) => {
    if (Array.isArray(arg)) return numbersOf(name, arg);
    if (isNumber(arg)) return [arg];
    throw new ExpressionError(`invalid argument for ${name} (type ${typeName(arg)})`);
  });
}

/** builtin.go mean: 0 for no numbers. */
function mean(args: Value[]): number {
  const values = numbersOf('mean', args);
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** builtin.go median: sort.Float64s (NaN first), the middle or the mean of the two middles, 0 for none. */
function median(args: Value[]): number {
  const values = numbersOf('median', args).sort((a, b) => (Number.isNaN(a) ? -1 : 0) - (Number.isNaN(b) ? -1 : 0) || a - b);
  const n = values.length;
  if (n === 0) return 0;
  const upper = values[Math.floor(n / 2)] ?? 0;
  return n % 2 === 1 ? upper : ((values[n / 2 - 1] ?? 0) + upper) / 2;
}

/** Go's strings.Trim: drops leading and trailing characters found in the cutset. */
function trim(s: string, cutset: string): string {
  const cut = new Set(cutset);
  const chars = Array.from(s);
  let start = 0;
  let end = chars.length;
  while (start < end && cut.has(chars[start] ?? '')) start++;
  while (end > start && cut.has(chars[end - 1] ?? '')) end--;
  return chars.slice(start, end).join('');
}

/** First or last element of an array; nil when empty or not an array (builtin.go recovers from the failed fetch). */
function element(v: Value, at: 'first' | 'last'): Value {
  if (!Array.isArray(v)) return null;
  return (at === 'first' ? v[0] : v[v.length - 1]) ?? null;
}

/** expr-lang's builtins (builtin/builtin.go) that take plain arguments. */
const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ['len', unary(length)],
  ['abs', numeric('abs', (x) => (x < 0 ? -x : x))],
  ['ceil', numeric('ceil', Math.ceil)],
  ['floor', numeric('floor', Math.floor)],
  ['round', numeric('round', goRound)],
  ['int', unary(toInt)],
  ['float', unary(toFloat)],
  ['max', { min: 1, max: Infinity, call: (args) => minMax('max', args, (best, candidate) => best < candidate) }],
  ['min', { min: 1, max: Infinity, call: (args) => minMax('min', args, (best, candidate) => best > candidate) }],
  ['mean', { min: 1, max: Infinity, call: mean }],
  ['median', { min: 1, max: Infinity, call: median }],
  ['first', unary((v) => element(v, 'first'))],
  ['last', unary((v) => element(v, 'last'))],
  ['upper', unary((v) => str(v, 'upper').toUpperCase())],
  ['lower', unary((v) => str(v, 'lower').toLowerCase())],
  ['trim', { min: 1, max: 2, call: ([s = null, cutset = ' \t\n\v\f\r']) => trim(str(s, 'trim'), str(cutset, 'trim')) }],
  ['hasPrefix', fixed(2, ([s = null, p = null]) => str(s, 'hasPrefix').startsWith(str(p, 'hasPrefix')))],
  ['hasSuffix', fixed(2, ([s = null, p = null]) => str(s, 'hasSuffix').endsWith(str(p, 'hasSuffix')))],
]);

function compare(op: string, a: Value, b: Value): boolean {
  const bothNumbers = isNumber(a) && isNumber(b);
  const bothStrings = typeof a === 'string' && typeof b === 'string';
  if (!bothNumbers && !bothStrings) throw new ExpressionError(`cannot compare ${typeName(a)} ${op} ${typeName(b)}`);
  const [x, y] = [a, b];
  if (op === '<') return x < y;
  if (op === '<=') return x <= y;
  if (op === '>') return x > y;
  return x >= y;
}

/** runtime.Add: numbers add, strings concatenate, nothing else mixes. */
function add(a: Value, b: Value): Value {
  if (isNumber(a) && isNumber(b)) return a + b;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  throw new ExpressionError(`invalid operation: ${typeName(a)} + ${typeName(b)}`);
}

/**
 * runtime.Modulo takes integers only. JSON numbers do not say whether they are ints, so integral values
 * count as ints and anything else is the float64 % error expr-lang raises.
 */
function modulo(a: Value, b: Value): number {
  const [x, y] = [num(a, '%'), num(b, '%')];
  if (!Number.isInteger(x) || !Number.isInteger(y)) throw new ExpressionError(`invalid operation: ${x} % ${y} (% needs integers)`);
  if (y === 0) throw new ExpressionError('integer divide by zero');
  return x % y || 0;
}

/** runtime.Exponent is Go's math.Pow, which differs from ** for a base of 1 and for -1 to ±Inf. */
function power(a: Value, b: Value): number {
  const [x, y] = [num(a, '**'), num(b, '**')];
  if (x === 1 || (x === -1 && Math.abs(y) === Infinity)) return 1;
  return x ** y;
}

/** runtime.In: equality against array elements, key presence in a map (nil looks up ""), false for nil. */
function inCollection(needle: Value, haystack: Value): boolean {
  if (haystack === null) return false;
  if (Array.isArray(haystack)) return haystack.some((v) => equal(v, needle));
  if (typeof haystack !== 'object') throw new ExpressionError(`operator "in" not defined on ${typeName(haystack)}`);
  if (needle !== null && typeof needle !== 'string') throw new ExpressionError(`cannot use ${typeName(needle)} as a key of a map`);
  return Object.hasOwn(haystack, needle ?? '');
}

/** A string operator; the VM asserts both operands are strings. */
function stringOperator(op: string, test: (a: string, b: string) => boolean): [string, (a: Value, b: Value) => Value] {
  return [
    op,
    (a, b) => {
      if (typeof a !== 'string' || typeof b !== 'string') throw new ExpressionError(`invalid operation: ${typeName(a)} ${op} ${typeName(b)} (${op} needs strings)`);
      return test(a, b);
    },
  ];
}

const regexCache = new Map<string, RegExp>();

/**
 * Go's regexp (RE2) as a JavaScript RegExp: leading `(?ims)` flags become RegExp flags, `(?P<name>` a
 * named group, `\A` and `\z` the text boundaries. Other Go-only syntax (`\pL`, `[[:alpha:]]`) is not translated.
 */
function goRegExp(pattern: string): RegExp {
  const cached = regexCache.get(pattern);
  if (cached) return cached;
  const [, flags = '', body = pattern] = /^(?:\(\?([ims]+)\))?([\s\S]*)$/.exec(pattern) ?? [];
  const source = body.replace(/\\([\s\S])|\(\?P</g, (match: string, escaped: string | undefined) => {
    if (escaped === undefined) return '(?<';
    if (escaped === 'A') return '(?<![\\s\\S])';
    return escaped === 'z' ? '(?![\\s\\S])' : match;
  });
  try {
    const re = new RegExp(source, [...new Set(flags)].join(''));
    if (regexCache.size > 100) regexCache.clear();
    regexCache.set(pattern, re);
    return re;
  } catch (err) {
    throw new ExpressionError(`error parsing regexp ${JSON.stringify(pattern)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** runtime.MakeRange over runtime.ToInt operands, with the VM's memory budget. */
function range(a: Value, b: Value): number[] {
  const [from, to] = [Math.trunc(num(a, '..')), Math.trunc(num(b, '..'))];
  const size = to - from + 1;
  if (size >= 1e6) throw new ExpressionError('memory budget exceeded');
  return Array.from({ length: Math.max(0, size) }, (_, i) => from + i);
}

/** Binary operators whose operands are both evaluated (vm/runtime and the VM's string opcodes). */
const OPERATORS: ReadonlyMap<string, (a: Value, b: Value) => Value> = new Map<string, (a: Value, b: Value) => Value>([
  ['==', (a, b) => equal(a, b)],
  ['!=', (a, b) => !equal(a, b)],
  ...['<', '<=', '>', '>='].map((op): [string, (a: Value, b: Value) => Value] => [op, (a, b) => compare(op, a, b)]),
  ['+', add],
  ['-', (a, b) => num(a, '-') - num(b, '-')],
  ['*', (a, b) => num(a, '*') * num(b, '*')],
  ['/', (a, b) => num(a, '/') / num(b, '/')],
  ['%', modulo],
  ['**', power],
  ['^', power],
  ['..', range],
  ['in', inCollection],
  stringOperator('contains', (s, sub) => s.includes(sub)),
  stringOperator('startsWith', (s, prefix) => s.startsWith(prefix)),
  stringOperator('endsWith', (s, suffix) => s.endsWith(suffix)),
  stringOperator('matches', (s, pattern) => goRegExp(pattern).test(s)),
]);

function truthy(v: Value, what: string): boolean {
  if (typeof v !== 'boolean') throw new ExpressionError(`${what} expects a bool, got ${typeName(v)}`);
  return v;
}

/**
 * expr-lang's == (runtime.Equal): numbers by value, so NaN equals nothing, not even nil or NaN; nil
 * equals only nil; anything else by Go's reflect.DeepEqual, where NaN inside arrays and maps is unequal too.
 */
function equal(a: Value, b: Value): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => equal(v, b[i] ?? null));
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && equal(a[k] ?? null, b[k] ?? null));
}

interface Scope {
  readonly result: Value;
  readonly helpers: ReadonlyMap<string, Builtin>;
  /** The element `#` inside a predicate, its `#index`, and reduce's `#acc`. */
  readonly element?: Value;
  readonly index?: number;
  readonly acc?: Value;
}

type Test = (item: Value, index: number) => Value;

/** expr-lang's builtins that take an array and a predicate, with or without braces (compiler.go BuiltinNode). */
const PREDICATE_FUNCTIONS: ReadonlyMap<string, (items: Value[], test: Test) => Value> = new Map<string, (items: Value[], test: Test) => Value>([
  ['all', (items, test) => items.every((v, i) => truthy(test(v, i), 'all'))],
  ['any', (items, test) => items.some((v, i) => truthy(test(v, i), 'any'))],
  ['none', (items, test) => !items.some((v, i) => truthy(test(v, i), 'none'))],
  ['one', (items, test) => items.filter((v, i) => truthy(test(v, i), 'one')).length === 1],
  ['filter', (items, test) => items.filter((v, i) => truthy(test(v, i), 'filter'))],
  ['map', (items, test) => items.map(test)],
  ['count', (items, test) => items.filter((v, i) => truthy(test(v, i), 'count')).length],
  // The accumulator starts as int 0 and each element is added to it with runtime.Add.
  ['sum', (items, test) => items.reduce<Value>((acc, v, i) => add(test(v, i), acc), 0)],
  ['find', (items, test) => items.find((v, i) => truthy(test(v, i), 'find')) ?? null],
  ['findLast', (items, test) => items.findLast((v, i) => truthy(test(v, i), 'findLast')) ?? null],
  // Not found is nil, not -1: the compiled loop falls through to OpNil.
  ['findIndex', (items, test) => notFound(items.findIndex((v, i) => truthy(test(v, i), 'findIndex')))],
  ['findLastIndex', (items, test) => notFound(items.findLastIndex((v, i) => truthy(test(v, i), 'findLastIndex')))],
]);

const notFound = (index: number): Value => (index < 0 ? null : index);

/** count and sum may leave out the predicate: count then counts true elements, sum adds the elements. */
const OPTIONAL_PREDICATE = new Set(['count', 'sum']);

/** The body of a predicate argument: braces are optional in expr-lang. */
function predicateBody(node: Expression): Expression {
  return node.type === PREDICATE ? (node.body as Expression) : node;
}

function arrayArgument(name: string, node: Expression, scope: Scope): Value[] {
  const items = evalNode(node, scope);
  if (!Array.isArray(items)) throw new ExpressionError(`${name} expects an array, got ${typeName(items)}`);
  return items;
}

function callPredicate(name: string, args: readonly Expression[], scope: Scope): Value {
  const fn = PREDICATE_FUNCTIONS.get(name);
  const [listNode, predicate] = args;
  const min = OPTIONAL_PREDICATE.has(name) ? 1 : 2;
  if (!fn || !listNode || args.length < min || args.length > 2) throw new ExpressionError(`${name} expects an array and a predicate`);
  const items = arrayArgument(name, listNode, scope);
  if (!predicate) return fn(items, (v) => v);
  const body = predicateBody(predicate);
  return fn(items, (element, index) => evalNode(body, { ...scope, element, index }));
}

/** reduce(array, predicate[, initial]): without an initial value the first element starts `#acc`. */
function reduce(args: readonly Expression[], scope: Scope): Value {
  const [listNode, predicate, initialNode] = args;
  if (!listNode || !predicate || args.length > 3) throw new ExpressionError('reduce expects an array, a predicate and an optional initial value');
  const items = arrayArgument('reduce', listNode, scope);
  if (!initialNode && items.length === 0) throw new ExpressionError('reduce of an empty array needs an initial value');
  const body = predicateBody(predicate);
  let acc = initialNode ? evalNode(initialNode, scope) : (items[0] ?? null);
  for (let index = initialNode ? 0 : 1; index < items.length; index++) {
    acc = evalNode(body, { ...scope, element: items[index] ?? null, index, acc });
  }
  return acc;
}

function evalNode(node: Expression, scope: Scope): Value {
  switch (node.type) {
    case 'Literal':
      return node.value as Value;
    case 'Identifier':
      return identifier(node.name as string, scope);
    case 'MemberExpression':
      return member(node, scope);
    case 'CallExpression':
      return call(node, scope);
    case 'UnaryExpression':
      return unaryOp(node.operator as string, evalNode(node.argument as Expression, scope));
    case 'BinaryExpression':
      return binary(node, scope);
    case 'ConditionalExpression':
      return truthy(evalNode(node.test as Expression, scope), '?:') ? evalNode(node.consequent as Expression, scope) : evalNode(node.alternate as Expression, scope);
    case 'ArrayExpression':
      return (node.elements as (Expression | null)[]).map((e) => (e ? evalNode(e, scope) : missing('an array element')));
    case MAP_LITERAL:
      return mapLiteral(node, scope);
    default:
      throw new ExpressionError(node.type === PREDICATE ? 'a predicate {...} is only allowed as an argument of all, any, filter, map and the like' : `unsupported syntax: ${node.type}`);
  }
}

function missing(what: string): never {
  throw new ExpressionError(`missing ${what}`);
}

function mapLiteral(node: Expression, scope: Scope): Value {
  const values = (node.values as Expression[]).map((v) => evalNode(v, scope));
  // fromEntries defines own properties, so a key like "__proto__" stays an ordinary key.
  return Object.fromEntries((node.keys as string[]).map((key, i) => [key, values[i] ?? null]));
}

const POINTER_NAMES: Readonly<Record<string, 'element' | 'index' | 'acc'>> = { '#': 'element', '#index': 'index', '#acc': 'acc' };

function identifier(name: string, scope: Scope): Value {
  if (name === 'result') return scope.result;
  const pointer = Object.hasOwn(POINTER_NAMES, name) ? POINTER_NAMES[name] : undefined;
  if (pointer && pointer in scope) return scope[pointer] ?? null;
  throw new ExpressionError(`unknown name ${name}`);
}

/** Returned inside a `?.` chain whose optional step met nil: the whole chain is then nil (expr-lang's ChainNode). */
const NIL_CHAIN = Symbol('nil chain');

function member(node: Expression, scope: Scope): Value {
  const value = memberChain(node, scope);
  return value === NIL_CHAIN ? null : value;
}

function memberChain(node: Expression, scope: Scope): Value | typeof NIL_CHAIN {
  const objectNode = node.object as Expression;
  const target = objectNode.type === 'MemberExpression' && objectNode.parenthesized !== true ? memberChain(objectNode, scope) : evalNode(objectNode, scope);
  if (target === NIL_CHAIN || (node.optional === true && target === null)) return NIL_CHAIN;
  const key = node.computed ? evalNode(node.property as Expression, scope) : ((node.property as Expression).name as string);
  return fetch(target, key);
}

/** runtime.Fetch for JSON values: array indexes (negative from the end, truncated like ToInt), map keys (missing → nil). */
function fetch(target: Value, key: Value): Value {
  if (Array.isArray(target)) {
    const index = Math.trunc(num(key, 'an index'));
    const at = index < 0 ? target.length + index : index;
    if (at < 0 || at >= target.length) throw new ExpressionError(`index ${index} out of range (len ${target.length})`);
    return target[at] ?? null;
  }
  // Own keys only: an inherited name like "constructor" is not a field of the JSON result.
  if (target !== null && typeof target === 'object' && typeof key === 'string') return Object.hasOwn(target, key) ? (target[key] ?? null) : null;
  throw new ExpressionError(`cannot index ${typeName(target)} with ${typeName(key)}`);
}

function call(node: Expression, scope: Scope): Value {
  const callee = node.callee as Expression;
  const name = callee.type === 'Identifier' ? (callee.name as string) : '';
  const args = node.arguments as Expression[];
  if (name === 'reduce') return reduce(args, scope);
  if (PREDICATE_FUNCTIONS.has(name)) return callPredicate(name, args, scope);
  const fn = scope.helpers.get(name) ?? BUILTINS.get(name);
  if (!fn) throw new ExpressionError(`unknown function ${name || callee.type}`);
  if (args.length < fn.min) throw new ExpressionError(`not enough arguments to call ${name}`);
  if (args.length > fn.max) throw new ExpressionError(`too many arguments to call ${name}`);
  return fn.call(args.map((a) => evalNode(a, scope)));
}

function unaryOp(op: string, v: Value): Value {
  if (op === '!' || op === 'not') return !truthy(v, op);
  if (op === '-') return -num(v, '-');
  if (op === '+') return num(v, '+');
  throw new ExpressionError(`unsupported operator ${op}`);
}

function binary(node: Expression, scope: Scope): Value {
  const op = node.operator as string;
  const left = evalNode(node.left as Expression, scope);
  const right = (): Value => evalNode(node.right as Expression, scope);
  // Short-circuit like expr-lang: the right side is not evaluated when the left decides.
  if (op === '&&' || op === 'and') return truthy(left, op) && truthy(right(), op);
  if (op === '||' || op === 'or') return truthy(left, op) || truthy(right(), op);
  if (op === '??') return left ?? right();
  const negated = op.startsWith('not ');
  const fn = OPERATORS.get(negated ? op.slice(4) : op);
  if (!fn) throw new ExpressionError(`unsupported operator ${op}`);
  const value = fn(left, right());
  return negated ? !truthy(value, op) : value;
}

/** Evaluates a condition against a measurement's result; it must produce a bool. */
export function evaluateCondition(text: string, result: Value): boolean {
  const ast = parseExpression(text);
  try {
    const value = evalNode(ast, { result, helpers: argoHelpers(result) });
    if (typeof value !== 'boolean') throw new ExpressionError(`expected bool, but got ${typeName(value)}`);
    return value;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ExpressionError(`evaluating ${JSON.stringify(text)}: ${reason}`);
  }
}
