// AWS client settings shared by every adapter: region, an optional endpoint override (moto in tests and
// the demo) and optional static credentials. Without an override the SDK's default chain (IRSA, env,
// profiles) applies.
import type { AwsCredentialIdentity, NodeHttpHandlerOptions } from '@smithy/types';

/** How to reach AWS. */
export interface AwsSettings {
  readonly region: string;
  /** Overrides every service endpoint, for example http://127.0.0.1:5000 for moto. */
  readonly endpoint?: string | undefined;
  readonly credentials?: AwsCredentialIdentity | undefined;
  /** Attempts per call including the first; the SDK backs off between them on throttling and 5xx. */
  readonly maxAttempts?: number | undefined;
  /** Longest one attempt may take, answer included (default DEFAULT_AWS_REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number | undefined;
}

/**
 * Without a deadline the SDK waits on a half-open connection for ever (ELBv2 sets none): one hung
 * DescribeRules would hold every Cell batched with it, an abort's write included. A timed-out attempt
 * is retried like a 5xx.
 */
export const DEFAULT_AWS_REQUEST_TIMEOUT_MS = 20_000;
const CONNECTION_TIMEOUT_MS = 5_000;

/** Constructor options for any @aws-sdk/client-* client. */
export interface SdkClientConfig {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity;
  maxAttempts?: number;
  requestHandler: NodeHttpHandlerOptions;
}

/** Turns settings into SDK client options, leaving out what is unset so SDK defaults apply. */
export function sdkConfig(settings: AwsSettings): SdkClientConfig {
  return {
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.maxAttempts ? { maxAttempts: settings.maxAttempts } : {}),
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: settings.requestTimeoutMs ?? DEFAULT_AWS_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
}
