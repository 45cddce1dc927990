// The controller manager's composition root: the only place (with the CLIs) that builds SDK clients.
// It wires the API client, AWS adapters, metrics and every controller into one Manager, with optional
// leader election, and serves /metrics, /healthz and /readyz.
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { CloudWatchProvider } from '../analysis/providers/cloudwatch.js';
import { engineDeps } from '../analysis/providers/index.js';
import type { AwsSettings } from '../aws/config.js';
import { SdkEks } from '../aws/eks.js';
import { EksTokenGenerator } from '../aws/eks-token.js';
import { SdkListenerRules } from '../aws/elbv2.js';
import { CachingListenerRules } from '../aws/rule-cache.js';
import { registerAlbConfigController } from '../controllers/albconfig/index.js';
import { DEFAULT_INSTANCE_ID, INSTANCE_ID_LABEL, registerAnalysisRunController } from '../controllers/analysisrun/index.js';
import { registerTargetGroupSetController } from '../controllers/awstargetgroupset/index.js';
import { registerCellController } from '../controllers/cell/index.js';
import { registerClusterSetController } from '../controllers/clusterset/index.js';
import { registerPauseController } from '../controllers/pause/index.js';
import { KubeClient } from '../kube/client.js';
import { connectionFromKubeConfig, loadKubeConfig } from '../kube/connection.js';
import { RemoteClusters } from '../kube/remote.js';
import { readSecretData } from '../kube/secrets.js';
import { KeyedBackoff } from '../runtime/backoff.js';
import { systemClock } from '../runtime/clock.js';
import { BackgroundEventRecorder, KubeEventRecorder } from '../runtime/events.js';
import type { Logger } from '../runtime/log.js';
import { Manager } from '../runtime/manager.js';
import { Metrics } from '../runtime/metrics.js';
import { argoRolloutsInstalled } from './argo-probe.js';

/** Everything okrad can be told. */
export interface OkradOptions {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  /** Watch one namespace only; all namespaces when absent. */
  readonly namespace?: string | undefined;
  readonly resyncMs: number;
  readonly leaderElection?: { namespace: string; name: string; identity?: string | undefined } | undefined;
  readonly aws: AwsSettings;
  /** host:port for /metrics, /healthz and /readyz; port 0 picks a free one. */
  readonly metricsAddress: string;
  readonly workers: number;
  /** Who evaluates AnalysisRuns: okrad itself (default) or an installed Argo Rollouts controller. */
  readonly analysisEngine?: 'builtin' | 'argo-rollouts' | undefined;
  /** The controller-instance-id label value on runs the builtin engine evaluates (default okra). */
  readonly analysisInstanceId?: string | undefined;
  /** okrad's own namespace: where the default `datadog` Secret lives. */
  readonly controllerNamespace?: string | undefined;
  /** Called when leadership is lost; okrad exits so it restarts clean. */
  readonly onLostLeadership?: () => void;
}

/** A running okrad. */
export interface Okrad {
  readonly metrics: Metrics;
  /** The port the HTTP server listens on. */
  readonly port: number;
  readonly ready: () => boolean;
  stop(): Promise<void>;
}

/** Registers every controller with its adapters; returns what must be closed at shutdown. */
function registerControllers(w: {
  manager: Manager;
  client: KubeClient;
  metrics: Metrics;
  log: Logger;
  opts: OkradOptions;
  argoRollouts: boolean;
  builtinAnalysis: boolean;
}): { remote: RemoteClusters; cloudWatch: CloudWatchProvider; events: BackgroundEventRecorder } {
  const { manager, metrics, opts, log } = w;
  const awsObserver = metrics.awsObserver();
  const events = new BackgroundEventRecorder(new KubeEventRecorder(w.client, 'okrad', log), log);
  // Resync passes always describe the rule; passes in between use the last describe. It may be up to two
  // periods old: a resync pass is low priority and can run a little after its period, and a change that
  // lands in that gap would otherwise describe the rule again just before the resync does.
  const rules = new CachingListenerRules(new SdkListenerRules(opts.aws, awsObserver), { maxAgeMs: 2 * opts.resyncMs });
  const eksTokens = new EksTokenGenerator(opts.aws, { observer: awsObserver });
  const remote = new RemoteClusters({ eksTokens }, (cluster) => metrics.kubeObserver(cluster), (cluster) => { metrics.forgetCluster(cluster); });
  const cloudWatch = new CloudWatchProvider(opts.aws, awsObserver);
  const ns = opts.namespace;
  const instanceId = opts.analysisInstanceId ?? DEFAULT_INSTANCE_ID;
  // One EKS client per region for the life of okrad: a client per pass would resolve credentials and open
  // connections again every sync, and nothing would destroy the old ones.
  const eksClients = new Map<string, SdkEks>();
  const eks = (region: string): SdkEks => {
    const client = eksClients.get(region) ?? new SdkEks({ ...opts.aws, region }, awsObserver);
    eksClients.set(region, client);
    return client;
  };
  registerClusterSetController(manager, { eks, defaultRegion: opts.aws.region, events, clock: systemClock }, ns);
  registerTargetGroupSetController(manager, { remote, backoff: new KeyedBackoff(), events, clock: systemClock }, ns);
  registerCellController(manager, {
    rules,
    events,
    clock: systemClock,
    log,
    resyncMs: opts.resyncMs,
    workers: opts.workers,
    argoRollouts: w.argoRollouts,
    namespace: ns,
    onStatus: (cell, status) => { metrics.observeCell(cell.metadata.namespace ?? '', cell.metadata.name ?? '', status); },
    onGone: (namespace, name) => { metrics.forgetCell(namespace, name); },
    analysisRunLabels: w.builtinAnalysis ? { [INSTANCE_ID_LABEL]: instanceId } : undefined,
    onAnalysisRunCompleted: (run) => { metrics.analysisRuns.inc({ namespace: run.metadata.namespace ?? '', phase: run.status?.phase ?? '' }); },
  });
  if (w.builtinAnalysis) {
    const readSecret = (namespace: string, name: string): Promise<Record<string, string> | undefined> => readSecretData(w.client, namespace, name);
    const engine = engineDeps({ readSecret, controllerNamespace: opts.controllerNamespace ?? 'default', cloudWatch });
    registerAnalysisRunController(manager, { engine, events, instanceId, namespace: ns, workers: opts.workers });
  }
  registerPauseController(manager, { clock: systemClock, namespace: ns });
  registerAlbConfigController(manager, { rules, events, clock: systemClock }, { resyncMs: opts.resyncMs, namespace: ns });
  return { remote, cloudWatch, events };
}

