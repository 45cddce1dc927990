// Deterministic, DNS-safe names and label values for generated objects. A name that had to be changed
// or shortened gets a hash of the original, so two different inputs never map to the same name.
import { createHash } from 'node:crypto';

/** The first `length` hex characters of SHA-256 of `input`. */
export function shortHash(input: string, length = 8): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/**
 * A valid DNS-1123 label (lower-case alphanumerics and '-', at most `max` characters) built from
 * `parts` joined with '-'. When the input was not already valid, or is too long, the result ends in a
 * hash of the original so it stays unique.
 */
export function dnsName(parts: readonly string[], max = 63): string {
  const raw = parts.join('-');
  const cleaned = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (cleaned === raw && cleaned.length <= max && cleaned !== '') return cleaned;
  const hash = shortHash(raw);
  const room = max - hash.length - 1;
  const head = cleaned.slice(0, room).replace(/-+$/, '');
  return head === '' ? hash : `${head}-${hash}`;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** True when `value` may be used as a label value. */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** `value` if it is a valid label value, else a shortened, hashed form that is. */
export function labelValue(value: string): string {
  if (isLabelValue(value)) return value;
  const hash = shortHash(value);
  const head = value.replace(/[^-A-Za-z0-9_.]+/g, '-').slice(0, 63 - hash.length - 1).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return head === '' ? hash : `${head}-${hash}`;
}
