// One local HTTP server that answers the API shapes the analysis providers speak, so tests need no SaaS:
//   /datadog/api/v1/query          Datadog v1 timeseries query (GET, DD-API-KEY / DD-APPLICATION-KEY)
//   /datadog/api/v2/query/scalar   Datadog v2 scalar query (POST)
//   /prometheus/api/v1/query       Prometheus instant query (GET or form POST)
//   /web/<name>                    any JSON document
// Answers are set per query text (or web name); a query can be told to fail with a status a number of
// times first (rate limiting). Every request is recorded, so tests can check what reached the provider.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreTypes } from '../../src/api/resource.js';
import type { KubeClient } from '../../src/kube/client.js';

/** What a query answers: a number, a list (Prometheus vector), null (no data), or a JSON document (web). */
export type Answer = number | number[] | null | { json: unknown } | { raw: string };

/** A recorded request. */
export interface SeenRequest {
  readonly api: 'datadog-v1' | 'datadog-v2' | 'prometheus' | 'web';
  readonly query: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Credentials the fake Datadog accepts. */
export const DATADOG_KEYS = { apiKey: 'dd-api-key', appKey: 'dd-app-key' } as const;

/** The fake. */
export class FakeMetrics {
  readonly requests: SeenRequest[] = [];
  private readonly answers = new Map<string, Answer>();
  private readonly failures = new Map<string, { status: number; times: number }>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts on a free loopback port. */
  static async start(): Promise<FakeMetrics> {
    const handlers: ((req: IncomingMessage, res: ServerResponse) => Promise<void>)[] = [];
    const server = createServer((req, res) => {
      void handlers[0]?.(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeMetrics(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    handlers.push((req, res) => fake.handle(req, res));
    return fake;
  }

  /** Sets what a query (or web name) answers from now on. */
  set(query: string, answer: Answer): void {
    this.answers.set(query, answer);
  }

  /** Makes a query answer `status` the next `times` requests (then its answer again). */
  failNext(query: string, status: number, times: number): void {
    this.failures.set(query, { status, times });
  }

  /** Creates a Datadog credentials Secret (keys as Argo Rollouts reads them) pointing at this server. */
  async createDatadogSecret(client: KubeClient, namespace: string, opts: { name?: string; keys?: { apiKey: string; appKey: string } } = {}): Promise<void> {
    const keys = opts.keys ?? DATADOG_KEYS;
    await client.create(CoreTypes.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: opts.name ?? 'datadog', namespace },
      stringData: { address: `${this.url}/datadog`, 'api-key': keys.apiKey, 'app-key': keys.appKey },
    });
  }

  /** Requests seen for a query. */
  seen(query: string): SeenRequest[] {
    return this.requests.filter((r) => r.query === query);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => { resolve(); }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    const routed = route(url, body);
    if (!routed) {
      send(res, 404, { error: `no route ${url.pathname}` });
      return;
    }
    this.requests.push({ api: routed.api, query: routed.query, headers: req.headers });
    if (routed.api.startsWith('datadog') && (req.headers['dd-api-key'] !== DATADOG_KEYS.apiKey || req.headers['dd-application-key'] !== DATADOG_KEYS.appKey)) {
      send(res, 403, { errors: ['Forbidden'] });
      return;
    }
    const failure = this.failures.get(routed.query);
    if (failure && failure.times > 0) {
      failure.times--;
      send(res, failure.status, routed.api === 'prometheus' ? { status: 'error', errorType: 'unavailable', error: 'try later' } : { errors: ['Rate limit exceeded'] });
      return;
    }
    const answer = this.answers.get(routed.query);
    if (answer === undefined) {
      const prometheus = routed.api === 'prometheus';
      send(res, prometheus ? 400 : 404, prometheus ? { status: 'error', errorType: 'bad_data', error: `unknown query ${routed.query}` } : { errors: ['not found'] });
      return;
    }
    if (typeof answer === 'object' && answer !== null && 'raw' in answer) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(answer.raw);
      return;
    }
    send(res, 200, render(routed.api, routed.query, answer));
  }
}

function route(url: URL, body: string): { api: SeenRequest['api']; query: string } | undefined {
  const path = url.pathname;
  if (path === '/datadog/api/v1/query') return { api: 'datadog-v1', query: url.searchParams.get('query') ?? '' };
  if (path === '/datadog/api/v2/query/scalar') {
    const request = JSON.parse(body) as { data: { attributes: { queries: { query: string }[]; formulas?: { formula: string }[] } } };
    const attrs = request.data.attributes;
    return { api: 'datadog-v2', query: attrs.formulas?.[0]?.formula ?? attrs.queries[0]?.query ?? '' };
  }
  if (path === '/prometheus/api/v1/query') {
    const params = url.searchParams.get('query') === null ? new URLSearchParams(body) : url.searchParams;
    return { api: 'prometheus', query: params.get('query') ?? '' };
  }
  if (path.startsWith('/web/')) return { api: 'web', query: path.slice('/web/'.length) };
  return undefined;
}

function render(api: SeenRequest['api'], query: string, answer: Answer): unknown {
  const now = Math.floor(Date.now() / 1000);
  const values = answer === null ? [] : Array.isArray(answer) ? answer : typeof answer === 'number' ? [answer] : [];
  switch (api) {
    case 'datadog-v1':
      return { status: 'ok', query, series: values.length === 0 ? [] : [{ metric: query, pointlist: values.map((v, i) => [(now - values.length + i) * 1000, v]) }] };
    case 'datadog-v2':
      return { data: { type: 'scalar_response', attributes: { columns: [{ name: 'a', type: 'number', values: values.length === 0 ? [null] : values, meta: {} }] } } };
    case 'prometheus':
      return { status: 'success', data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { i: String(i) }, value: [now, String(v)] })) } };
    case 'web':
      return typeof answer === 'object' && answer !== null && 'json' in answer ? answer.json : answer;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
