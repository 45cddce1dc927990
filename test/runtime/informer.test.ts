// An informer's cache answers per namespace: objects appear, move with updates and disappear with deletes
// in the namespace they live in, and only there. Controllers list a namespace on every pass.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CoreTypes } from '../../src/api/resource.js';
import { KubeClient, type KubeObject } from '../../src/kube/client.js';
import { connectionFromKubeConfig, loadKubeConfig } from '../../src/kube/connection.js';
import { Informer } from '../../src/kube/informer.js';
import { silentLogger } from '../../src/runtime/log.js';
import { managementClient, stack } from '../support/env.js';
import { createNamespace, deleteNamespace } from '../support/namespaces.js';
import { FreezableTcpProxy } from '../support/tcp-proxy.js';

const client = managementClient();
let first: string;
let second: string;
beforeAll(async () => {
  [first, second] = await Promise.all([createNamespace(client, 'inf-a'), createNamespace(client, 'inf-b')]);
});
afterAll(async () => {
  await Promise.all([deleteNamespace(client, first), deleteNamespace(client, second)]);
});

const configMap = (name: string, namespace: string, data: Record<string, string> = {}): KubeObject & { data: Record<string, string> } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels: { 'okra-test': 'informer' } },
  data,
});

const names = (objects: readonly KubeObject[]): string[] => objects.map((o) => o.metadata.name ?? '').sort();

describe('Informer.list(namespace)', () => {
  it('lists each namespace on its own, following adds, updates and deletes', async () => {
    await client.create(CoreTypes.configMap, configMap('before', first));
    const informer = new Informer<KubeObject & { data?: Record<string, string> }>(client, CoreTypes.configMap, { labelSelector: 'okra-test=informer' }, silentLogger());
    informer.start();
    await informer.waitForSync();
    try {
      expect(names(informer.list(first))).toEqual(['before']);
      expect(informer.list(second)).toEqual([]);

      await client.create(CoreTypes.configMap, configMap('a1', first));
      await client.create(CoreTypes.configMap, configMap('b1', second));
      await client.replace(CoreTypes.configMap, configMap('before', first, { changed: 'yes' }));
      await vi.waitFor(() => {
        expect(names(informer.list(first))).toEqual(['a1', 'before']);
        expect(names(informer.list(second))).toEqual(['b1']);
        expect(informer.list(first).find((o) => o.metadata.name === 'before')?.data).toEqual({ changed: 'yes' });
      });

      await client.delete(CoreTypes.configMap, { name: 'before', namespace: first });
      await client.delete(CoreTypes.configMap, { name: 'b1', namespace: second });
      await vi.waitFor(() => {
        expect(names(informer.list(first))).toEqual(['a1']);
        expect(informer.list(second)).toEqual([]);
      });
      expect(names(informer.list()).filter((n) => ['a1', 'b1', 'before'].includes(n))).toEqual(['a1']);
    } finally {
      await informer.stop();
    }
  });
});

describe('Informer over a connection that dies without closing', () => {
  it('takes a silent watch for dead, reopens it (a new watch that gets no answer gives up too), and catches up', async () => {
    const proxy = await FreezableTcpProxy.start(stack().management.server);
    const viaProxy = new KubeClient({ ...connectionFromKubeConfig(loadKubeConfig(stack().management.kubeconfig)), server: proxy.url });
    const informer = new Informer<KubeObject>(
      viaProxy,
      CoreTypes.configMap,
      { namespace: first, labelSelector: 'okra-test=half-open', minBackoffMs: 100, maxBackoffMs: 500, watchIdleMs: 1_000, watchHeaderTimeoutMs: 1_000 },
      silentLogger(),
    );
    try {
      informer.start();
      await informer.waitForSync();
      proxy.freeze();
      await client.create(CoreTypes.configMap, { ...configMap('while-dead', first), metadata: { name: 'while-dead', namespace: first, labels: { 'okra-test': 'half-open' } } });
      // Long enough for the idle watchdog to give up on the dead stream and a new watch to find no answer.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(names(informer.list(first))).toEqual([]);
      proxy.thaw();
      await vi.waitFor(() => { expect(names(informer.list(first))).toEqual(['while-dead']); }, { timeout: 10_000, interval: 100 });
    } finally {
      await informer.stop();
      await proxy.stop();
      viaProxy.close();
    }
  });
});
