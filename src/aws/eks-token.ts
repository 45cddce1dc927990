// EKS bearer tokens, generated in-process the way `aws eks get-token` and Argo CD's argocd-k8s-auth do:
// "k8s-aws-v1." + unpadded base64url of a presigned STS GetCallerIdentity URL whose signature covers the
// `x-k8s-aws-id: <cluster name>` header. STS accepts the URL for 15 minutes after its X-Amz-Date, so a
// token is re-signed after 13 minutes. With a roleARN the token is signed with that role's credentials
// (STS AssumeRole first), which is how a cluster Secret's awsAuthConfig.roleARN is honoured.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { sdkConfig, type AwsSettings } from './config.js';
import { instrument, type AwsCallObserver } from './instrument.js';

/** Prefix of every EKS token. */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** Header that binds a token to one cluster; it must be among the signed headers. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** STS honours a presigned GetCallerIdentity for this long after X-Amz-Date. */
export const TOKEN_VALIDITY_MS = 15 * 60_000;
/** A cached token is replaced once it is this old, well before STS stops accepting it. */
export const TOKEN_REFRESH_AFTER_MS = 13 * 60_000;
/** A token is not reused within this long of its signing credentials' expiry. */
const CREDENTIALS_MARGIN_MS = 60_000;

/** Input of one presign. */
export interface PresignInput {
  readonly clusterName: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity;
  /** STS endpoint override (moto in tests); defaults to the regional endpoint. */
  readonly endpoint?: string | undefined;
  readonly signingDate?: Date;
}

/** RFC 3986 encoding, as SigV4 canonicalises query values. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The regional STS endpoint; China regions live under amazonaws.com.cn, as aws-iam-authenticator signs them. */
function regionalStsEndpoint(region: string): string {
  return `https://sts.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}/`;
}

/** Presigns GetCallerIdentity for a cluster and returns the bearer token. */
export async function presignEksToken(input: PresignInput): Promise<string> {
  const url = new URL(input.endpoint ?? regionalStsEndpoint(input.region));
  const signer = new SignatureV4({
    service: 'sts',
    region: input.region,
    credentials: input.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: url.host, [CLUSTER_ID_HEADER]: input.clusterName },
    },
    { expiresIn: 60, ...(input.signingDate ? { signingDate: input.signingDate } : {}) },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(String(v))}`)
    .join('&');
  return EKS_TOKEN_PREFIX + Buffer.from(`${url.protocol}//${url.host}/?${query}`).toString('base64url');
}

/** Supplies EKS tokens for clusters, optionally signed as a role. */
export interface EksTokenSource {
  token(clusterName: string, roleArn?: string): Promise<string>;
}

/** Options of the token generator. */
export interface EksTokenGeneratorOptions {
  /** Base credentials; the SDK's default chain (IRSA, env, profile) when absent. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  readonly now?: () => Date;
  readonly observer?: AwsCallObserver | undefined;
}

/** Generates and caches EKS tokens per cluster and role. */
export class EksTokenGenerator implements EksTokenSource {
  private readonly tokens = new Map<string, { token: string; reuseUntil: number }>();
  private readonly roleCredentials = new Map<string, AwsCredentialIdentity>();
  private readonly sts: STSClient;
  private readonly base: AwsCredentialIdentityProvider;

  constructor(
    private readonly settings: AwsSettings,
    private readonly options: EksTokenGeneratorOptions = {},
  ) {
    this.sts = instrument(new STSClient(sdkConfig(settings)), 'sts', options.observer);
    const creds = options.credentials ?? settings.credentials;
    this.base = typeof creds === 'function' ? creds : creds ? () => Promise.resolve(creds) : fromNodeProviderChain();
  }

  async token(clusterName: string, roleArn?: string): Promise<string> {
    const key = `${clusterName}|${roleArn ?? ''}`;
    const now = this.now();
    const cached = this.tokens.get(key);
    if (cached && now.getTime() < cached.reuseUntil) return cached.token;
    const credentials = roleArn ? await this.assume(roleArn, now) : await this.base();
    const token = await presignEksToken({
      clusterName,
      region: this.settings.region,
      credentials,
      endpoint: this.settings.endpoint,
      signingDate: now,
    });
    // A presigned token stops working when the credentials that signed it expire, whatever its own age.
    const credentialsEnd = credentials.expiration ? credentials.expiration.getTime() - CREDENTIALS_MARGIN_MS : Number.POSITIVE_INFINITY;
    this.tokens.set(key, { token, reuseUntil: Math.min(now.getTime() + TOKEN_REFRESH_AFTER_MS, credentialsEnd) });
    return token;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private async assume(roleArn: string, now: Date): Promise<AwsCredentialIdentity> {
    const cached = this.roleCredentials.get(roleArn);
    // Fresh role credentials outlive a token signed with them by its full reuse period.
    if (cached?.expiration && cached.expiration.getTime() - now.getTime() > TOKEN_REFRESH_AFTER_MS + CREDENTIALS_MARGIN_MS) return cached;
    const { Credentials } = await this.sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'okra', DurationSeconds: 3600 }),
    );
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    const assumed: AwsCredentialIdentity = {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      ...(Credentials.SessionToken ? { sessionToken: Credentials.SessionToken } : {}),
      ...(Credentials.Expiration ? { expiration: Credentials.Expiration } : {}),
    };
    this.roleCredentials.set(roleArn, assumed);
    return assumed;
  }
}
