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

// Kubernetes label keys: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters.
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_RULES = 'at most 63 characters of letters, digits, -, _ and ., starting and ending with a letter or digit';

/** True when `key` may be used as a label key. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/** Why a label key in `field` would be refused by the API server, or undefined when it is valid. */
export function labelKeyProblem(key: string, field: string): string | undefined {
  return isLabelKey(key) ? undefined : `${field}: ${JSON.stringify(key)} is not a valid label key (an optional DNS prefix and /, then ${LABEL_RULES})`;
}

/**
 * Why labels a spec asks for on every generated object would be refused by the API server, or undefined.
 * Found when the spec is read, so one bad key is a spec error rather than a failed write per object.
 */
export function labelsProblem(labels: Readonly<Record<string, string>>, field: string): string | undefined {
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key, field);
    if (keyProblem) return keyProblem;
    if (!isLabelValue(value)) return `${field}.${key}: ${JSON.stringify(value)} is not a valid label value (empty, or ${LABEL_RULES})`;
  }
  return undefined;
}
