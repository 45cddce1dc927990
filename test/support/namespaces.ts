// Per-test namespaces: the apiservers run without kube-controller-manager, so tests isolate by
// namespace and clean up what they created.
import { CoreTypes } from '../../src/api/resource.js';
import type { KubeClient } from '../../src/kube/client.js';
import { uniqueSuffix } from './env.js';

/** Creates a namespace `<prefix>-<random>` and returns its name. */
export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${uniqueSuffix()}`;
  await client.create(CoreTypes.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** Deletes a namespace (it stays Terminating without a controller manager, which is harmless here). */
export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(CoreTypes.namespace, { name });
}
