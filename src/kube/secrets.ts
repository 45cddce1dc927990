// Reading a Secret's data for a consumer that needs its values (analysis args, Datadog credentials):
// fetched when needed, decoded, never cached or logged.
import { CoreTypes } from '../api/resource.js';
import type { KubeClient } from './client.js';
import type { SecretObject } from './remote.js';

/** The decoded data of a Secret, or undefined when it does not exist. */
export async function readSecretData(client: KubeClient, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  const secret = await client.get<SecretObject>(CoreTypes.secret, name, namespace);
  if (!secret) return undefined;
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}
