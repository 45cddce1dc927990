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
import { ManagedProcess, freePort, waitFor } from './process.js';
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
    readonly apiserverPort: number,
  ) {}

  /** Starts etcd and kube-apiserver, waits for /readyz and writes the kubeconfig. */
  static async start(paths: StackPaths, options: LocalClusterOptions): Promise<LocalCluster> {
    mkdirSync(options.dir, { recursive: true });
    const [etcdPort, peerPort, apiserverPort] = [await freePort(), await freePort(), await freePort()];
    const etcd = ManagedProcess.start(`${options.name}-etcd`, paths.etcd, etcdArgs(options.dir, etcdPort, peerPort), {
      logFile: join(options.dir, 'etcd.log'),
    });
    await waitFor(`${options.name} etcd`, async () => (await fetchStatus(`http://127.0.0.1:${etcdPort}/health`)) === 200);
    const cluster = new LocalCluster(paths, options, etcd, etcdPort, apiserverPort);
    writeAuthFiles(options.dir, options.extraTokens ?? {});
    await cluster.startApiserver();
    cluster.writeKubeconfig();
    return cluster;
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

  /** Starts (or restarts) kube-apiserver on the same port and etcd. */
  async startApiserver(): Promise<void> {
    const args = [...apiserverArgs(this.options.dir, this.etcdPort, this.apiserverPort), ...(this.options.extraApiserverArgs ?? [])];
    this.apiserver = ManagedProcess.start(`${this.options.name}-apiserver`, this.paths.kubeApiserver, args, {
      logFile: join(this.options.dir, 'apiserver.log'),
    });
    const apiserver = this.apiserver;
    await waitFor(
      `${this.options.name} kube-apiserver /readyz (log: ${apiserver.logFile})`,
      async () => {
        if (apiserver.hasExited) throw new Error(`kube-apiserver exited; see ${apiserver.logFile}`);
        return (await fetchStatus(`${this.server}/readyz`, ADMIN_TOKEN)) === 200;
      },
      90_000,
    );
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
