import { describe, expect, it } from 'vitest';
import { verifyPresignedUrl } from '../../test/support/sigv4.js';
import { EKS_TOKEN_PREFIX, EksTokenGenerator, presignEksToken } from './eks-token.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const secrets = (id: string) => (id === credentials.accessKeyId ? { secretAccessKey: credentials.secretAccessKey } : undefined);

function decode(token: string): URL {
  expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
  const body = token.slice(EKS_TOKEN_PREFIX.length);
  expect(body).not.toMatch(/[=+/]/);
  return new URL(Buffer.from(body, 'base64url').toString());
}

describe('presignEksToken', () => {
  it('presigns GetCallerIdentity on the regional STS endpoint with x-k8s-aws-id as a signed header', async () => {
    const token = await presignEksToken({ clusterName: 'blue', region: 'eu-west-1', credentials, signingDate: new Date('2026-11-22T10:00:00Z') });
    const url = decode(token);
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20261122T100000Z');
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['host', 'x-k8s-aws-id']);
    expect(url.searchParams.has('x-k8s-aws-id')).toBe(false);
  });

  it.each([
    ['eu-west-1', 'https://sts.eu-west-1.amazonaws.com'],
    ['cn-north-1', 'https://sts.cn-north-1.amazonaws.com.cn'],
    ['cn-northwest-1', 'https://sts.cn-northwest-1.amazonaws.com.cn'],
  ])('signs for the STS endpoint of the region\'s partition (%s)', async (region, origin) => {
    expect(decode(await presignEksToken({ clusterName: 'blue', region, credentials })).origin).toBe(origin);
  });

  it('produces a signature that verifies only for the cluster it was made for', async () => {
    const token = await presignEksToken({ clusterName: 'blue', region: 'us-east-1', credentials, endpoint: 'http://127.0.0.1:5000' });
    const url = decode(token);
    expect(verifyPresignedUrl(url, { 'x-k8s-aws-id': 'blue' }, secrets)).toEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
    expect(verifyPresignedUrl(url, { 'x-k8s-aws-id': 'green' }, secrets)).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('carries the session token of temporary credentials', async () => {
    const token = await presignEksToken({ clusterName: 'c', region: 'us-east-1', credentials: { ...credentials, sessionToken: 'sess/with+chars=' } });
    expect(decode(token).searchParams.get('X-Amz-Security-Token')).toBe('sess/with+chars=');
  });
});

describe('EksTokenGenerator', () => {
  it('reuses a token for 13 minutes and signs a fresh one after', async () => {
    let now = new Date('2026-11-22T10:00:00Z');
    const gen = new EksTokenGenerator({ region: 'us-east-1' }, { credentials, now: () => now });
    const first = await gen.token('blue');
    now = new Date('2026-11-22T10:12:59Z');
    expect(await gen.token('blue')).toBe(first);
    expect(await gen.token('green')).not.toBe(first);
    now = new Date('2026-11-22T10:13:01Z');
    const refreshed = await gen.token('blue');
    expect(refreshed).not.toBe(first);
    expect(decode(refreshed).searchParams.get('X-Amz-Date')).toBe('20261122T101301Z');
  });

  it('does not reuse a token past a minute before the credentials that signed it expire', async () => {
    let now = new Date('2026-11-22T10:00:00Z');
    let expiration = new Date('2026-11-22T10:05:00Z');
    const expiring = () => Promise.resolve({ ...credentials, sessionToken: 'session', expiration });
    const gen = new EksTokenGenerator({ region: 'us-east-1' }, { credentials: expiring, now: () => now });
    const first = await gen.token('blue');
    now = new Date('2026-11-22T10:03:59Z');
    expect(await gen.token('blue')).toBe(first);
    now = new Date('2026-11-22T10:04:01Z');
    expiration = new Date('2026-11-22T11:00:00Z');
    expect(await gen.token('blue')).not.toBe(first);
  });
});
