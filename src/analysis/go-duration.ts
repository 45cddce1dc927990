// Go's time.ParseDuration, which Argo Rollouts applies to a metric's `interval` and `initialDelay` and to
// the Datadog and CloudWatch query windows. It is stricter than okra's own duration format
// (src/api/duration.ts, which takes a bare number as seconds for Cell pauses): "60" is an error
// ("missing unit"), while ".5s", "1.s", "-1m", "+0" and "1µs" are valid. Errors carry Go's exact text,
// because Argo Rollouts puts it into the run's message. Re-derived from Go's time/format.go.

/** Nanoseconds per unit, as Go's unitMap. */
const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_UINT = 1n << 63n;
const NS_PER_MS = 1_000_000;

/** A parsed duration in milliseconds, or Go's error text. */
export type GoDuration = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly error: string };

/** Quotes as Go's time package does: `"` and `\` escaped, every byte of a non-ASCII or control character as \xNN. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x80 || code < 0x20) {
      for (const byte of new TextEncoder().encode(ch)) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    } else {
      out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
    }
  }
  return `${out}"`;
}

/** Parses a duration exactly as Go's time.ParseDuration does (same accepted forms, same errors). */
export function parseGoDuration(text: string): GoDuration {
  const fail = (what: string): GoDuration => ({ ok: false, error: `time: ${what} ${goQuote(text)}` });
  const neg = text.startsWith('-');
  const rest = neg || text.startsWith('+') ? text.slice(1) : text;
  // Go's special case: a lone "0" needs no unit.
  if (rest === '0') return { ok: true, ms: 0 };
  if (rest === '') return fail('invalid duration');
  let total = 0n;
  let s = rest;
  while (s !== '') {
    const term = parseTerm(s);
    if ('error' in term) return fail(term.error);
    total += term.ns;
    if (total > MAX_UINT) return fail('invalid duration');
    s = term.rest;
  }
  if (!neg && total > MAX_UINT - 1n) return fail('invalid duration');
  return { ok: true, ms: Number(neg ? -total : total) / NS_PER_MS };
}

interface Term {
  readonly ns: bigint;
  readonly rest: string;
}

/** One `[0-9]*(\.[0-9]*)?unit` term; the error is Go's message without the quoted input. */
function parseTerm(s: string): Term | { error: string } {
  const number = leadingNumber(s);
  if (!number) return { error: 'invalid duration' };
  const afterNumber = s.slice(number.length);
  const unitText = /^[^0-9.]*/.exec(afterNumber)?.[0] ?? '';
  if (unitText === '') return { error: 'missing unit in duration' };
  const unit = UNITS[unitText];
  if (unit === undefined) return { error: `unknown unit ${goQuote(unitText)} in duration` };
  const ns = scaled(number.whole, number.fraction, unit);
  return ns === undefined ? { error: 'invalid duration' } : { ns, rest: afterNumber.slice(unitText.length) };
}

/** The leading `[0-9]*(\.[0-9]*)?` with at least one digit, or undefined (also when the integer overflows). */
function leadingNumber(s: string): { whole: bigint; fraction: string; length: number } | undefined {
  const match = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
  const [text = '', wholeDigits = '', fraction = ''] = match ?? [];
  if (wholeDigits === '' && fraction === '') return undefined;
  const whole = BigInt(wholeDigits === '' ? '0' : wholeDigits);
  return whole > MAX_UINT ? undefined : { whole, fraction, length: text.length };
}

/** v units plus the fraction's share of a unit, with Go's overflow checks; undefined on overflow. */
function scaled(v: bigint, fractionDigits: string, unit: bigint): bigint | undefined {
  if (v > MAX_UINT / unit) return undefined;
  let ns = v * unit;
  const { f, scale } = leadingFraction(fractionDigits);
  if (f > 0n) {
    // Go computes the fraction's share in float64; Number arithmetic is the same IEEE double math.
    ns += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
    if (ns > MAX_UINT) return undefined;
  }
  return ns;
}

/** Go's leadingFraction: digits are taken until the value would overflow, the rest only skipped. */
function leadingFraction(digits: string): { f: bigint; scale: number } {
  let f = 0n;
  let scale = 1;
  for (const digit of digits) {
    if (f > (MAX_UINT - 1n) / 10n) break;
    const next = f * 10n + BigInt(digit);
    if (next > MAX_UINT) break;
    f = next;
    scale *= 10;
  }
  return { f, scale };
}

/** Milliseconds of a Go duration; throws Go's error text (what Argo's providers report as the measurement error). */
export function goDurationMs(text: string): number {
  const parsed = parseGoDuration(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.ms;
}
