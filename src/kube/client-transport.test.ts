// The client's HTTP transport against a peer that sends each whole chunked response in one write, as a
// loopback API server often does. With more requests than pooled sockets, a freed socket is handed to the
// next request before the previous response is read: node-fetch 2 took that for a "Premature close"
// (node-fetch#1767) and failed writes that had landed.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreTypes } from '../api/resource.js';
import { KubeClient, type KubeObject } from './client.js';

let server: net.Server;
let port = 0;
beforeAll(async () => {
  server = net.createServer((socket) => {
    let buffered = '';
    socket.on('data', (data: Buffer) => {
      buffered += data.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const name = /\/configmaps\/([^ /?]+)/.exec(head)?.[1] ?? 'none';
        const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { bulk: 'x'.repeat(4096) } });
        const chunk = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('KubeClient transport', () => {
  it('reads every response when far more requests than pooled sockets are in flight', async () => {
    const client = new KubeClient({ server: `http://127.0.0.1:${String(port)}`, tls: {}, authHeaders: () => Promise.resolve({}), name: 'test' });
    const names = Array.from({ length: 400 }, (_, i) => `cm-${String(i)}`);
    const results = await Promise.allSettled(names.map((name) => client.get<KubeObject>(CoreTypes.configMap, name, 'default')));
    client.close();
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value?.metadata.name : undefined))).toEqual(names);
  });

  it('gives up on a request whose credentials never come (an exec plugin that hangs) at its deadline', async () => {
    const hangingPlugin = (): Promise<Record<string, string>> => new Promise(() => undefined);
    const client = new KubeClient({ server: `http://127.0.0.1:${String(port)}`, tls: {}, authHeaders: hangingPlugin, name: 'test' });
    const started = Date.now();
    await expect(client.get(CoreTypes.configMap, 'cm', 'default', { signal: AbortSignal.timeout(200) })).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - started).toBeLessThan(5_000);
    client.close();
  });
});
