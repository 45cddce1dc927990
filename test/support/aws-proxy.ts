// An HTTP proxy in front of moto that lets a test make AWS answer in ways moto cannot by itself: a
// cluster that is still CREATING, an endpoint that changed, a page that fails. Requests that match no
// rule pass through to moto unchanged, so the SDK and moto still do all the real work.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { freePort } from '../stack/process.js';

/** A request as a rule sees it. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The region the request was signed for (from its SigV4 credential scope). */
  readonly region: string;
}

/** Answers matching requests with an AWS-shaped error. */
export interface FailRule {
  readonly match: (req: ProxiedRequest) => boolean;
  readonly fail: { status: number; type: string; message: string };
}

/** Forwards matching requests and rewrites moto's JSON answer. */
export interface RewriteRule {
  readonly match: (req: ProxiedRequest) => boolean;
  readonly rewrite: (body: Record<string, unknown>) => Record<string, unknown>;
}

/** A rule of the proxy. */
export type ProxyRule = FailRule | RewriteRule;

/** The running proxy. */
export class AwsProxy {
  /** Rules, first match wins; tests add and remove them freely. */
  rules: ProxyRule[] = [];
  /** Every request seen, for assertions about paging and call counts. */
  readonly seen: ProxiedRequest[] = [];

  private constructor(
    private readonly server: Server,
    private readonly target: string,
    readonly port: number,
  ) {}

  /** Starts a proxy to `target` (moto's endpoint). */
  static async start(target: string): Promise<AwsProxy> {
    const port = await freePort();
    const server = createServer();
    const proxy = new AwsProxy(server, target, port);
    server.on('request', (req: IncomingMessage, res) => {
      void proxy.handle(req).then(
        ({ status, headers, body }) => {
          res.writeHead(status, headers);
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(502);
          res.end(String(err));
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return proxy;
  }

  /** The endpoint AWS clients should use. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops the proxy. */
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => { resolve(); }));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const url = new URL(req.url ?? '/', this.target);
    const region = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const request: ProxiedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, region };
    this.seen.push(request);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rule = this.rules.find((r) => r.match(request));
    if (rule && 'fail' in rule) {
      const body = Buffer.from(JSON.stringify({ message: rule.fail.message }));
      return { status: rule.fail.status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': rule.fail.type }, body };
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers[k] = v;
    const upstream = await fetch(url, { method: request.method, headers, ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}) });
    let body = Buffer.from(await upstream.arrayBuffer());
    if (rule && upstream.ok) body = Buffer.from(JSON.stringify(rule.rewrite(JSON.parse(body.toString()) as Record<string, unknown>)));
    const outHeaders: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'content-encoding') outHeaders[k] = v;
    });
    return { status: upstream.status, headers: outHeaders, body };
  }
}

/** Matches EKS DescribeCluster of one cluster (in one region when given). */
export const describeCluster = (name: string, region?: string) => (req: ProxiedRequest): boolean =>
  req.method === 'GET' && req.path === `/clusters/${encodeURIComponent(name)}` && (region === undefined || req.region === region);

/** Matches EKS ListClusters pages after the first. */
export const laterListPages = (req: ProxiedRequest): boolean => req.method === 'GET' && req.path === '/clusters' && req.query.has('nextToken');
