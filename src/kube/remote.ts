// Connections to workload clusters described by Argo CD cluster Secrets, read the way Argo CD reads
// them: data.name, data.server (trailing slash trimmed), data.config JSON with bearerToken,
// username/password, tlsClientConfig, awsAuthConfig (EKS token) or execProviderConfig. Clients are
// cached per Secret and rebuilt when the Secret changes; each cluster's failures back off on their own.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterConfigSchema, type ClusterConfig } from '../api/argocd/clustersecret.js';
import type { EksTokenSource } from '../aws/eks-token.js';
import { KubeClient, type KubeObject, type RequestObserver } from './client.js';
import { connectionFromKubeConfig, type Connection } from './connection.js';

const execFileAsync = promisify(execFile);

/** The in-cluster API server address Argo CD treats specially. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/** A Secret as read from the API server. */
export type SecretObject = KubeObject & { data?: Record<string, string> | undefined; type?: string | undefined };

/** A parsed cluster Secret. */
export interface ClusterSecret {
  /** namespace/name of the Secret. */
  readonly key: string;
  readonly secretName: string;
  readonly resourceVersion: string;
  /** data.name: the cluster name Argo CD shows. */
  readonly name: string;
  readonly server: string;
  readonly config: ClusterConfig;
}

/** Thrown when a Secret does not describe a usable cluster; the message names the field. */
export class InvalidClusterSecretError extends Error {
  override name = 'InvalidClusterSecretError';
}

