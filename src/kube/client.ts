// A small typed REST client for any resource type (core or custom), on one keep-alive connection.
// It covers what controllers need: get, paginated list, create, server-side apply, merge patch (also on
// /status), delete, delete-collection and watch; errors carry the HTTP status and the Status reason.
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { text as readText } from 'node:stream/consumers';
import type { ResourceType } from '../api/resource.js';
import { sleep } from '../runtime/clock.js';
import type { ObjectMeta } from '../api/schema.js';
import type { Connection } from './connection.js';
import { KubeApiError } from './errors.js';

/** The minimum every Kubernetes object has. */
export interface KubeObject {
  apiVersion?: string | undefined;
  kind?: string | undefined;
  metadata: ObjectMeta;
}

/** Selects objects for list, watch and delete-collection. */
export interface ListOptions {
  /** Namespace to look in; absent means all namespaces (or a cluster-scoped type). */
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
}

/** A watch from a resource version. */
export interface WatchOptions extends ListOptions {
  readonly resourceVersion: string;
  /** Server-side watch timeout; the stream then ends cleanly and is resumed. */
  readonly timeoutSeconds?: number;
  /** Aborts the watch, including while it waits for the response. */
  readonly signal?: AbortSignal;
  /** Longest wait for the response head (default 30 s); the stream itself has no deadline. */
  readonly headerTimeoutMs?: number | undefined;
}

const WATCH_HEADER_TIMEOUT_MS = 30_000;

/** One event from a watch stream. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject & { code?: number; reason?: string; message?: string };
}

/** A running watch: `stop()` aborts it; `done` settles when the stream ends, with an error if it failed. */
export interface WatchHandle {
  stop(): void;
  readonly done: Promise<void>;
}

/** Observes every request, for metrics. `code` is the HTTP status, or 0 when no response arrived. */
export type RequestObserver = (info: { verb: string; resource: string; code: number; durationMs: number }) => void;

/** Options for writes. */
export interface WriteOptions {
  readonly dryRun?: boolean | undefined;
  readonly subresource?: 'status' | undefined;
  readonly fieldManager?: string | undefined;
  /** Abandons the request (and its 429 retries) when aborted; without it, the 30 s request timeout. */
  readonly signal?: AbortSignal | undefined;
}

const REQUEST_TIMEOUT_MS = 30_000;
const LIST_PAGE_SIZE = 500;
/** Like client-go: a 429 (throttled, or a cache still initialising) is retried after Retry-After. */
const MAX_THROTTLED_ATTEMPTS = 5;

/** Typed REST access to one API server. Safe to share; one instance per connection. */
export class KubeClient {
  private readonly agent: http.Agent;

