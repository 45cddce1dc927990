// Go's strconv.ParseInt(s, 10, 64) and strconv.ParseFloat(s, 64), which Argo Rollouts' asInt and asFloat
// apply to strings (utils/evaluate/evaluate.go). JavaScript's parseInt/parseFloat read a prefix ("3.5" → 3,
// "0.5abc" → 0.5) where Go rejects the whole string, and Go accepts "Inf", "infinity", hex floats and
// digit underscores. Errors carry Go's text, since Argo Rollouts shows it as the measurement's message.

const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

/** A digit run where an underscore may only sit between two digits (Go's underscoreOK). */
const DEC = String.raw`[0-9](?:_?[0-9])*`;
const HEX = String.raw`[0-9a-fA-F](?:_?[0-9a-fA-F])*`;
const DECIMAL_FLOAT = new RegExp(String.raw`^[+-]?(?:${DEC}(?:\.(?:${DEC})?)?|\.${DEC})(?:[eE][+-]?${DEC})?$`);
// After "0x" an underscore may come first: the prefix counts as a digit.
const HEX_FLOAT = new RegExp(String.raw`^([+-]?)0[xX](?:_?(${HEX}))?(?:\.(${HEX})?)?[pP]([+-]?${DEC})$`);

/** Go's error text for a failed conversion. */
function numError(fn: 'ParseInt' | 'ParseFloat', text: string, reason: 'invalid syntax' | 'value out of range'): Error {
  return new Error(`strconv.${fn}: parsing ${JSON.stringify(text)}: ${reason}`);
}

/** strconv.ParseInt(text, 10, 64): an optional sign and decimal digits only, within int64. */
export function parseGoInt(text: string): number {
  // Go reads digit by digit: leading digits beyond uint64 are out of range even if junk follows.
  const leading = /^[+-]?([0-9]*)/.exec(text)?.[1] ?? '';
  if (leading !== '' && BigInt(leading) > MAX_UINT64) throw numError('ParseInt', text, 'value out of range');
  if (!/^[+-]?[0-9]+$/.test(text)) throw numError('ParseInt', text, 'invalid syntax');
  const n = BigInt(text);
  if (n < MIN_INT64 || n > MAX_INT64) throw numError('ParseInt', text, 'value out of range');
  return Number(n);
}

/** strconv.ParseFloat(text, 64): decimal or hex floats, Inf/Infinity/NaN in any case; overflow is an error. */
export function parseGoFloat(text: string): number {
  const special = specialFloat(text);
  if (special !== undefined) return special;
  let value: number;
  if (DECIMAL_FLOAT.test(text)) value = Number(text.replaceAll('_', ''));
  else if (HEX_FLOAT.test(text)) value = hexFloat(text);
  else throw numError('ParseFloat', text, 'invalid syntax');
  // The literal is finite, so an infinite value means it was out of float64's range.
  if (!Number.isFinite(value)) throw numError('ParseFloat', text, 'value out of range');
  return value;
}

/** Go's special(): "inf"/"infinity" with an optional sign, or "nan" without one, any case. */
function specialFloat(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  const match = /^([+-]?)(inf|infinity)$/.exec(lower);
  if (!match) return undefined;
  return match[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}

/** The value of a hex float (0x1.8p3): the mantissa's hex digits times 2 to the exponent. */
function hexFloat(text: string): number {
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = HEX_FLOAT.exec(text.replaceAll('_', '')) ?? [];
  if (whole === '' && fraction === '') throw numError('ParseFloat', text, 'invalid syntax');
  const mantissa = Number(BigInt(`0x${whole}${fraction}`));
  const value = ldexp(mantissa, Number(exponent) - 4 * fraction.length);
  return sign === '-' ? -value : value;
}

/**
 * m × 2^e in steps of at most 2^±1000, so no step over- or underflows early (2 ** 1030 alone is
 * Infinity, 2 ** -1078 alone is 0) and only the last one rounds into the subnormals.
 */
function ldexp(m: number, e: number): number {
  if (m === 0) return 0;
  let value = m;
  // Go caps the exponent too; beyond ±2200 every non-zero mantissa is 0 or Infinity anyway.
  let rest = Math.max(-2200, Math.min(2200, e));
  while (rest !== 0) {
    const step = Math.max(-1000, Math.min(1000, rest));
    value *= 2 ** step;
    rest -= step;
  }
  return value;
}
