// Runs the stack's own kubectl (the version built with the apiserver) against one of the clusters.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { stackPaths } from '../stack/paths.js';
import { stack } from './env.js';

const execFileAsync = promisify(execFile);

/** Runs kubectl against the management or workload cluster and returns stdout; stdin from `input`. */
export async function kubectl(cluster: 'management' | 'workload', args: readonly string[], input?: string): Promise<string> {
  const run = execFileAsync(stackPaths().kubectl, ['--kubeconfig', stack()[cluster].kubeconfig, ...args], {
    maxBuffer: 32 * 1024 * 1024,
  });
  if (input !== undefined) run.child.stdin?.end(input);
  return (await run).stdout;
}