  constructor(
    readonly connection: Connection,
    private readonly observe: RequestObserver = () => undefined,
  ) {
    const { tls } = connection;
    this.agent = connection.server.startsWith('https:')
      ? new https.Agent({
          keepAlive: true,
          maxSockets: 64,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          rejectUnauthorized: tls.insecure !== true,
          servername: tls.serverName,
        })
      : new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  /** Reads one object; undefined when it does not exist. */
  async get<T extends KubeObject>(type: ResourceType, name: string, namespace?: string, opts: Pick<WriteOptions, 'signal'> = {}): Promise<T | undefined> {
    const res = await this.send('get', type, { path: objectPath(type, namespace, name), ...signalOf(opts) });
    if (res.status === 404) return undefined;
    return parseJson(res) as T;
  }

  /** Lists every page of matching objects; the resourceVersion is the list's, for a following watch. */
  // The caller names the type it reads (as with get); controllers validate with zod where it matters.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async list<T extends KubeObject>(
    type: ResourceType,
    opts: ListOptions = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let continueToken: string | undefined;
    // '' ends the loop: the server omits `continue` (or sends '') on the last page.
    let resourceVersion = '';
    do {
      const query = selectorQuery(opts, { limit: String(LIST_PAGE_SIZE), continue: continueToken });
      const res = await this.send('list', type, { path: collectionPath(type, opts.namespace), query });
      const page = parseJson(res) as { items?: T[]; metadata?: { continue?: string; resourceVersion?: string } };
      items.push(...(page.items ?? []));
      continueToken = page.metadata?.continue ?? '';
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (continueToken !== '');
    return { items, resourceVersion };
  }

  /** Creates an object in its metadata.namespace. */
  async create<T extends KubeObject>(type: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    const res = await this.send('create', type, {
      method: 'POST',
      path: collectionPath(type, obj.metadata.namespace),
      query: writeQuery(opts),
      body: JSON.stringify(obj),
      ...signalOf(opts),
    });
    return parseJson(res) as T;
  }

  /** Server-side apply with our field manager, forcing ownership of the fields we set. */
  async apply<T extends KubeObject>(
    type: ResourceType,
    obj: T,
    opts: WriteOptions & { fieldManager: string },
  ): Promise<T> {
    const name = obj.metadata.name ?? '';
    const res = await this.send('apply', type, {
      method: 'PATCH',
      path: objectPath(type, obj.metadata.namespace, name, opts.subresource),
      query: { ...writeQuery(opts), force: 'true' },
      body: JSON.stringify(obj),
      contentType: 'application/apply-patch+yaml',
    });
    return parseJson(res) as T;
  }

  /** JSON merge patch (RFC 7386), optionally on the status subresource. */
  async mergePatch<T extends KubeObject>(
    type: ResourceType,
    ref: { name: string; namespace?: string | undefined },
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<T> {
    const res = await this.send('patch', type, {
      method: 'PATCH',
      path: objectPath(type, ref.namespace, ref.name, opts.subresource),
      query: writeQuery(opts),
      body: JSON.stringify(patch),
      contentType: 'application/merge-patch+json',
    });
    return parseJson(res) as T;
  }

  /** Replaces a whole object (PUT); fails with a conflict when metadata.resourceVersion is stale. */
  async replace<T extends KubeObject>(type: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    const res = await this.send('update', type, {
      method: 'PUT',
      path: objectPath(type, obj.metadata.namespace, obj.metadata.name ?? '', opts.subresource),
      query: writeQuery(opts),
      body: JSON.stringify(obj),
      ...signalOf(opts),
    });
    return parseJson(res) as T;
  }

  /** Deletes one object; false when it was already gone. */
  async delete(
    type: ResourceType,
    ref: { name: string; namespace?: string | undefined },
    opts: { dryRun?: boolean; uid?: string } = {},
  ): Promise<boolean> {
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background',
      ...(opts.uid ? { preconditions: { uid: opts.uid } } : {}),
    };
    const res = await this.send('delete', type, {
      method: 'DELETE',
      path: objectPath(type, ref.namespace, ref.name),
      query: writeQuery(opts),
      body: JSON.stringify(body),
      allow404: true,
    });
    return res.status !== 404;
  }

  /** Deletes every object matching a selector in a namespace. */
  async deleteCollection(type: ResourceType, opts: ListOptions): Promise<void> {
    await this.send('deletecollection', type, {
      method: 'DELETE',
      path: collectionPath(type, opts.namespace),
      query: selectorQuery(opts, {}),
    });
  }

  /** Starts a watch; `onEvent` receives each event in order. */
  async watch(type: ResourceType, opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<WatchHandle> {
    const controller = new AbortController();
    const signal = opts.signal ? AbortSignal.any([controller.signal, opts.signal]) : controller.signal;
    const query = selectorQuery(opts, {
      watch: 'true',
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: opts.timeoutSeconds === undefined ? undefined : String(opts.timeoutSeconds),
    });
    // Only the wait for the head is bounded: a half-open connection would otherwise hold the informer
    // until the kernel gives up on it (about 15 minutes), its cache silently stale.
    const timeoutMs = opts.headerTimeoutMs ?? WATCH_HEADER_TIMEOUT_MS;
    const headerTimer = setTimeout(() => { controller.abort(new Error(`watch ${type.plural}: no answer within ${String(timeoutMs)} ms`)); }, timeoutMs);
    const res = await this.exchange('watch', type, { path: collectionPath(type, opts.namespace), query, signal }, (body) => Promise.resolve(body)).finally(() => {
      clearTimeout(headerTimer);
    });
    const done = readLines(res, signal, (line) => {
      onEvent(JSON.parse(line) as WatchEvent);
    });
    return { stop: () => { controller.abort(); }, done };
  }

  /** A raw GET of a non-resource path such as /version or /readyz. */
  async getPath<T>(path: string): Promise<T> {
    const res = await readReply(await this.request({ method: 'GET', path }));
    if (!isOk(res.status)) throw KubeApiError.fromReply(res, `GET ${path}`);
    return parseJson(res) as T;
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  /** One request whose answer is read whole (everything but watches). */
  private send(verb: string, type: ResourceType, req: RequestSpec & { allow404?: boolean }): Promise<Reply> {
    return this.exchange(verb, type, req, readReply);
  }

  /**
   * Sends a request, retrying a 429 after Retry-After, and hands a successful (or allowed 404) response
   * to `accept`; any other answer is read and thrown as a KubeApiError.
   */
  private async exchange<R>(
    verb: string,
    type: ResourceType,
    req: RequestSpec & { allow404?: boolean },
    accept: (res: http.IncomingMessage) => Promise<R>,
  ): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      let code = 0;
      try {
        const res = await this.request(req);
        code = res.statusCode ?? 0;
        if (isOk(code) || (code === 404 && (verb === 'get' || req.allow404 === true))) {
          // An answer whose body breaks off counts as no answer (code 0) in the metrics.
          return await accept(res).catch((err: unknown) => {
            code = 0;
            throw err;
          });
        }
        const error = KubeApiError.fromReply(await readReply(res), `${verb} ${type.plural}`);
        if (code !== 429 || attempt >= MAX_THROTTLED_ATTEMPTS || req.signal?.aborted) throw error;
        await sleep((error.retryAfterSeconds ?? 1) * 1000, req.signal);
      } finally {
        this.observe({ verb, resource: type.plural, code, durationMs: performance.now() - started });
      }
    }
  }

  /**
   * Sends one request with node:http(s) on the keep-alive agent and resolves with the response head; the
   * caller reads the body. (node-fetch 2 failed valid responses with "Premature close" when a freed socket
   * went to a queued request before the previous body was read: node-fetch#1767.)
   */
  private async request(req: RequestSpec): Promise<http.IncomingMessage> {
    const url = new URL(this.connection.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    // The deadline covers the credentials too: an exec plugin that hangs must not hold a worker forever.
    const signal = req.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': 'okra',
      ...(await untilAborted(this.connection.authHeaders(), signal)),
    };
    if (req.body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(req.body));
    }
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const outgoing = transport.request(url, { method: req.method ?? 'GET', headers, agent: this.agent, signal }, resolve);
      // Before the response this rejects; after it, a failure reaches the response stream its reader holds.
      outgoing.on('error', reject);
      outgoing.end(req.body);
    });
  }
}

