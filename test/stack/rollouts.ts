// The real Argo Rollouts controller (built from Go modules into the stack cache), run with only its
// analysis controller and scoped to one namespace, so it evaluates that namespace's AnalysisRuns and no
// other test's. Its own Lease is off (one instance per namespace), and it reads the `datadog` Secret
// from that namespace (POD_NAMESPACE), as it would from its install namespace in a cluster.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { fetchStatus } from './cluster.js';
import { stackPaths, requireComponents } from './paths.js';
import { ManagedProcess, startOnFreePorts } from './process.js';

interface Kubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context: { namespace?: string } }[];
}

/** Writes a copy of `kubeconfig` whose current context defaults to `namespace` (what --namespaced watches). */
function namespacedKubeconfig(kubeconfig: string, namespace: string, dir: string): string {
  const config = parse(readFileSync(kubeconfig, 'utf8')) as Kubeconfig;
  for (const ctx of config.contexts ?? []) {
    if (ctx.name === config['current-context']) ctx.context.namespace = namespace;
  }
  const path = join(dir, `rollouts-${namespace}.kubeconfig`);
  writeFileSync(path, stringify(config));
  return path;
}

/** Starts rollouts-controller for one namespace and waits until it is healthy. */
export async function startRolloutsController(opts: { kubeconfig: string; namespace: string; dir: string }): Promise<ManagedProcess> {
  const paths = stackPaths();
  requireComponents(paths, ['rolloutsController']);
  const kubeconfig = namespacedKubeconfig(opts.kubeconfig, opts.namespace, opts.dir);
  const { proc: controller } = await startOnFreePorts(2, ([metricsPort = 0, healthzPort = 0]) => {
    const args = [
      `--kubeconfig=${kubeconfig}`,
      '--controllers=analysis',
      '--leader-elect=false',
      '--namespaced',
      `--metricsPort=${metricsPort}`,
      `--healthzPort=${healthzPort}`,
      '--loglevel=info',
    ];
    const proc = ManagedProcess.start(`rollouts-controller-${opts.namespace}`, paths.rolloutsController, args, {
      env: { ...process.env, POD_NAMESPACE: opts.namespace, AWS_EC2_METADATA_DISABLED: 'true' },
      logFile: join(opts.dir, `rollouts-controller-${opts.namespace}.log`),
    });
    return { proc, describe: `rollouts-controller /healthz (log: ${proc.logFile})`, ready: async () => (await fetchStatus(`http://127.0.0.1:${healthzPort}/healthz`)) === 200 };
  });
  return controller;
}
