// moto in server mode on a free loopback port: the AWS APIs (ELBv2, EKS, STS, CloudWatch, EC2) tests
// and the demo talk to.
import { join } from 'node:path';
import { ManagedProcess, startOnFreePorts } from './process.js';
import { fetchStatus } from './cluster.js';
import type { StackPaths } from './paths.js';

/** A running moto server. */
export class MotoServer {
  private constructor(
    private readonly process: ManagedProcess,
    readonly port: number,
  ) {}

  /** Starts moto_server and waits until it answers. */
  static async start(paths: StackPaths, dir: string, env: NodeJS.ProcessEnv = {}): Promise<MotoServer> {
    const { proc, ports: [port = 0] } = await startOnFreePorts(1, ([p = 0]) => ({
      proc: ManagedProcess.start('moto', paths.motoServer, ['-H', '127.0.0.1', '-p', String(p)], { logFile: join(dir, 'moto.log'), env: { ...process.env, ...env } }),
      describe: `moto on port ${p}`,
      ready: async () => (await fetchStatus(`http://127.0.0.1:${p}/moto-api/`)) === 200,
    }));
    return new MotoServer(proc, port);
  }

  /** http://127.0.0.1:<port>, the endpoint every AWS client in tests uses. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops the server. */
  async stop(): Promise<void> {
    await this.process.stop();
  }
}
