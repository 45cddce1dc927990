// The AWSApplicationLoadBalancerConfig controller: keeps one ALB listener rule (identified by priority,
// default 100) equal to the object's spec, as the original okra does, but only a rule it created (tagged)
// or explicitly adopts; a foreign rule at that priority is reported, never modified.
import {
  AWSApplicationLoadBalancerConfigSchema,
  AWSApplicationLoadBalancerConfigType,
  type AWSApplicationLoadBalancerConfig,
  type AWSApplicationLoadBalancerConfigSpec,
} from '../../api/v1alpha1/awsapplicationloadbalancerconfig.js';
import type { ListenerRulesPort } from '../../aws/elbv2.js';
import type { KubeClient } from '../../kube/client.js';
import type { Clock } from '../../runtime/clock.js';
import type { ReconcileRequest, ReconcileResult } from '../../runtime/controller.js';
import type { EventInput, EventRecorder } from '../../runtime/events.js';
import { createMergePatch, metaTime, patchStatusIfChanged, setCondition } from '../../runtime/status.js';
import { rejectSpec, withKind, zodProblem } from '../common.js';
import { ADOPT_RULE_ANNOTATION, OWNER_TAG, ownerTag, ruleConditions, rulePriority, sameConditions, sameWeights } from '../listener.js';
import { findOwnedRule, type RuleLookup } from '../rule.js';

/** What the controller talks to. */
export interface AlbConfigDeps {
  readonly client: KubeClient;
  readonly rules: ListenerRulesPort;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly dryRun?: boolean;
}

type Spec = AWSApplicationLoadBalancerConfigSpec;
type Status = NonNullable<AWSApplicationLoadBalancerConfig['status']>;

/** Why a spec cannot be applied, or undefined. */
export function albConfigProblem(spec: Spec): string | undefined {
  if (!spec.listenerARN) return 'spec.listenerARN is empty';
  if (ruleConditions(spec.listener?.rule).length === 0) return 'spec.listener.rule needs at least one condition (ALB does not accept a rule without conditions)';
  if (!spec.listener?.rule?.forward?.targetGroups?.length) return 'spec.listener.rule.forward.targetGroups is empty';
  if (spec.listener.rule.forward.targetGroups.every((t) => t.weight === 0)) return 'spec.listener.rule.forward.targetGroups all have weight 0';
  return undefined;
}

/** What one pass does with the rule. */
export type AlbConfigAction = { kind: 'create' } | { kind: 'modify'; conditions: boolean } | { kind: 'none' } | { kind: 'conflict'; arn: string; owner?: string | undefined };

/** Decides what to do with the rule (pure). */
export function planAlbConfig(spec: Spec, lookup: RuleLookup): AlbConfigAction {
  if (lookup.kind === 'foreign') return { kind: 'conflict', arn: lookup.arn, owner: lookup.owner };
  if (lookup.kind === 'absent') return { kind: 'create' };
  const weights = (spec.listener?.rule?.forward?.targetGroups ?? []).map((t) => ({ arn: t.arn, weight: t.weight }));
  const conditionsOk = sameConditions(lookup.rule.conditions, ruleConditions(spec.listener?.rule));
  if (conditionsOk && sameWeights(lookup.rule.weights, weights)) return { kind: 'none' };
  return { kind: 'modify', conditions: !conditionsOk };
}

/** Reconciles one AWSApplicationLoadBalancerConfig. */
export async function reconcileAlbConfig(deps: AlbConfigDeps, req: Pick<ReconcileRequest, 'name' | 'namespace'>): Promise<ReconcileResult & { action?: AlbConfigAction }> {
  const type = AWSApplicationLoadBalancerConfigType;
  const raw = await deps.client.get<AWSApplicationLoadBalancerConfig>(type, req.name, req.namespace);
  if (!raw || raw.metadata.deletionTimestamp) return {};
  const parsed = AWSApplicationLoadBalancerConfigSchema.safeParse(raw);
  const problem = parsed.success ? albConfigProblem(parsed.data.spec) : zodProblem(parsed.error.issues);
  if (problem || !parsed.success) return rejectSpec(deps, { type, obj: raw, message: problem ?? 'invalid', now: deps.clock.now() });
  const config = parsed.data;
  const rule = config.spec.listener?.rule;
  const lookup = await findOwnedRule(deps.rules, {
    listenerArn: config.spec.listenerARN,
    priority: rulePriority(rule),
    knownArn: config.status?.ruleARN,
    owner: ownerTag(type.kind, config.metadata.namespace, config.metadata.name),
    adopt: config.metadata.annotations?.[ADOPT_RULE_ANNOTATION] === 'true',
  });
  const action = planAlbConfig(config.spec, lookup);
  if (deps.dryRun) return { action };
  const ruleArn = await perform(deps, config, action, lookup);
  await report(deps, config, action, ruleArn);
  return { action };
}

