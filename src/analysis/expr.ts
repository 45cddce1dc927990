// Argo Rollouts success/failure conditions, in the expr-lang forms people write: `result[0] >= 0.95`,
// `len(result) > 0 && result[0] < 100`, `isNaN(result)`, `default(result, 0) <= 5`, `asFloat(result) > 1`,
// `not (a or b)`, and the predicate builtins CloudWatch templates use (`all(result[0].Values, {# <= 0.01})`).
// Parsed with jsep and evaluated by walking the syntax tree: no eval, no access to
// anything but `result` and the helper functions. Types are checked as expr-lang checks them (comparing
// a number with a string is an error, not a JavaScript coercion).
import jsep, { type Expression } from 'jsep';
import { parseGoFloat, parseGoInt } from './go-strconv.js';

const OPEN_BRACE = 123;
const PREDICATE = 'Predicate';

jsep.addBinaryOp('and', 2);
jsep.addBinaryOp('or', 1);
jsep.addUnaryOp('not');
jsep.addLiteral('nil', null);
// `#` is the element inside a predicate closure `{...}`.
jsep.addIdentifierChar('#');
jsep.hooks.add('gobble-token', function gobblePredicate(env) {
  if (this.code !== OPEN_BRACE) return;
  this.index++;
  const body = this.gobbleExpression();
  this.gobbleSpaces();
  if (this.char !== '}') this.throwError('expected } to close the predicate');
  this.index++;
  env.node = { type: PREDICATE, body };
});

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
    const ast = jsep(text);
    cache.set(text, ast);
    return ast;
  } catch (err) {
    throw new ExpressionError(`cannot parse expression ${JSON.stringify(text)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

type Fn = (args: Value[]) => Value;

const isNumber = (v: Value): v is number => typeof v === 'number';

function num(v: Value, what: string): number {
  if (!isNumber(v)) throw new ExpressionError(`${what} expects a number, got ${typeName(v)}`);
  return v;
}

function typeName(v: Value): string {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Argo Rollouts' helper functions and how many arguments each takes (expr-lang checks the count). */
const ARITY: Readonly<Record<string, number>> = { len: 1, isNaN: 1, isInf: 1, isNil: 1, default: 2, asInt: 1, asFloat: 1 };

/** The helper functions Argo Rollouts offers conditions. */
function functions(result: Value): Record<string, Fn> {
  return {
    len: ([v = null]) => {
      if (Array.isArray(v) || typeof v === 'string') return v.length;
      if (v !== null && typeof v === 'object') return Object.keys(v).length;
      throw new ExpressionError(`len expects an array, string or map, got ${typeName(v)}`);
    },
    isNaN: ([v = null]) => Number.isNaN(num(v, 'isNaN')),
    isInf: ([v = null]) => {
      const n = num(v, 'isInf');
      return n === Infinity || n === -Infinity;
    },
    // Argo's isNil and default ignore their first argument and look at the whole result
    // (isNilFunc/defaultFunc in utils/evaluate/evaluate.go), so `default(result[0], 0)` is the whole result.
    isNil: () => result === null,
    default: ([, d = null]) => result ?? d,
    asInt: ([v = null]) => (typeof v === 'string' ? goConversion(() => parseGoInt(v)) : Math.trunc(num(v, 'asInt'))),
    asFloat: ([v = null]) => (typeof v === 'string' ? goConversion(() => parseGoFloat(v)) : num(v, 'asFloat')),
  };
}

/** Runs a strconv conversion, reporting its failure (Go's own text) as an expression error. */
function goConversion(convert: () => number): number {
  try {
    return convert();
  } catch (err) {
    throw new ExpressionError(err instanceof Error ? err.message : String(err));
  }
}

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

function arithmetic(op: string, a: Value, b: Value): number {
  const [x, y] = [num(a, op), num(b, op)];
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
    default:
      return x % y;
  }
}

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
  readonly fns: Record<string, Fn>;
  /** The element `#` inside a predicate. */
  readonly element?: Value;
}

/** expr-lang's builtins that take an array and a predicate `{...}`. */
const PREDICATE_FUNCTIONS: Record<string, (items: Value[], test: (v: Value) => Value) => Value> = {
  all: (items, test) => items.every((v) => truthy(test(v), 'all')),
  any: (items, test) => items.some((v) => truthy(test(v), 'any')),
  none: (items, test) => !items.some((v) => truthy(test(v), 'none')),
  one: (items, test) => items.filter((v) => truthy(test(v), 'one')).length === 1,
  filter: (items, test) => items.filter((v) => truthy(test(v), 'filter')),
  map: (items, test) => items.map(test),
  count: (items, test) => items.filter((v) => truthy(test(v), 'count')).length,
};

function callPredicate(name: string, args: readonly Expression[], scope: Scope): Value {
  const fn = PREDICATE_FUNCTIONS[name];
  const [listNode, predicate] = args;
  if (!fn || !listNode || predicate?.type !== PREDICATE || args.length !== 2) throw new ExpressionError(`${name} expects an array and a predicate {...}`);
  const items = evalNode(listNode, scope);
  if (!Array.isArray(items)) throw new ExpressionError(`${name} expects an array, got ${typeName(items)}`);
  return fn(items, (element) => evalNode(predicate.body as Expression, { ...scope, element }));
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
      return unary(node.operator as string, evalNode(node.argument as Expression, scope));
    case 'BinaryExpression':
      return binary(node, scope);
    case 'ConditionalExpression':
      return truthy(evalNode(node.test as Expression, scope), '?:') ? evalNode(node.consequent as Expression, scope) : evalNode(node.alternate as Expression, scope);
    case 'ArrayExpression':
      return (node.elements as Expression[]).map((e) => evalNode(e, scope));
    default:
      throw new ExpressionError(`unsupported syntax: ${node.type}`);
  }
}

