import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { CoreTypes } from '../api/resource.js';
import { RemoteClusters, type ClusterSecret } from './remote.js';

const cluster = (name: string): ClusterSecret => ({
  key: `argocd/${name}`,
  secretName: name,
  resourceVersion: '1',
  name,
  server: 'https://127.0.0.1:1',
  config: { bearerToken: 'token' },
});

describe('RemoteClusters', () => {
  it('closes and forgets a deleted Secret’s client and names its cluster once; close() forgets nothing', () => {
    const forgotten: string[] = [];
    const remote = new RemoteClusters({ eksTokens: { token: () => Promise.resolve('t') } }, () => () => undefined, (c) => forgotten.push(c));
    const blue = remote.client(cluster('blue'));
    remote.client(cluster('green'));
    expect(remote.client(cluster('blue'))).toBe(blue);
    remote.forget('argocd/blue');
    remote.forget('argocd/blue');
    expect(remote.has('argocd/blue')).toBe(false);
    expect(remote.has('argocd/green')).toBe(true);
    expect(forgotten).toEqual(['blue']);
    remote.close();
    expect(remote.has('argocd/green')).toBe(false);
    expect(forgotten).toEqual(['blue']);
  });

  it('does not count requests that finish after their client was forgotten', async () => {
    const observed: string[] = [];
    const remote = new RemoteClusters({ eksTokens: { token: () => Promise.resolve('t') } }, (c) => () => observed.push(c));
    const inFlight = remote.client(cluster('blue')).list(CoreTypes.namespace);
    remote.forget('argocd/blue');
    await expect(inFlight).rejects.toThrow();
    expect(observed).toEqual([]);
    const fresh = remote.client(cluster('blue')).list(CoreTypes.namespace);
    await expect(fresh).rejects.toThrow();
    expect(observed).toEqual(['blue']);
  });

  it('lets requests in flight on a client finish when its Secret changes and the client is replaced', async () => {
    // A cluster that answers after 300 ms, so the first request is still in flight at the replacement.
    let arrived = 0;
    const server = createServer((_req, res) => {
      arrived++;
      setTimeout(() => { res.setHeader('Content-Type', 'application/json'); res.end(JSON.stringify({ kind: 'NamespaceList', metadata: { resourceVersion: '1' }, items: [] })); }, 300);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const slow = { ...cluster('blue'), server: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}` };
    const remote = new RemoteClusters({ eksTokens: { token: () => Promise.resolve('t') } });
    const inFlight = remote.client(slow).list(CoreTypes.namespace);
    await vi.waitFor(() => { expect(arrived).toBe(1); });
    const replaced = remote.client({ ...slow, resourceVersion: '2' });
    await expect(inFlight).resolves.toMatchObject({ items: [] });
    await expect(replaced.list(CoreTypes.namespace)).resolves.toMatchObject({ items: [] });
    remote.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
});
