// An informer outlives its apiserver: it keeps retrying while the apiserver is down and delivers the
// events that happen after it comes back. Runs on a cluster of its own so the restart disturbs no one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CoreTypes } from '../../src/api/resource.js';
import { KubeClient, type KubeObject } from '../../src/kube/client.js';
import { connectionFromKubeConfig, loadKubeConfig } from '../../src/kube/connection.js';
import { Informer } from '../../src/kube/informer.js';
import { silentLogger } from '../../src/runtime/log.js';
import { LocalCluster } from '../stack/cluster.js';
import { stackPaths } from '../stack/paths.js';

let cluster: LocalCluster;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'okra-restart-'));
  cluster = await LocalCluster.start(stackPaths(), { name: 'restart', dir });
});
afterAll(async () => {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
});

const configMap = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } });

describe('informer across an apiserver restart', () => {
  it('keeps delivering adds and deletes after the apiserver comes back', async () => {
    const client = new KubeClient(connectionFromKubeConfig(loadKubeConfig(cluster.kubeconfigPath)));
    const informer = new Informer<KubeObject>(client, CoreTypes.configMap, { namespace: 'default', minBackoffMs: 100, maxBackoffMs: 1000 }, silentLogger());
    const seen: string[] = [];
    informer.addHandlers({
      add: (o) => seen.push(`add ${o.metadata.name ?? ''}`),
      delete: (o) => seen.push(`delete ${o.metadata.name ?? ''}`),
    });
    informer.start();
    await informer.waitForSync();

    await client.create(CoreTypes.configMap, configMap('before'));
    await vi.waitFor(() => { expect(seen).toContain('add before'); }, { timeout: 10_000 });

    await cluster.stopApiserver();
    // Let the informer notice the broken watch and fail at least one reconnect.
    await new Promise((r) => setTimeout(r, 1500));
    await cluster.startApiserver();

    await client.create(CoreTypes.configMap, configMap('after'));
    await client.delete(CoreTypes.configMap, { name: 'before', namespace: 'default' });
    await vi.waitFor(() => { expect(seen).toEqual(expect.arrayContaining(['add after', 'delete before'])); }, { timeout: 30_000, interval: 100 });
    expect(informer.get('before', 'default')).toBeUndefined();
    expect(informer.get('after', 'default')?.metadata.name).toBe('after');
    await informer.stop();
    client.close();
  });
});
