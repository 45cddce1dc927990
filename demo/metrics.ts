// The demo's stand-in for a metrics backend: the error rate each version of the app serves, as JSON for
// the web metric provider (GET /error-rate/<version> → {"rate": 0.002}).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running metrics server. */
export interface DemoMetrics {
  readonly url: string;
  stop(): Promise<void>;
}

/** Serves `rates` (version → error rate); an unknown version has no data (404). */
export async function startDemoMetrics(rates: Readonly<Record<string, number>>): Promise<DemoMetrics> {
  const server: Server = createServer((req, res) => {
    const version = decodeURIComponent((req.url ?? '').replace(/^\/error-rate\//, ''));
    const rate = rates[version];
    res.writeHead(rate === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(rate === undefined ? { error: `no data for ${version}` } : { rate }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => { resolve(); });
      }),
  };
}
