// AWS client settings shared by every adapter: region, an optional endpoint override (moto in tests and
// the demo) and optional static credentials. Without an override the SDK's default chain (IRSA, env,
// profiles) applies.
import type { AwsCredentialIdentity } from '@smithy/types';

/** How to reach AWS. */
export interface AwsSettings {
  readonly region: string;
  /** Overrides every service endpoint, for example http://127.0.0.1:5000 for moto. */
  readonly endpoint?: string | undefined;
  readonly credentials?: AwsCredentialIdentity | undefined;
  /** Attempts per call including the first; the SDK backs off between them on throttling and 5xx. */
  readonly maxAttempts?: number | undefined;
}

/** Constructor options for any @aws-sdk/client-* client. */
export interface SdkClientConfig {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity;
  maxAttempts?: number;
}

/** Turns settings into SDK client options, leaving out what is unset so SDK defaults apply. */
export function sdkConfig(settings: AwsSettings): SdkClientConfig {
  return {
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.maxAttempts ? { maxAttempts: settings.maxAttempts } : {}),
  };
}