function decodeField(secret: SecretObject, field: string): string | undefined {
  const value = secret.data?.[field];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** Parses an Argo CD cluster Secret, failing with a message that names the missing or bad field. */
export function parseClusterSecret(secret: SecretObject): ClusterSecret {
  const { name: secretName = '', namespace = '', resourceVersion = '' } = secret.metadata;
  const where = `Secret ${namespace}/${secretName}`;
  const server = decodeField(secret, 'server')?.trim();
  if (!server) throw new InvalidClusterSecretError(`${where}: data.server is missing`);
  return {
    key: `${namespace}/${secretName}`,
    secretName,
    resourceVersion,
    name: decodeField(secret, 'name') ?? secretName,
    server: server.replace(/\/+$/, ''),
    config: parseConfig(decodeField(secret, 'config'), where),
  };
}

function parseConfig(raw: string | undefined, where: string): ClusterConfig {
  if (raw === undefined || raw.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidClusterSecretError(`${where}: data.config is not valid JSON`);
  }
  const parsed = ClusterConfigSchema.safeParse(json);
  if (!parsed.success) throw new InvalidClusterSecretError(`${where}: data.config: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const unsupported = unsupportedField(parsed.data);
  if (unsupported) throw new InvalidClusterSecretError(`${where}: data.config: ${unsupported}`);
  return parsed.data;
}

/**
 * Fields Argo CD honours that okra does not. Ignored, they would fail later with a message that hides the
 * cause (a proxied cluster "unreachable", a profile's cluster "unauthorized" with okra's own identity).
 */
function unsupportedField(config: ClusterConfig): string | undefined {
  if (config.proxyUrl) return 'proxyUrl is not supported by okra; reach the cluster without a proxy';
  if (config.awsAuthConfig?.profile) return 'awsAuthConfig.profile is not supported by okra, which signs EKS tokens with its own credentials (IRSA); use awsAuthConfig.roleARN';
  return undefined;
}

/** What building a connection may need. */
export interface RemoteAuthDeps {
  readonly eksTokens: EksTokenSource;
  /** Environment for exec credential plugins (defaults to this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Builds a Connection to the cluster a Secret describes. */
export function connectionFromClusterSecret(cluster: ClusterSecret, deps: RemoteAuthDeps): Connection {
  if (cluster.server === IN_CLUSTER_SERVER) return inClusterConnection(cluster);
  const tls = cluster.config.tlsClientConfig ?? {};
  return {
    server: cluster.server,
    name: cluster.name,
    tls: {
      ca: base64Buffer(tls.caData),
      cert: base64Buffer(tls.certData),
      key: base64Buffer(tls.keyData),
      insecure: tls.insecure === true,
      serverName: tls.serverName,
    },
    authHeaders: authHeaderSource(cluster.config, deps),
  };
}

function inClusterConnection(cluster: ClusterSecret): Connection {
  const kc = new KubeConfig();
  if (process.env.ARGOCD_FAKE_IN_CLUSTER === 'true') kc.loadFromDefault();
  else kc.loadFromCluster();
  const base = connectionFromKubeConfig(kc);
  const token = cluster.config.bearerToken;
  return token ? { ...base, authHeaders: () => Promise.resolve({ Authorization: `Bearer ${token}` }) } : base;
}

function base64Buffer(value: string | undefined): Buffer | undefined {
  return value ? Buffer.from(value, 'base64') : undefined;
}

function authHeaderSource(config: ClusterConfig, deps: RemoteAuthDeps): () => Promise<Record<string, string>> {
  const aws = config.awsAuthConfig;
  if (aws?.clusterName) {
    const { clusterName, roleARN } = aws;
    return async () => ({ Authorization: `Bearer ${await deps.eksTokens.token(clusterName, roleARN)}` });
  }
  const exec = config.execProviderConfig;
  if (exec?.command) return execCredentialSource(exec, deps.env ?? process.env);
  if (config.bearerToken) {
    const header = { Authorization: `Bearer ${config.bearerToken}` };
    return () => Promise.resolve(header);
  }
  if (config.username !== undefined) {
    const basic = Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64');
    return () => Promise.resolve({ Authorization: `Basic ${basic}` });
  }
  return () => Promise.resolve({});
}

type ExecConfig = NonNullable<ClusterConfig['execProviderConfig']>;

/** Runs a client-go exec credential plugin and caches its token until it expires. */
function execCredentialSource(exec: ExecConfig, baseEnv: NodeJS.ProcessEnv): () => Promise<Record<string, string>> {
  let cached: { token: string; expiresAt: number } | undefined;
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1';
  return async () => {
    if (cached && cached.expiresAt - Date.now() > 30_000) return { Authorization: `Bearer ${cached.token}` };
    const env = {
      ...baseEnv,
      ...exec.env,
      KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion, kind: 'ExecCredential', spec: { interactive: false } }),
    };
    const status = parseExecCredential(exec.command ?? '', await runPlugin(exec.command ?? '', exec.args ?? [], env));
    if (!status?.token) throw new Error(`exec plugin ${exec.command ?? ''} returned no token`);
    const expiresAt = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Date.now() + 5 * 60_000;
    cached = { token: status.token, expiresAt };
    return { Authorization: `Bearer ${status.token}` };
  };
}

/**
 * Runs an exec credential plugin. Its failure is told as client-go tells it (command and exit code): Node's
 * own message repeats the arguments, which may carry a secret (`--client-secret …`), and this message
 * reaches status and Events.
 */
async function runPlugin(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    return (await execFileAsync(command, [...args], { env, timeout: 30_000 })).stdout;
  } catch (err) {
    const { code, killed, signal } = err as { code?: number | string; killed?: boolean; signal?: string };
    if (killed === true) throw new Error(`exec plugin ${command} did not finish within 30 s`);
    if (typeof code === 'number') throw new Error(`exec plugin ${command} failed with exit code ${String(code)}`);
    throw new Error(`exec plugin ${command} could not run: ${typeof code === 'string' ? code : (signal ?? 'unknown error')}`);
  }
}

/** The status of an ExecCredential; the output is never quoted back, since it holds the token. */
function parseExecCredential(command: string, stdout: string): { token?: string; expirationTimestamp?: string } | undefined {
  try {
    return (JSON.parse(stdout) as { status?: { token?: string; expirationTimestamp?: string } }).status;
  } catch {
    throw new Error(`exec plugin ${command} did not print an ExecCredential (its output is not JSON)`);
  }
}

/** Longer than any request's deadline (30 s), so a replaced client's requests in flight finish first. */
const RETIRE_AFTER_MS = 35_000;

/**
 * Closes a client that was replaced (its Secret changed) once its requests in flight are done: closing at
 * once would cut off a listing another pass still makes with it, a spurious failure and backoff.
 */
function retire(client: KubeClient): void {
  setTimeout(() => { client.close(); }, RETIRE_AFTER_MS).unref();
}

/** A cache of workload-cluster clients keyed by Secret. */
export class RemoteClusters {
  private readonly clients = new Map<string, { resourceVersion: string; name: string; client: KubeClient; observing: { on: boolean } }>();

  constructor(
    private readonly deps: RemoteAuthDeps,
    private readonly observerFor: (cluster: string) => RequestObserver = () => () => undefined,
    /** Called with the cluster name when its client is dropped (metrics drop its series). */
    private readonly onForget: (cluster: string) => void = () => undefined,
  ) {}

  /** The client for a cluster Secret; rebuilt when the Secret's resourceVersion changed. */
  client(cluster: ClusterSecret): KubeClient {
    const cached = this.clients.get(cluster.key);
    if (cached?.resourceVersion === cluster.resourceVersion) return cached.client;
    if (cached) retire(cached.client);
    const observe = this.observerFor(cluster.name);
    // Requests still in flight when the client is forgotten must not bring its cluster's metrics back.
    const observing = { on: true };
    const client = new KubeClient(connectionFromClusterSecret(cluster, this.deps), (info) => { if (observing.on) observe(info); });
    this.clients.set(cluster.key, { resourceVersion: cluster.resourceVersion, name: cluster.name, client, observing });
    return client;
  }

  /** True while a client for this Secret (namespace/name) is cached. */
  has(key: string): boolean {
    return this.clients.has(key);
  }

  /**
   * Closes and drops the client of a deleted cluster Secret (namespace/name). Clusters are replaced as a
   * matter of course, so a long-running okrad must not keep a client for every cluster it ever saw.
   */
  forget(key: string): void {
    const entry = this.clients.get(key);
    if (!entry) return;
    entry.observing.on = false;
    entry.client.close();
    this.clients.delete(key);
    this.onForget(entry.name);
  }

  /** Closes every client (at shutdown: the metrics stay as they are). */
  close(): void {
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }
}
