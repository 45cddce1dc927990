// `okra sync awsapplicationloadbalancerconfig`: one pass of the AWSApplicationLoadBalancerConfig
// controller for a named object (okra 0.x built the rule from flags instead, ignored --region, and could
// not pass conditions, so its rule never validated against AWS; the object carries all of that).
import type { Command } from 'commander';
import {
  AWSApplicationLoadBalancerConfigType,
  type AWSApplicationLoadBalancerConfig,
} from '../../api/v1alpha1/awsapplicationloadbalancerconfig.js';
import { SdkListenerRules } from '../../aws/elbv2.js';
import { reconcileAlbConfig, type AlbConfigAction } from '../../controllers/albconfig/reconciler.js';
import { ruleConditions, rulePriority } from '../../controllers/listener.js';
import type { KubeClient } from '../../kube/client.js';
import { systemClock } from '../../runtime/clock.js';
import { awsSettingsOf, CliError, ExitCode, globals, invalidSpecExit, kubeClient, namespaceOf } from '../common.js';
import { eventRecorder, objectName, printDocument, type NameOption } from './shared.js';

/** What a dry run shows: the action, and the rule as it would be written for create or modify. */
export function albConfigWrite(config: AWSApplicationLoadBalancerConfig, action: AlbConfigAction): Record<string, unknown> {
  if (action.kind !== 'create' && action.kind !== 'modify') return { action };
  const rule = config.spec.listener?.rule;
  return {
    action,
    rule: {
      listenerArn: config.spec.listenerARN,
      priority: rulePriority(rule),
      conditions: ruleConditions(rule),
      weights: (rule?.forward?.targetGroups ?? []).map((t) => ({ name: t.name, arn: t.arn, weight: t.weight })),
    },
  };
}

/** The one line a pass reports. */
export function albConfigLine(name: string, action: AlbConfigAction, ruleArn: string | undefined): string {
  const prefix = `awsapplicationloadbalancerconfig/${name}`;
  switch (action.kind) {
    case 'create':
      return `${prefix}: listener rule ${ruleArn ?? ''} created`;
    case 'modify':
      return `${prefix}: listener rule ${ruleArn ?? ''} ${modifyWords(action)}`;
    case 'none':
      return `${prefix}: listener rule ${ruleArn ?? ''} in sync`;
    case 'conflict': {
      const owner = action.owner ? ` (owner: ${action.owner})` : '';
      if (action.priorityInUse === true) return `${prefix}: listener rule ${ruleArn ?? ''} cannot move: its new priority is held by ${action.arn}${owner}, not owned by it; not modified`;
      return `${prefix}: the rule at its priority (${action.arn}) is not owned by it${owner}; not modified`;
    }
  }
}

/** What a modify did, in words: updated (its conditions too), moved to another priority, or both. */
function modifyWords(action: Extract<AlbConfigAction, { kind: 'modify' }>): string {
  const moved = action.priority === undefined ? undefined : `moved to priority ${String(action.priority)}`;
  if (action.moveOnly === true && moved) return moved;
  const updated = `updated${action.conditions ? ' (conditions too)' : ''}`;
  return moved ? `${updated}, then ${moved}` : updated;
}

async function readConfig(client: KubeClient, name: string, namespace: string): Promise<AWSApplicationLoadBalancerConfig> {
  const config = await client.get<AWSApplicationLoadBalancerConfig>(AWSApplicationLoadBalancerConfigType, name, namespace);
  if (!config) throw new CliError(`AWSApplicationLoadBalancerConfig ${namespace}/${name} not found`, ExitCode.notFound);
  return config;
}

/** Registers `sync awsapplicationloadbalancerconfig`. */
export function registerAlbConfigSync(sync: Command): void {
  sync
    .command('awsapplicationloadbalancerconfig')
    .alias('albconfig')
    .description('run one AWSApplicationLoadBalancerConfig pass: create or update the listener rule it owns')
    .argument('[name]', 'AWSApplicationLoadBalancerConfig name')
    .option('--name <name>', 'object name (as okra 0.x spelled it)')
    .option('--dry-run', 'print the rule write the pass would make as YAML; write nothing')
    .action(async (positional: string | undefined, opts: NameOption & { dryRun?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const client = kubeClient(g);
      const ref = { name: objectName(positional, opts, 'AWSApplicationLoadBalancerConfig'), namespace: namespaceOf(g) };
      const config = await readConfig(client, ref.name, ref.namespace);
      const dryRun = opts.dryRun === true;
      const deps = { client, rules: new SdkListenerRules(awsSettingsOf(g)), events: eventRecorder(client, dryRun), clock: systemClock, dryRun };
      const result = await reconcileAlbConfig(deps, ref).catch(invalidSpecExit(`AWSApplicationLoadBalancerConfig ${ref.namespace}/${ref.name}`));
      const action = result.action ?? { kind: 'none' };
      if (dryRun) {
        printDocument(g, albConfigWrite(config, action));
        return;
      }
      const ruleArn = (await readConfig(client, ref.name, ref.namespace)).status?.ruleARN;
      const line = albConfigLine(ref.name, action, ruleArn);
      if (action.kind === 'conflict') throw new CliError(line);
      process.stdout.write(`${line}\n`);
    });
}