function identifier(name: string, scope: Scope): Value {
  if (name === 'result') return scope.result;
  if (name === '#' && 'element' in scope) return scope.element ?? null;
  if (name === 'true') return true;
  if (name === 'false') return false;
  throw new ExpressionError(`unknown name ${name}`);
}

function member(node: Expression, scope: Scope): Value {
  const target = evalNode(node.object as Expression, scope);
  const key = node.computed ? evalNode(node.property as Expression, scope) : ((node.property as Expression).name as string);
  if (Array.isArray(target)) {
    const index = num(key, 'an index');
    const at = index < 0 ? target.length + index : index;
    if (!Number.isInteger(at) || at < 0 || at >= target.length) throw new ExpressionError(`index ${index} out of range (len ${target.length})`);
    return target[at] ?? null;
  }
  if (target !== null && typeof target === 'object' && typeof key === 'string') return target[key] ?? null;
  throw new ExpressionError(`cannot index ${typeName(target)} with ${typeName(key)}`);
}

function call(node: Expression, scope: Scope): Value {
  const callee = node.callee as Expression;
  const name = callee.type === 'Identifier' ? (callee.name as string) : '';
  if (name in PREDICATE_FUNCTIONS) return callPredicate(name, node.arguments as Expression[], scope);
  const fn = scope.fns[name];
  if (!fn) throw new ExpressionError(`unknown function ${name || callee.type}`);
  const args = node.arguments as Expression[];
  const arity = ARITY[name] ?? args.length;
  if (args.length !== arity) throw new ExpressionError(`${args.length < arity ? 'not enough' : 'too many'} arguments to call ${name}`);
  return fn(args.map((a) => evalNode(a, scope)));
}

function unary(op: string, v: Value): Value {
  if (op === '!' || op === 'not') return !truthy(v, op);
  if (op === '-') return -num(v, '-');
  if (op === '+') return num(v, '+');
  throw new ExpressionError(`unsupported operator ${op}`);
}

function binary(node: Expression, scope: Scope): Value {
  const op = node.operator as string;
  const left = evalNode(node.left as Expression, scope);
  // Short-circuit like expr-lang: the right side is not evaluated when the left decides.
  if (op === '&&' || op === 'and') return truthy(left, op) && truthy(evalNode(node.right as Expression, scope), op);
  if (op === '||' || op === 'or') return truthy(left, op) || truthy(evalNode(node.right as Expression, scope), op);
  const right = evalNode(node.right as Expression, scope);
  if (op === '==') return equal(left, right);
  if (op === '!=') return !equal(left, right);
  if (['<', '<=', '>', '>='].includes(op)) return compare(op, left, right);
  if (['+', '-', '*', '/', '%'].includes(op)) return arithmetic(op, left, right);
  throw new ExpressionError(`unsupported operator ${op}`);
}

/** Evaluates a condition against a measurement's result; it must produce a bool. */
export function evaluateCondition(text: string, result: Value): boolean {
  const ast = parseExpression(text);
  try {
    const value = evalNode(ast, { result, fns: functions(result) });
    if (typeof value !== 'boolean') throw new ExpressionError(`expected bool, but got ${typeName(value)}`);
    return value;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ExpressionError(`evaluating ${JSON.stringify(text)}: ${reason}`);
  }
}
