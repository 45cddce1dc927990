// The whole local stack the suite and the demo run against: a management cluster (okra and Argo Rollouts
// CRDs), a separate workload cluster (TargetGroupBinding CRD) and moto. `startStack` / `stopStack` are
// the start/stop API; everything runs on free loopback ports under one temp directory.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, type LocalClusterOptions } from './cluster.js';
import { type CaFiles, createCa } from '../support/certs.js';
import { EksAuthenticator } from './eks-authenticator.js';
import { MotoServer } from './moto.js';
import { repoRoot, requireComponents, stackPaths, type StackPaths } from './paths.js';

/** What tests need to reach the stack; serialisable so vitest can hand it to workers. */
export interface StackInfo {
  readonly dir: string;
  readonly management: ClusterInfo;
  readonly workload: ClusterInfo;
  readonly workloadAuth: WorkloadAuthInfo;
  readonly moto: { readonly endpoint: string };
  readonly region: string;
}

/** How to reach one cluster. */
export interface ClusterInfo {
  readonly name: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly caPem: string;
}

/** Extra ways into the workload cluster, for the cluster-access tests. */
export interface WorkloadAuthInfo {
  /** The EKS cluster ID the webhook authenticator accepts tokens for. */
  readonly eksClusterId: string;
  /** A static bearer token of the user READER_USER (no permissions until a test grants them). */
  readonly readerToken: string;
  /** The CA the apiserver trusts for client certificates. */
  readonly clientCa: CaFiles;
}

/** User name of the workload cluster's static reader token. */
export const READER_USER = 'okra-reader';

/** A started stack with handles to stop it. */
export interface RunningStack {
  readonly info: StackInfo;
  readonly paths: StackPaths;
  readonly management: LocalCluster;
  /** Absent when started with `workload: false`. */
  readonly workload: LocalCluster | undefined;
  readonly moto: MotoServer;
  readonly authenticator: EksAuthenticator;
}

/** Options for a stack start. */
export interface StackOptions {
  /** Parent directory; a fresh temp dir is used when absent. */
  readonly dir?: string;
  /** Start the workload cluster (default true); the benchmark does without it. */
  readonly workload?: boolean;
}

const EKS_CLUSTER_ID = 'workload';
const READER_TOKEN = 'okra-reader-token';

/** The region every test and the demo use unless a test picks its own for isolation. */
export const DEFAULT_REGION = 'us-east-1';

/** Starts both clusters and moto in parallel and installs the CRDs. */
export async function startStack(opts: StackOptions = {}): Promise<RunningStack> {
  const paths = stackPaths();
  requireComponents(paths, ['kubeApiserver', 'kubectl', 'etcd', 'motoServer', 'argoRolloutsCrdDir', 'targetGroupBindingCrd']);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'okra-stack-'));
  const workloadDir = join(dir, 'workload');
  mkdirSync(workloadDir, { recursive: true });
  const authenticator = await EksAuthenticator.start({ clusterId: EKS_CLUSTER_ID, staticSecrets: { testing: 'testing' } });
  const clientCa = createCa(workloadDir, 'client-ca');
  const workloadOpts: LocalClusterOptions = {
    name: 'workload',
    dir: workloadDir,
    extraTokens: { [READER_TOKEN]: READER_USER },
    extraApiserverArgs: [
      `--authentication-token-webhook-config-file=${authenticator.writeWebhookConfig(workloadDir)}`,
      '--authentication-token-webhook-version=v1',
      // Short, so a test that revokes access or expires a token sees the effect at once.
      '--authentication-token-webhook-cache-ttl=1s',
      `--client-ca-file=${clientCa.cert}`,
    ],
  };
  const started = await Promise.allSettled([
    LocalCluster.start(paths, { name: 'management', dir: join(dir, 'management') }),
    opts.workload === false ? Promise.resolve(undefined) : LocalCluster.start(paths, workloadOpts),
    MotoServer.start(paths, dir),
  ]);
  const [management, workload, moto] = [value(started[0]), value(started[1]), value(started[2])];
  try {
    if (!management || !moto || (!workload && opts.workload !== false)) throw firstRejection(started);
    authenticator.setStsEndpoint(moto.endpoint);
    await Promise.all([installManagementCrds(management, paths), workload ? installWorkloadCrds(workload, paths) : undefined]);
  } catch (err) {
    // A half-started stack must not leave processes behind.
    await Promise.allSettled([management?.stop(), workload?.stop(), moto?.stop(), authenticator.stop()]);
    throw err;
  }
  const info: StackInfo = {
    dir,
    management: clusterInfo(management),
    workload: workload ? clusterInfo(workload) : clusterInfo(management),
    workloadAuth: { eksClusterId: EKS_CLUSTER_ID, readerToken: READER_TOKEN, clientCa },
    moto: { endpoint: moto.endpoint },
    region: DEFAULT_REGION,
  };
  return { info, paths, management, workload, moto, authenticator };
}

/** Stops every process of the stack; removes its directory unless `keep`. */
export async function stopStack(stack: RunningStack, keep = false): Promise<void> {
  await Promise.all([stack.management.stop(), stack.workload?.stop(), stack.moto.stop(), stack.authenticator.stop()]);
  if (!keep) rmSync(stack.info.dir, { recursive: true, force: true });
}

function value<T>(result: PromiseSettledResult<T>): T | undefined {
  return result.status === 'fulfilled' ? result.value : undefined;
}

function firstRejection(results: readonly PromiseSettledResult<unknown>[]): unknown {
  return results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
}

function clusterInfo(c: LocalCluster): ClusterInfo {
  return { name: c.options.name, kubeconfig: c.kubeconfigPath, server: c.server, caPem: c.caPem };
}

async function installManagementCrds(cluster: LocalCluster, paths: StackPaths): Promise<void> {
  // Argo Rollouts' CRDs are near the 256 KiB last-applied annotation limit: server-side apply avoids it.
  const argoCrds = readdirSync(paths.argoRolloutsCrdDir)
    .filter((f) => f.endsWith('-crd.yaml'))
    .flatMap((f) => ['-f', join(paths.argoRolloutsCrdDir, f)]);
  await cluster.kubectl(['apply', '--server-side', '-f', join(repoRoot, 'crds'), ...argoCrds]);
  await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}

async function installWorkloadCrds(cluster: LocalCluster, paths: StackPaths): Promise<void> {
  await cluster.kubectl(['apply', '--server-side', '-f', paths.targetGroupBindingCrd]);
  await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}
