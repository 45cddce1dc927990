import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectionFromKubeConfig, loadKubeConfig } from './connection.js';

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
  vi.unstubAllEnvs();
});

/** A kubeconfig file with one context (and its cluster and user) named `name`. */
function kubeConfigFile(name: string, current = true): string {
  dir ??= mkdtempSync(join(tmpdir(), 'okra-conn-'));
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: ${name}, cluster: { server: "https://${name}.example:6443" } }]`,
      `users: [{ name: ${name}, user: { token: t } }]`,
      `contexts: [{ name: ${name}, context: { cluster: ${name}, user: ${name} } }]`,
      ...(current ? [`current-context: ${name}`] : []),
    ].join('\n'),
  );
  return path;
}

describe('loadKubeConfig', () => {
  it('names a --context the kubeconfig lacks, and the contexts it has', () => {
    const path = kubeConfigFile('kind-a');
    expect(() => loadKubeConfig(path, 'nope')).toThrow('the kubeconfig has no context "nope" (contexts: kind-a)');
  });

  it('merges every file KUBECONFIG lists, as kubectl does, so a context of the second file is found', () => {
    const a = kubeConfigFile('kind-a');
    const b = kubeConfigFile('kind-b', false);
    vi.stubEnv('KUBECONFIG', [a, b].join(delimiter));
    expect(connectionFromKubeConfig(loadKubeConfig()).server).toBe('https://kind-a.example:6443');
    expect(connectionFromKubeConfig(loadKubeConfig(undefined, 'kind-b')).server).toBe('https://kind-b.example:6443');
  });
});

describe('connectionFromKubeConfig', () => {
  it('says why there is no cluster: no current context, or a context naming a cluster that is not there', () => {
    const none = new KubeConfig();
    none.loadFromOptions({ clusters: [], users: [], contexts: [] });
    expect(() => connectionFromKubeConfig(none)).toThrow('the kubeconfig has no current context (pass --context)');
    const dangling = new KubeConfig();
    dangling.loadFromOptions({ clusters: [], users: [], contexts: [{ name: 'ctx', cluster: 'gone', user: 'u' }], currentContext: 'ctx' });
    expect(() => connectionFromKubeConfig(dangling)).toThrow('context "ctx" names cluster "gone", which the kubeconfig does not define');
  });

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

  it('sends basic auth as an Authorization header', async () => {
    const conn = connectionFromKubeConfig(kubeConfig({ username: 'admin', password: 's3cret' }));
    expect(await conn.authHeaders()).toEqual({ Authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}` });
  });

  it('refuses, by name, a client certificate an exec plugin hands out (it would be dropped and requests sent anonymous)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'okra-conn-'));
    const plugin = join(dir, 'cert-plugin.sh');
    const pem = (kind: string) => `-----BEGIN ${kind}-----\nAAAA\n-----END ${kind}-----\n`;
    const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { clientCertificateData: pem('CERTIFICATE'), clientKeyData: pem('PRIVATE KEY') } };
    writeFileSync(join(dir, 'credential.json'), JSON.stringify(credential));
    writeFileSync(plugin, `#!/bin/sh\ncat "${join(dir, 'credential.json')}"\n`);
    chmodSync(plugin, 0o755);
    const conn = connectionFromKubeConfig(kubeConfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } }));
    await expect(conn.authHeaders()).rejects.toThrow('the exec plugin of user "u" returned a client certificate; okra supports exec plugins that return a token');
  });
});
