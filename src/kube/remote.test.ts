import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CoreTypes } from '../api/resource.js';
import { connectionFromClusterSecret, RemoteClusters, type ClusterSecret } from './remote.js';

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

describe('exec credential plugins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'okra-exec-'));
  const plugin = (name: string, body: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const headers = (command: string) =>
    connectionFromClusterSecret(
      { ...cluster('exec'), config: { execProviderConfig: { command, args: ['--client-secret', 'SECRET-ARG-123'], apiVersion: 'client.authentication.k8s.io/v1beta1' } } },
      { eksTokens: { token: () => Promise.resolve('t') } },
    ).authHeaders();

  it('sends the token the plugin prints', async () => {
    const ok = plugin('ok.sh', `echo '{"kind":"ExecCredential","status":{"token":"tok-1"}}'`);
    expect(await headers(ok)).toEqual({ Authorization: 'Bearer tok-1' });
  });

  it.each([
    ['fails', 'echo oops >&2; exit 3', /^exec plugin .*fails\.sh failed with exit code 3$/],
    ['prints a token that is not JSON', 'echo "SECRET-TOKEN-456"', /^exec plugin .*prints\.sh did not print an ExecCredential \(its output is not JSON\)$/],
  ])('names the plugin, never its arguments or output, when it %s', async (what, body, message) => {
    const path = plugin(`${what.split(' ')[0] ?? 'x'}.sh`, body);
    const err = await headers(path).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(message);
    expect(err?.message).not.toMatch(/SECRET/);
  });

  it('says when the plugin cannot be run', async () => {
    await expect(headers(join(dir, 'missing.sh'))).rejects.toThrow(/^exec plugin .*missing\.sh could not run: ENOENT$/);
  });
});
