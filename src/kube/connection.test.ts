import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionFromKubeConfig } from './connection.js';

function kubeConfig(user: Record<string, unknown>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443/', skipTLSVerify: true }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('connectionFromKubeConfig', () => {
  it('sends a static token as a bearer header, without the trailing slash in the server URL', async () => {
    const conn = connectionFromKubeConfig(kubeConfig({ token: 'static-token' }));
    expect(conn.server).toBe('https://127.0.0.1:6443');
    expect(await conn.authHeaders()).toEqual({ Authorization: 'Bearer static-token' });
    expect(await conn.authHeaders()).toEqual({ Authorization: 'Bearer static-token' });
  });

  it('asks an exec plugin again on every request, so a token it rotates is picked up', async () => {
    dir = mkdtempSync(join(tmpdir(), 'okra-conn-'));
    const plugin = join(dir, 'token-plugin.sh');
    // Every run hands out the next token, already expired, so client-node itself never caches it.
    const credential = '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"token-%s","expirationTimestamp":"2000-01-01T00:00:00Z"}}';
    writeFileSync(plugin, `#!/bin/sh\nn=$(cat "${dir}/n" 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > "${dir}/n"\nprintf '${credential}' "$n"\n`);
    chmodSync(plugin, 0o755);
    const conn = connectionFromKubeConfig(kubeConfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } }));
    expect(await conn.authHeaders()).toEqual({ Authorization: 'Bearer token-1' });
    expect(await conn.authHeaders()).toEqual({ Authorization: 'Bearer token-2' });
  });
});
