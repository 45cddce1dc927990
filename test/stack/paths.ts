// Where the built upstream components live: the version-keyed cache that scripts/build-stack.sh fills,
// and the Go module cache the foreign CRDs are read from.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Repository root. */
export const repoRoot = join(import.meta.dirname, '..', '..');

/** Pinned component versions (stack.versions.json, shared with the build script). */
export interface StackVersions {
  kubernetes: string;
  etcd: string;
  argoRollouts: string;
  helm: string;
  moto: string;
  awsLoadBalancerController: string;
}

/** Reads stack.versions.json. */
export function stackVersions(): StackVersions {
  return JSON.parse(readFileSync(join(repoRoot, 'stack.versions.json'), 'utf8')) as StackVersions;
}

/** Absolute paths of every component. */
export interface StackPaths {
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
  rolloutsController: string;
  helm: string;
  motoServer: string;
  argoRolloutsCrdDir: string;
  targetGroupBindingCrd: string;
}

function cacheRoot(): string {
  return process.env.OKRA_STACK_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'okra-stack');
}

function goModCache(): string {
  return process.env.GOMODCACHE ?? execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
}

/** Resolves every component path (without checking that they exist; see `requireComponents`). */
export function stackPaths(): StackPaths {
  const v = stackVersions();
  const cache = cacheRoot();
  const mod = goModCache();
  return {
    kubeApiserver: join(cache, `kubernetes-${v.kubernetes}`, 'bin', 'kube-apiserver'),
    kubectl: join(cache, `kubernetes-${v.kubernetes}`, 'bin', 'kubectl'),
    etcd: join(cache, `etcd-${v.etcd}`, 'bin', 'etcd'),
    rolloutsController: join(cache, `argo-rollouts-${v.argoRollouts}`, 'bin', 'rollouts-controller'),
    helm: join(cache, `helm-${v.helm}`, 'bin', 'helm'),
    motoServer: join(cache, `moto-${v.moto}`, 'venv', 'bin', 'moto_server'),
    argoRolloutsCrdDir: join(mod, `github.com/argoproj/argo-rollouts@${v.argoRollouts}`, 'manifests', 'crds'),
    targetGroupBindingCrd: join(
      mod,
      `sigs.k8s.io/aws-load-balancer-controller@${v.awsLoadBalancerController}`,
      'config/crd/bases/elbv2.k8s.aws_targetgroupbindings.yaml',
    ),
  };
}

/** Fails with the command that builds them when any of the named components is missing. */
export function requireComponents(paths: StackPaths, names: readonly (keyof StackPaths)[]): void {
  const missing = names.filter((name) => !existsSync(paths[name]));
  if (missing.length > 0) {
    throw new Error(`local stack incomplete (${missing.join(', ')}): run \`npm run stack:build\` (one-time, cached)`);
  }
}
