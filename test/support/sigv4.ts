// An independent SigV4 verifier for presigned URLs (node:crypto only), used by the test EKS
// authenticator because moto does not check signatures of presigned requests. Written from the AWS
// SigV4 specification rather than with the SDK's signer, so it also checks the presigner.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Credentials the verifier may check a signature against. */
export interface SigningSecret {
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** The result of a verification. */
export type Verification = { ok: true; accessKeyId: string } | { ok: false; reason: string };

const rfc3986 = (v: string): string =>
  encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (v: string): string => createHash('sha256').update(v).digest('hex');
const hmac = (key: Buffer | string, v: string): Buffer => createHmac('sha256', key).update(v).digest();

/** Parses X-Amz-Date (yyyymmddThhmmssZ). */
export function amzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

/** Verifies a presigned GET `url` sent with `headers` (lower-case names), looking secrets up by key id. */
export function verifyPresignedUrl(
  url: URL,
  headers: Record<string, string>,
  secretFor: (accessKeyId: string) => SigningSecret | undefined,
): Verification {
  const q = url.searchParams;
  const credential = q.get('X-Amz-Credential') ?? '';
  const [accessKeyId = '', date = '', region = '', service = ''] = credential.split('/');
  const secret = secretFor(accessKeyId);
  if (!secret) return { ok: false, reason: `unknown access key ${accessKeyId}` };
  if (secret.sessionToken !== undefined && q.get('X-Amz-Security-Token') !== secret.sessionToken) {
    return { ok: false, reason: 'session token does not match' };
  }
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
  const canonicalQuery = [...q.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const allHeaders: Record<string, string> = { host: url.host, ...headers };
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${(allHeaders[h] ?? '').trim()}\n`).join('');
  const canonicalRequest = ['GET', url.pathname, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), sha256('')].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', q.get('X-Amz-Date') ?? '', scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret.secretAccessKey}`, date), region), service), 'aws4_request');
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const actual = Buffer.from(q.get('X-Amz-Signature') ?? '');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { ok: false, reason: 'signature does not match' };
  return { ok: true, accessKeyId };
}
