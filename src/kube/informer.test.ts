// An informer against answers a real API server gives rarely or never, played by a small local server: a
// proxy answering every watch with an empty 200, and watches that keep answering 410 after fresh lists.
// The informer must back off, not spin.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreTypes } from '../api/resource.js';
import { silentLogger } from '../runtime/log.js';
import { KubeClient, type KubeObject } from './client.js';
import { Informer } from './informer.js';

let server: Server;
let watches = 0;
let port = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    if (req.url?.includes('watch=true')) {
      watches++;
      res.end();
      return;
    }
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '7' }, items: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Runs a ConfigMap informer against the local server for a second after its first list. */
async function runInformerForASecond(serverPort: number, backoff = { minBackoffMs: 100, maxBackoffMs: 400 }): Promise<void> {
  const client = new KubeClient({ server: `http://127.0.0.1:${String(serverPort)}`, tls: {}, authHeaders: () => Promise.resolve({}), name: 'test' });
  const informer = new Informer<KubeObject>(client, CoreTypes.configMap, { namespace: 'default', ...backoff }, silentLogger());
  informer.start();
  await informer.waitForSync();
  await new Promise((r) => setTimeout(r, 1_000));
  await informer.stop();
  client.close();
}

describe('Informer', () => {
  it('backs off from watches that end at once with nothing, instead of reopening them in a loop', async () => {
    await runInformerForASecond(port);
    // 100 + 200 + 400 + 400 ms of backoff fit in the second: at most five watches, not hundreds.
    expect(watches).toBeGreaterThanOrEqual(2);
    expect(watches).toBeLessThanOrEqual(5);
  });

  it('relists at once after a 410, but backs off when every watch after a fresh list answers 410', async () => {
    const lists: number[] = [];
    const gone = createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.includes('watch=true')) {
        res.statusCode = 410;
        res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }));
        return;
      }
      lists.push(performance.now());
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: String(lists.length) }, items: [] }));
    });
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    await runInformerForASecond((gone.address() as AddressInfo).port, { minBackoffMs: 250, maxBackoffMs: 500 });
    await new Promise((resolve) => gone.close(resolve));
    // The first list, one relist at once, then 250 + 500 ms of backoff: a handful, not hundreds.
    expect(lists.length).toBeGreaterThanOrEqual(3);
    expect(lists.length).toBeLessThanOrEqual(5);
    const [first = 0, second = 0, third = 0] = lists;
    expect(second - first).toBeLessThan(250);
    expect(third - second).toBeGreaterThanOrEqual(250);
  });
});
