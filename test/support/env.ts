// Test-side access to the running stack: AWS settings for moto and API clients for both clusters.
import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { AwsSettings } from '../../src/aws/config.js';
import { KubeClient } from '../../src/kube/client.js';
import { connectionFromKubeConfig, loadKubeConfig } from '../../src/kube/connection.js';
import type { StackInfo } from '../stack/stack.js';

/** The stack the global setup started. */
export function stack(): StackInfo {
  return inject('stack');
}

/** AWS settings that reach moto with dummy credentials; pass a region to isolate a test's resources. */
export function awsSettings(region = stack().region): AwsSettings {
  return {
    region,
    endpoint: stack().moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 2,
  };
}

/** An API client for the management cluster. */
export function managementClient(): KubeClient {
  return new KubeClient(connectionFromKubeConfig(loadKubeConfig(stack().management.kubeconfig)));
}

/** An API client for the workload cluster. */
export function workloadClient(): KubeClient {
  return new KubeClient(connectionFromKubeConfig(loadKubeConfig(stack().workload.kubeconfig)));
}

/** A short random suffix for names that must not collide across tests. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}