/** How long shutdown waits for queued Events to be sent. */
const EVENT_FLUSH_TIMEOUT_MS = 2_000;

/** Starts every controller and the HTTP endpoints. */
export async function startOkrad(opts: OkradOptions, log: Logger): Promise<Okrad> {
  const metrics = new Metrics();
  const client = new KubeClient(connectionFromKubeConfig(loadKubeConfig(opts.kubeconfig, opts.context)), metrics.kubeObserver('management'));
  const identity = opts.leaderElection?.identity ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const manager = new Manager({
    client,
    log,
    metrics,
    leaderElection: opts.leaderElection ? { ...opts.leaderElection, identity } : undefined,
    onLostLeadership: opts.onLostLeadership,
  });
  const argoRollouts = await argoRolloutsInstalled(client, log).catch((err: unknown) => {
    client.close();
    throw err;
  });
  if (!argoRollouts) log.warn('the argoproj.io API is not served: analysis and experiment steps will report InvalidSpec until the Argo Rollouts CRDs are installed');
  const builtinAnalysis = argoRollouts && (opts.analysisEngine ?? 'builtin') === 'builtin';
  const { remote, cloudWatch, events } = registerControllers({ manager, client, metrics, log, opts, argoRollouts, builtinAnalysis });
  const server = await serve(opts.metricsAddress, metrics, () => manager.ready);
  await manager.start();
  const analysisEngine = builtinAnalysis ? 'builtin' : 'argo-rollouts';
  log.info({ identity, namespace: opts.namespace ?? '(all)', argoRollouts, analysisEngine, port: server.port }, 'okrad started');
  return {
    metrics,
    port: server.port,
    ready: () => manager.ready,
    stop: async () => {
      await manager.stop();
      // Events of the last passes are still queued; give them a moment, never hold shutdown for long.
      await events.flush(EVENT_FLUSH_TIMEOUT_MS);
      remote.close();
      cloudWatch.close();
      client.close();
      await new Promise<void>((resolve) => server.server.close(() => { resolve(); }));
      log.info('okrad stopped');
    },
  };
}

async function serve(address: string, metrics: Metrics, ready: () => boolean): Promise<{ server: Server; port: number }> {
  const colon = address.lastIndexOf(':');
  const host = colon >= 0 ? address.slice(0, colon) || '0.0.0.0' : '0.0.0.0';
  const portText = colon >= 0 ? address.slice(colon + 1) : address;
  const server = createServer((req, res) => {
    void route(req.url ?? '/', metrics, ready).then(({ status, type, body }) => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(portText), host, resolve);
  });
  const bound = server.address();
  return { server, port: typeof bound === 'object' && bound ? bound.port : Number(portText) };
}

async function route(url: string, metrics: Metrics, ready: () => boolean): Promise<{ status: number; type: string; body: string }> {
  if (url.startsWith('/metrics')) return { status: 200, type: metrics.registry.contentType, body: await metrics.registry.metrics() };
  if (url.startsWith('/healthz')) return { status: 200, type: 'text/plain', body: 'ok' };
  if (url.startsWith('/readyz')) return ready() ? { status: 200, type: 'text/plain', body: 'ok' } : { status: 503, type: 'text/plain', body: 'informers not synced' };
  return { status: 404, type: 'text/plain', body: 'not found' };
}
