// Runs an okra binary from source (through tsx) as its own process, the way a user or CI would.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../stack/paths.js';
import { stack } from './env.js';

const execFileAsync = promisify(execFile);

/** What a CLI run printed and how it exited. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment pointing a CLI at the management cluster and moto, with nothing else reachable. */
export function cliEnv(region: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KUBECONFIG: stack().management.kubeconfig,
    AWS_REGION: region,
    AWS_ENDPOINT_URL: stack().moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/** Runs `bin args…` and resolves with its exit code and output (never rejects on a non-zero exit). */
export async function runCli(bin: 'okra' | 'okractl' | 'okrad', args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', `${bin}.ts`), ...args], {
      env,
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