async function perform(deps: AlbConfigDeps, config: AWSApplicationLoadBalancerConfig, action: AlbConfigAction, lookup: RuleLookup): Promise<string | undefined> {
  const rule = config.spec.listener?.rule;
  const weights = (rule?.forward?.targetGroups ?? []).map((t) => ({ arn: t.arn, weight: t.weight }));
  if (action.kind === 'create') {
    return deps.rules.createRule({
      listenerArn: config.spec.listenerARN,
      priority: rulePriority(rule),
      conditions: ruleConditions(rule),
      weights,
      tags: { [OWNER_TAG]: ownerTag(AWSApplicationLoadBalancerConfigType.kind, config.metadata.namespace, config.metadata.name) },
    });
  }
  if (lookup.kind !== 'owned') return undefined;
  if (action.kind === 'modify') await deps.rules.modifyRule(lookup.rule.arn, { weights, ...(action.conditions ? { conditions: ruleConditions(rule) } : {}) });
  return lookup.rule.arn;
}

/** The status after a pass (pure). */
export function albConfigStatus(config: AWSApplicationLoadBalancerConfig, action: AlbConfigAction, ruleArn: string | undefined, now: Date): Status {
  const conflict = action.kind === 'conflict';
  const message = conflict
    ? `the rule at this priority (${action.arn}) is not owned by this object${action.owner ? ` (owner: ${action.owner})` : ''}; it was not modified`
    : `listener rule ${ruleArn ?? ''} is in sync`;
  const generation = config.metadata.generation;
  let conditions = setCondition(config.status?.conditions, { type: 'Ready', status: conflict ? 'False' : 'True', reason: conflict ? 'RuleConflict' : 'Synced', message }, now, generation);
  conditions = setCondition(conditions, { type: 'Stalled', status: 'False', reason: 'SpecValid', message: 'the spec is valid' }, now, generation);
  return {
    ...config.status,
    phase: conflict ? 'Error' : 'Synced',
    reason: conflict ? 'RuleConflict' : 'Synced',
    message,
    ...(ruleArn ? { ruleARN: ruleArn } : {}),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions,
  };
}

/** Events of a pass: rule writes, and a conflict when it is new. */
function albConfigEvents(previous: Status | undefined, next: Status, action: AlbConfigAction): EventInput[] {
  const arn = next.ruleARN ?? '';
  if (action.kind === 'create') return [{ type: 'Normal', reason: 'RuleCreated', message: `created listener rule ${arn}` }];
  if (action.kind === 'modify') return [{ type: 'Normal', reason: 'RuleUpdated', message: `updated listener rule ${arn}` }];
  if (action.kind === 'conflict' && previous?.reason !== 'RuleConflict') return [{ type: 'Warning', reason: 'RuleConflict', message: next.message ?? '' }];
  return [];
}

async function report(deps: AlbConfigDeps, config: AWSApplicationLoadBalancerConfig, action: AlbConfigAction, ruleArn: string | undefined): Promise<void> {
  const now = deps.clock.now();
  const next = albConfigStatus(config, action, ruleArn, now);
  if (createMergePatch(config.status ?? {}, next) !== undefined) {
    await patchStatusIfChanged(deps.client, AWSApplicationLoadBalancerConfigType, config, { ...next, lastSyncTime: metaTime(now) });
  }
  for (const e of albConfigEvents(config.status, next, action)) await deps.events.record(withKind(config, AWSApplicationLoadBalancerConfigType), e);
}
