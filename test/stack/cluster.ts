// One local Kubernetes control plane: etcd and kube-apiserver on free loopback ports, an admin token,
// and a kubeconfig that verifies the apiserver's self-generated serving certificate.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { ManagedProcess, startOnFreePorts, waitFor } from './process.js';
import type { StackPaths } from './paths.js';

const execFileAsync = promisify(execFile);

/** The token of the cluster-admin user (system:masters) in every local cluster. */
export const ADMIN_TOKEN = 'okra-admin-token';

/** Options for one local cluster. */
export interface LocalClusterOptions {
  readonly name: string;
  /** A directory the cluster may own (etcd data, certificates, logs, kubeconfig). */
  readonly dir: string;
  /** Extra kube-apiserver flags, for example a webhook token authenticator or a client CA. */
  readonly extraApiserverArgs?: readonly string[];
  /** Extra static tokens: token → user name (no groups). */
  readonly extraTokens?: Readonly<Record<string, string>>;
}

/** A running local control plane. */
export class LocalCluster {
  private apiserver: ManagedProcess | undefined;

  private constructor(
    private readonly paths: StackPaths,
    readonly options: LocalClusterOptions,
    private readonly etcd: ManagedProcess,
    readonly etcdPort: number,
    private port: number,
  ) {}

  /** Starts etcd and kube-apiserver, waits for /readyz and writes the kubeconfig. */
  static async start(paths: StackPaths, options: LocalClusterOptions): Promise<LocalCluster> {
    mkdirSync(options.dir, { recursive: true });
    const { proc: etcd, ports: [etcdPort = 0] } = await startOnFreePorts(2, ([port = 0, peerPort = 0]) => ({
      proc: ManagedProcess.start(`${options.name}-etcd`, paths.etcd, etcdArgs(options.dir, port, peerPort), { logFile: join(options.dir, 'etcd.log') }),
      describe: `${options.name} etcd`,
      ready: async () => (await fetchStatus(`http://127.0.0.1:${port}/health`)) === 200,
    }));
    const cluster = new LocalCluster(paths, options, etcd, etcdPort, 0);
    writeAuthFiles(options.dir, options.extraTokens ?? {});
    const { proc } = await startOnFreePorts(1, ([port = 0]) => {
      cluster.port = port;
      return cluster.launchApiserver();
    });
    cluster.apiserver = proc;
    cluster.writeKubeconfig();
    return cluster;
  }

  /** The port kube-apiserver listens on (kept across restarts). */
  get apiserverPort(): number {
    return this.port;
  }

  /** https://127.0.0.1:<port> */
  get server(): string {
    return `https://127.0.0.1:${this.apiserverPort}`;
  }

  /** Path of the admin kubeconfig. */
  get kubeconfigPath(): string {
    return join(this.options.dir, 'kubeconfig');
  }

  /** PEM of the CA that signed the apiserver's serving certificate. */
  get caPem(): string {
    return readFileSync(join(this.options.dir, 'pki', 'apiserver.crt'), 'utf8');
  }

  /** Restarts kube-apiserver on the same port and etcd (after stopApiserver()). */
  async startApiserver(): Promise<void> {
    const { proc, describe, ready, timeoutMs } = this.launchApiserver();
    this.apiserver = proc;
    await waitFor(describe, ready, timeoutMs, proc);
  }

  /** Starts kube-apiserver on this.port; what to wait for is the caller's. */
  private launchApiserver(): { proc: ManagedProcess; describe: string; ready: () => Promise<boolean>; timeoutMs: number } {
    const args = [...apiserverArgs(this.options.dir, this.etcdPort, this.port), ...(this.options.extraApiserverArgs ?? [])];
    const proc = ManagedProcess.start(`${this.options.name}-apiserver`, this.paths.kubeApiserver, args, {
      logFile: join(this.options.dir, 'apiserver.log'),
    });
    return {
      proc,
      describe: `${this.options.name} kube-apiserver /readyz (log: ${proc.logFile})`,
      ready: async () => (await fetchStatus(`${this.server}/readyz`, ADMIN_TOKEN)) === 200,
      timeoutMs: 90_000,
    };
  }

  /** Stops kube-apiserver only (etcd keeps the data), to test reconnects. */
  async stopApiserver(): Promise<void> {
    await this.apiserver?.stop();
  }

  /** Stops kube-apiserver, then etcd. */
  async stop(): Promise<void> {
    await this.stopApiserver();
    await this.etcd.stop();
  }

  /** Runs the matching kubectl against this cluster and returns stdout. */
  async kubectl(args: readonly string[], input?: string): Promise<string> {
    const child = execFileAsync(this.paths.kubectl, ['--kubeconfig', this.kubeconfigPath, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    const { stdout } = await child;
    return stdout;
  }

  private writeKubeconfig(): void {
    const name = this.options.name;
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name, cluster: { server: this.server, 'certificate-authority-data': Buffer.from(this.caPem).toString('base64') } },
      ],
      users: [{ name: 'admin', user: { token: ADMIN_TOKEN } }],
      contexts: [{ name, context: { cluster: name, user: 'admin', namespace: 'default' } }],
      'current-context': name,
    };
    writeFileSync(this.kubeconfigPath, stringify(config));
  }
}

function etcdArgs(dir: string, port: number, peerPort: number): string[] {
  return [
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${port}`,
    `--advertise-client-urls=http://127.0.0.1:${port}`,
    `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

function apiserverArgs(dir: string, etcdPort: number, port: number): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--cert-dir=${join(dir, 'pki')}`,
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    '--service-cluster-ip-range=10.0.0.0/24',
    `--service-account-issuer=https://127.0.0.1:${port}/`,
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--authorization-mode=RBAC',
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--endpoint-reconciler-type=none',
    '--profiling=false',
    '--v=1',
  ];
}

function writeAuthFiles(dir: string, extraTokens: Readonly<Record<string, string>>): void {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  const extra = Object.entries(extraTokens).map(([token, user]) => `${token},${user},${user}-uid\n`);
  writeFileSync(join(dir, 'tokens.csv'), [`${ADMIN_TOKEN},admin,admin-uid,"system:masters"\n`, ...extra].join(''));
}

/** GET a URL (TLS unverified, loopback only) and return the HTTP status, or 0 when it is unreachable. */
export function fetchStatus(url: string, token?: string): Promise<number> {
  return new Promise((resolve) => {
    const options = { headers: token ? { Authorization: `Bearer ${token}` } : {}, timeout: 2_000 };
    const onResponse = (res: http.IncomingMessage): void => {
      res.resume();
      resolve(res.statusCode ?? 0);
    };
    const req = url.startsWith('https:')
      ? https.get(url, { ...options, rejectUnauthorized: false }, onResponse)
      : http.get(url, options, onResponse);
    req.on('error', () => { resolve(0); });
    req.on('timeout', () => { req.destroy(); resolve(0); });
  });
}
