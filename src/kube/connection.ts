// How to reach one API server: its URL, TLS material and a source of auth headers. The REST client keeps
// one keep-alive agent per connection (client-node builds a new agent per request, which costs a TLS
// handshake on every call).
import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import type https from 'node:https';

/** TLS settings for an API server connection. */
export interface TlsOptions {
  readonly ca?: Buffer | string | undefined;
  readonly cert?: Buffer | string | undefined;
  readonly key?: Buffer | string | undefined;
  readonly insecure?: boolean | undefined;
  readonly serverName?: string | undefined;
}

/** Everything the REST client needs to talk to one API server. */
export interface Connection {
  /** Base URL without a trailing slash, for example https://127.0.0.1:6443. */
  readonly server: string;
  readonly tls: TlsOptions;
  /** Returns the auth headers for the next request; called per request so rotating tokens work. */
  readonly authHeaders: () => Promise<Record<string, string>>;
  /** A stable label for logs and metrics, never a credential. */
  readonly name: string;
}

/**
 * Loads a kubeconfig from a file path, or the default chain (KUBECONFIG, a list of files merged as
 * kubectl does; ~/.kube/config; in-cluster). A `context` the kubeconfig lacks fails here, by name:
 * client-node would accept it and fail later with "no current cluster".
 */
export function loadKubeConfig(path?: string, context?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (context) {
    if (!kc.getContextObject(context)) throw new Error(`the kubeconfig has no context ${JSON.stringify(context)} (contexts: ${contextNames(kc)})`);
    kc.setCurrentContext(context);
  }
  return kc;
}

/** The kubeconfig's context names, for an error message (names only, never credentials). */
function contextNames(kc: KubeConfig): string {
  const names = kc.getContexts().map((c) => c.name);
  return names.length > 0 ? names.join(', ') : 'none';
}

/** Builds a Connection from a kubeconfig's current context. */
export function connectionFromKubeConfig(kc: KubeConfig): Connection {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(noClusterMessage(kc));
  const tls = tlsFromKubeConfig(kc);
  return {
    server: cluster.server.replace(/\/+$/, ''),
    tls,
    name: kc.getCurrentContext(),
    authHeaders: hasRotatingCredentials(kc) ? () => headersFrom(kc) : once(() => headersFrom(kc)),
  };
}

/** Why the current context has no cluster: no current context, an unknown one, or one naming a missing cluster. */
function noClusterMessage(kc: KubeConfig): string {
  const name = kc.getCurrentContext();
  if (!name) return 'the kubeconfig has no current context (pass --context)';
  const context = kc.getContextObject(name);
  if (!context) return `the kubeconfig has no context ${JSON.stringify(name)} (contexts: ${contextNames(kc)})`;
  return `context ${JSON.stringify(name)} names cluster ${JSON.stringify(context.cluster)}, which the kubeconfig does not define`;
}

async function headersFrom(kc: KubeConfig): Promise<Record<string, string>> {
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  // The agent's TLS material is read once from the kubeconfig; a certificate an exec plugin hands out
  // (tsh, for example) would be dropped and every request sent anonymous, so it is refused by name.
  const user = kc.getCurrentUser();
  if (user?.exec !== undefined && opts.cert !== undefined && !user.certData && !user.certFile) {
    throw new Error(`the exec plugin of user ${JSON.stringify(user.name)} returned a client certificate; okra supports exec plugins that return a token`);
  }
  const headers = flattenHeaders(opts.headers);
  // Basic auth comes back as the request's auth option, not as a header.
  if (typeof opts.auth === 'string' && headers.Authorization === undefined) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  return headers;
}

/**
 * An exec plugin or auth provider (in-cluster, the service-account token file) can hand out a new token
 * at any time, so those are asked on every request; a static token, basic auth or a client certificate
 * cannot change, and asking client-node for them per request was measurable CPU in a burst.
 */
function hasRotatingCredentials(kc: KubeConfig): boolean {
  const user = kc.getCurrentUser();
  return user === null || user.exec !== undefined || user.authProvider !== undefined;
}

function once<V>(make: () => Promise<V>): () => Promise<V> {
  let value: Promise<V> | undefined;
  return () => {
    value ??= make().catch((err: unknown) => {
      value = undefined;
      throw err;
    });
    return value;
  };
}

function tlsFromKubeConfig(kc: KubeConfig): TlsOptions {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  return {
    ca: readMaterial(cluster?.caFile, cluster?.caData),
    cert: readMaterial(user?.certFile, user?.certData),
    key: readMaterial(user?.keyFile, user?.keyData),
    insecure: cluster?.skipTLSVerify === true,
    serverName: cluster?.tlsServerName,
  };
}

function readMaterial(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

function flattenHeaders(headers: https.RequestOptions['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (typeof value === 'string' || typeof value === 'number') out[key] = String(value);
    else if (Array.isArray(value)) out[key] = value.join(', ');
  }
  return out;
}
