// okra commands for the discovery pipelines: create a cluster Secret from EKS, run one ClusterSet or
// AWSTargetGroupSet pass, and list TargetGroupBindings or AWSTargetGroups.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { TargetGroupBindingType, type TargetGroupBinding } from '../../api/elbv2/targetgroupbinding.js';
import { BINDING_CLUSTER_LABEL, FIELD_MANAGER, VERSION_LABEL } from '../../api/labels.js';
import { CoreTypes } from '../../api/resource.js';
import { AWSTargetGroupType, type AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import { SdkEks, type EksCluster } from '../../aws/eks.js';
import { EksTokenGenerator, type EksTokenSource } from '../../aws/eks-token.js';
import { failedWriteLines, syncTargetGroupSet, type TargetGroupSetPass } from '../../controllers/awstargetgroupset/reconciler.js';
import { buildClusterSecret, matchesTags, notReadyReason } from '../../controllers/clusterset/plan.js';
import { syncClusterSet } from '../../controllers/clusterset/reconciler.js';
import type { PassResult } from '../../controllers/clusterset/status.js';
import type { KubeClient } from '../../kube/client.js';
import { isAlreadyExists } from '../../kube/errors.js';
import { jsonEqual } from '../../runtime/status.js';
import { parseClusterSecret, RemoteClusters, type SecretObject } from '../../kube/remote.js';
import { KeyedBackoff } from '../../runtime/backoff.js';
import { systemClock } from '../../runtime/clock.js';
import { KubeEventRecorder, MemoryEventRecorder } from '../../runtime/events.js';
import { silentLogger } from '../../runtime/log.js';
import { age, awsSettingsOf, CliError, ExitCode, globals, invalidSpecExit, keyValues, kubeClient, namespaceOf, printObjects, type GlobalOptions } from '../common.js';

interface CreateClusterOptions {
  awseksClusterName?: string;
  awseksClusterTags?: Record<string, string>;
  name?: string;
  labels?: Record<string, string>;
  roleArn?: string;
  versionFromTag?: string;
  versionLabel?: string;
  dryRun?: boolean;
}

/** Registers `create cluster`. */
export function registerCreateCluster(create: Command): void {
  create
    .command('cluster')
    .description('write an Argo CD cluster Secret for an EKS cluster (by name) or for every ACTIVE cluster with the given tags')
    .option('--awseks-cluster-name <name>', 'EKS cluster name')
    .option('--awseks-cluster-tags <k=v,...>', 'select EKS clusters carrying all these tags', keyValues)
    .option('--name <secret>', 'Secret name (single cluster only; default: derived from the cluster name)')
    .option('--labels <k=v,...>', 'extra labels for the Secret', keyValues)
    .option('--role-arn <arn>', 'IAM role written to awsAuthConfig.roleARN')
    .option('--version-from-tag <tag>', 'EKS tag whose value becomes the version label')
    .option('--version-label <key>', 'label key for the version', VERSION_LABEL)
    .option('--dry-run', 'print the Secret YAML instead of writing it')
    .action(async (opts: CreateClusterOptions, cmd: Command) => {
      await createCluster(globals(cmd), opts);
    });
}

async function findClusters(g: GlobalOptions, opts: CreateClusterOptions): Promise<EksCluster[]> {
  const eks = new SdkEks(awsSettingsOf(g));
  if (opts.awseksClusterName) {
    const cluster = await eks.describeCluster(opts.awseksClusterName);
    if (!cluster) throw new CliError(`EKS cluster ${opts.awseksClusterName} not found in ${awsSettingsOf(g).region}`, ExitCode.notFound);
    const notReady = notReadyReason(cluster);
    if (notReady) throw new CliError(`EKS cluster ${cluster.name}: ${notReady}`);
    return [cluster];
  }
  const described = await Promise.all((await eks.listClusterNames()).map((n) => eks.describeCluster(n)));
  const matching = described.filter((c): c is EksCluster => c !== undefined && matchesTags(c, opts.awseksClusterTags));
  for (const c of matching.filter((c) => notReadyReason(c))) process.stderr.write(`skipped ${c.name}: ${notReadyReason(c) ?? ''}\n`);
  return matching.filter((c) => !notReadyReason(c));
}

async function createCluster(g: GlobalOptions, opts: CreateClusterOptions): Promise<void> {
  if (!opts.awseksClusterName === !opts.awseksClusterTags) throw new CliError('pass exactly one of --awseks-cluster-name or --awseks-cluster-tags');
  const clusters = await findClusters(g, opts);
  if (clusters.length === 0) throw new CliError('no ACTIVE EKS cluster matches', ExitCode.notFound);
  if (opts.name && clusters.length > 1) throw new CliError('--name needs a single cluster');
  const namespace = namespaceOf(g);
  const generator = { ...(opts.roleArn ? { roleARN: opts.roleArn } : {}), ...(opts.versionFromTag ? { versionFromTag: opts.versionFromTag } : {}) };
  const secrets = clusters.map(
    (c) => buildClusterSecret({ namespace, labels: opts.labels, versionLabel: opts.versionLabel, name: opts.name }, c, generator).secret,
  );
  if (opts.dryRun) {
    process.stdout.write(secrets.map((s) => stringify(s)).join('---\n'));
    return;
  }
  const client = kubeClient(g);
  for (const secret of secrets) process.stdout.write(`${await createSecret(client, secret)}\n`);
}

/**
 * Creates the Secret unless one of that name exists, and says which. An existing Secret is never
 * overwritten: it may be a ClusterSet's (whose labels and owner a write would strip) or one `argocd
 * cluster add` made. As in the original okra, an existing Secret counts as no change, so a CI job can
 * run the command again (exit 0).
 */
async function createSecret(client: KubeClient, secret: SecretObject): Promise<string> {
  const { name = '', namespace = '' } = secret.metadata;
  try {
    await client.create(CoreTypes.secret, secret, { fieldManager: FIELD_MANAGER });
    return `cluster secret "${name}" created in ${namespace}`;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const existing = await client.get<SecretObject>(CoreTypes.secret, name, namespace);
  const differs = existing !== undefined && !sameClusterSecret(existing, secret);
  const hint = differs ? '; it differs from what okra would write: delete it first to replace it' : '';
  return `cluster secret "${name}" already exists in ${namespace}: left unchanged${hint}`;
}

/** True when `existing` holds the data and labels okra would write. */
function sameClusterSecret(existing: SecretObject, desired: SecretObject): boolean {
  const labelsKept = Object.entries(desired.metadata.labels ?? {}).every(([k, v]) => existing.metadata.labels?.[k] === v);
  return labelsKept && jsonEqual(existing.data ?? {}, desired.data ?? {});
}

/** An EKS token source that only needs an AWS region once a Secret actually uses awsAuthConfig. */
function lazyTokens(g: GlobalOptions): EksTokenSource {
  let generator: EksTokenGenerator | undefined;
  return { token: (cluster, role) => (generator ??= new EksTokenGenerator(awsSettingsOf(g))).token(cluster, role) };
}

/** Registers `sync clusterset` and `sync awstargetgroupset`. */
export function registerDiscoverySync(sync: Command): void {
  sync
    .command('clusterset')
    .description('run one ClusterSet pass: list EKS, write, update and prune its cluster Secrets')
    .requiredOption('--name <name>', 'ClusterSet name')
    .option('--dry-run', 'show what would change, write nothing')
    .action(async (opts: { name: string; dryRun?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const client = kubeClient(g);
      const settings = awsSettingsOf(g);
      const pass = await syncClusterSet(
        {
          client,
          eks: (region) => new SdkEks({ ...settings, region }),
          defaultRegion: settings.region,
          events: opts.dryRun ? new MemoryEventRecorder() : new KubeEventRecorder(client, 'okra-cli', silentLogger()),
          clock: systemClock,
          dryRun: opts.dryRun === true,
        },
        { name: opts.name, namespace: namespaceOf(g) },
      ).catch(invalidSpecExit(`ClusterSet ${namespaceOf(g)}/${opts.name}`));
      if (!pass) throw new CliError(`ClusterSet ${namespaceOf(g)}/${opts.name} not found`, ExitCode.notFound);
      printClusterSetPass(pass, opts.dryRun === true);
      // What was written is printed first: a region EKS could not be listed in fails the run.
      if (pass.retry) throw pass.retry;
    });
  sync
    .command('awstargetgroupset')
    .description('run one AWSTargetGroupSet pass: list TargetGroupBindings and write AWSTargetGroups')
    .requiredOption('--name <name>', 'AWSTargetGroupSet name')
    .option('--cluster-name <secret>', 'only this cluster Secret')
    .option('--dry-run', 'show what would change, write nothing')
    .action(async (opts: { name: string; clusterName?: string; dryRun?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const client = kubeClient(g);
      const pass = await syncTargetGroupSet(
        {
          client,
          remote: new RemoteClusters({ eksTokens: lazyTokens(g) }),
          backoff: new KeyedBackoff(),
          events: opts.dryRun ? new MemoryEventRecorder() : new KubeEventRecorder(client, 'okra-cli', silentLogger()),
          clock: systemClock,
          dryRun: opts.dryRun === true,
          onlyCluster: opts.clusterName,
        },
        { name: opts.name, namespace: namespaceOf(g) },
      ).catch(invalidSpecExit(`AWSTargetGroupSet ${namespaceOf(g)}/${opts.name}`));
      if (!pass) throw new CliError(`AWSTargetGroupSet ${namespaceOf(g)}/${opts.name} not found`, ExitCode.notFound);
      printTargetGroupPass(pass, opts.dryRun === true);
      // What was written is printed first: a write that failed for a reason worth retrying fails the run.
      if (pass.retry) throw pass.retry;
    });
}

function printClusterSetPass(pass: PassResult, dryRun: boolean): void {
  const suffix = dryRun ? ' (dry run)' : '';
  const lines = [
    ...pass.created.map((s) => `secret/${s} created${suffix}`),
    ...pass.updated.map((s) => `secret/${s} updated${suffix}`),
    ...pass.deleted.map((s) => `secret/${s} deleted${suffix}`),
    ...pass.entries.filter((e) => e.state === 'Skipped' || e.state === 'Error').map((e) => `cluster ${e.name} ${e.state.toLowerCase()}: ${e.message ?? ''}`),
  ];
  for (const line of lines) process.stdout.write(`${line}\n`);
  // A Secret that could not be written (or one in the way that we do not own) fails the run, so CI notices.
  if (pass.entries.some((e) => e.state === 'Error')) process.exitCode = ExitCode.error;
}

function printTargetGroupPass({ plan, failedWrites }: TargetGroupSetPass, dryRun: boolean): void {
  const suffix = dryRun ? ' (dry run)' : '';
  const lines = [
    ...plan.apply.map((tg) => `awstargetgroup/${tg.metadata.name ?? ''} applied${suffix}`),
    ...plan.delete.map((tg) => `awstargetgroup/${tg.metadata.name ?? ''} deleted${suffix}`),
    // A failed apply is named once, with its binding, among the skipped bindings below.
    ...failedWriteLines({ failedApplies: new Map(), failedDeletes: failedWrites.failedDeletes }),
    ...plan.clusters.flatMap((c) => [
      ...(c.error ? [`cluster ${c.name}: ${c.error}`] : []),
      ...(c.skipped ?? []).map((s) => `cluster ${c.name} binding ${s.binding} skipped: ${s.reason}`),
    ]),
  ];
  for (const line of lines) process.stdout.write(`${line}\n`);
  // A cluster that could not be listed, or a write that failed, fails the run, so CI notices.
  const failed = failedWrites.failedApplies.size + failedWrites.failedDeletes.size > 0;
  if (plan.clusters.some((c) => c.error) || failed) process.exitCode = ExitCode.error;
}

/** Registers `get targetgroupbindings` and `get awstargetgroups`. */
export function registerDiscoveryGet(get: Command): void {
  get
    .command('targetgroupbindings')
    .alias('tgb')
    .description('list TargetGroupBindings in the workload cluster of an Argo CD cluster Secret')
    .requiredOption('--cluster <secret>', 'name of the Argo CD cluster Secret (in --namespace)')
    .option('-l, --selector <selector>', 'label selector')
    .action(async (opts: { cluster: string; selector?: string }, cmd: Command) => {
      const g = globals(cmd);
      const secret = await kubeClient(g).get<SecretObject>(CoreTypes.secret, opts.cluster, namespaceOf(g));
      if (!secret) throw new CliError(`cluster Secret ${namespaceOf(g)}/${opts.cluster} not found`, ExitCode.notFound);
      const remote = new RemoteClusters({ eksTokens: lazyTokens(g) });
      const { items } = await remote.client(parseClusterSecret(secret)).list<TargetGroupBinding>(TargetGroupBindingType, opts.selector ? { labelSelector: opts.selector } : {});
      remote.close();
      printObjects(g, items, ['namespace', 'name', 'target-group-arn', 'version', 'age'], (b) => [
        b.metadata.namespace ?? '',
        b.metadata.name ?? '',
        b.spec.targetGroupARN ?? '',
        b.metadata.labels?.[VERSION_LABEL] ?? '',
        age(b.metadata.creationTimestamp),
      ]);
    });
  get
    .command('awstargetgroups')
    .description('list AWSTargetGroups')
    .option('-l, --selector <selector>', 'label selector')
    .option('-A, --all-namespaces', 'list in every namespace')
    .action(async (opts: { selector?: string; allNamespaces?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const namespace = opts.allNamespaces ? undefined : namespaceOf(g);
      const { items } = await kubeClient(g).list<AWSTargetGroup>(AWSTargetGroupType, { namespace, labelSelector: opts.selector });
      printObjects(g, items, ['namespace', 'name', 'version', 'cluster', 'arn', 'age'], (tg) => [
        tg.metadata.namespace ?? '',
        tg.metadata.name ?? '',
        tg.metadata.labels?.[VERSION_LABEL] ?? '',
        tg.metadata.labels?.[BINDING_CLUSTER_LABEL] ?? '',
        tg.spec.arn,
        age(tg.metadata.creationTimestamp),
      ]);
    });
}