/** An answer read whole. */
interface Reply {
  readonly status: number;
  readonly statusText: string;
  readonly text: string;
  readonly retryAfter?: string | undefined;
}

async function readReply(res: http.IncomingMessage): Promise<Reply> {
  const text = await readText(res);
  return { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text, retryAfter: res.headers['retry-after'] };
}

function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

function parseJson(reply: Reply): unknown {
  return JSON.parse(reply.text);
}

interface RequestSpec {
  method?: string;
  path: string;
  query?: Record<string, string | undefined>;
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
}

function basePath(type: ResourceType): string {
  return type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
}

/** Path of the collection of a type, in one namespace or across all. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${basePath(type)}${ns}/${type.plural}`;
}

function objectPath(type: ResourceType, namespace: string | undefined, name: string, sub?: string): string {
  if (type.namespaced && !namespace) throw new Error(`${type.kind} ${name}: a namespace is required`);
  const suffix = sub ? `/${sub}` : '';
  return `${collectionPath(type, namespace)}/${encodeURIComponent(name)}${suffix}`;
}

function selectorQuery(opts: ListOptions, extra: Record<string, string | undefined>): Record<string, string | undefined> {
  return { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, ...extra };
}

function signalOf(opts: { signal?: AbortSignal | undefined }): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

/** Settles as `promise` does, or rejects with the signal's reason once it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => { reject(signal.reason as Error); };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', abort); });
  });
}

function writeQuery(opts: { dryRun?: boolean | undefined; fieldManager?: string | undefined }): Record<string, string | undefined> {
  return { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager };
}

/** Reads a newline-delimited stream; resolves when it ends, rejects when it fails (not when we abort). */
function readLines(body: http.IncomingMessage, signal: AbortSignal, onLine: (line: string) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: body, crlfDelay: Infinity });
    const fail = (err: unknown): void => {
      if (signal.aborted) resolve();
      else reject(err instanceof Error ? err : new Error(String(err)));
    };
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      try {
        onLine(line);
      } catch (err) {
        fail(err);
      }
    });
    // readline re-emits the body's errors (an abort included); both must be handled or they go unhandled.
    body.on('error', fail);
    lines.on('error', fail);
    lines.on('close', () => { resolve(); });
  });
}
