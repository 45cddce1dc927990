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
import { errorMessage } from '../../runtime/errors.js';
import type { EventInput, EventRecorder } from '../../runtime/events.js';
import { createMergePatch, metaTime, patchStatusIfChanged, setCondition } from '../../runtime/status.js';
import { rejectSpec, withKind, zodProblem } from '../common.js';
import { ADOPT_RULE_ANNOTATION, MAX_FORWARD_TARGET_GROUPS, OWNER_TAG, ownerTag, ruleConditions, rulePriority, sameConditions, sameWeights } from '../listener.js';
import { claimAdoptedRule, findOwnedRule, findPriorityHolder, findTaggedRule, ruleOfListener, type PriorityHolder, type RuleLookup } from '../rule.js';

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
  return forwardProblem(spec.listener.rule.forward.targetGroups);
}

/** Why ALB would refuse the forward action, found before any write (moto accepts what AWS refuses). */
function forwardProblem(targetGroups: readonly { arn: string; weight: number }[]): string | undefined {
  const field = 'spec.listener.rule.forward.targetGroups';
  if (targetGroups.every((t) => t.weight === 0)) return `${field} all have weight 0`;
  if (targetGroups.length > MAX_FORWARD_TARGET_GROUPS) return `${field} has ${targetGroups.length} target groups; ALB allows ${MAX_FORWARD_TARGET_GROUPS} in one forward action`;
  const twice = targetGroups.find((t, i) => targetGroups.findIndex((u) => u.arn === t.arn) !== i);
  return twice ? `${field} lists ${twice.arn} twice; ALB allows each target group once` : undefined;
}

/**
 * What one pass does with the rule. `modify` rewrites the rule (its conditions too when `conditions`)
 * unless `moveOnly`, then moves it to `priority` when set. `conflict` names the rule we may not touch:
 * the one at our priority, or with `priorityInUse` the one holding the priority our rule must move to.
 */
export type AlbConfigAction =
  | { kind: 'create' }
  | { kind: 'modify'; conditions: boolean; priority?: number; moveOnly?: true }
  | { kind: 'none' }
  | { kind: 'conflict'; arn: string; owner?: string | undefined; priorityInUse?: true };

/** The priority our rule must move to, or undefined when it already sits there (or is the default rule). */
export function pendingMove(spec: Spec, lookup: RuleLookup): number | undefined {
  if (lookup.kind !== 'owned' || typeof lookup.rule.priority !== 'number') return undefined;
  const priority = rulePriority(spec.listener?.rule);
  return lookup.rule.priority === priority ? undefined : priority;
}

/** Decides what to do with the rule (pure); `holder` is the rule found at the priority of a pending move. */
export function planAlbConfig(spec: Spec, lookup: RuleLookup, holder?: PriorityHolder): AlbConfigAction {
  if (lookup.kind === 'foreign') return { kind: 'conflict', arn: lookup.arn, owner: lookup.owner };
  if (lookup.kind === 'absent') return { kind: 'create' };
  const priority = pendingMove(spec, lookup);
  // ALB would refuse the move anyway; saying so before any write keeps the rule exactly as it was.
  if (priority !== undefined && holder && holder.arn !== lookup.rule.arn) return { kind: 'conflict', arn: holder.arn, owner: holder.owner, priorityInUse: true };
  const move = priority === undefined ? {} : { priority };
  // Conditions are rewritten only at the spec's priority: rewritten first at another, lower one, the rule
  // could take requests meant for the rules in between. A pending move goes first; they follow.
  const conditions = priority === undefined && !sameConditions(lookup.rule.conditions, ruleConditions(spec.listener?.rule));
  if (!conditions && sameWeights(lookup.rule.weights, specWeights(spec))) {
    return priority === undefined ? { kind: 'none' } : { kind: 'modify', conditions: false, ...move, moveOnly: true };
  }
  return { kind: 'modify', conditions, ...move };
}

function specWeights(spec: Spec): { arn: string; weight: number }[] {
  return (spec.listener?.rule?.forward?.targetGroups ?? []).map((t) => ({ arn: t.arn, weight: t.weight }));
}

/** Reconciles one AWSApplicationLoadBalancerConfig. */
export async function reconcileAlbConfig(
  deps: AlbConfigDeps,
  req: Pick<ReconcileRequest, 'name' | 'namespace' | 'resync'>,
): Promise<ReconcileResult & { action?: AlbConfigAction }> {
  const type = AWSApplicationLoadBalancerConfigType;
  const raw = await deps.client.get<AWSApplicationLoadBalancerConfig>(type, req.name, req.namespace);
  if (!raw || raw.metadata.deletionTimestamp) return {};
  const parsed = AWSApplicationLoadBalancerConfigSchema.safeParse(raw);
  const problem = parsed.success ? albConfigProblem(parsed.data.spec) : zodProblem(parsed.error.issues);
  if (problem || !parsed.success) return rejectSpec(deps, { type, obj: raw, message: problem ?? 'invalid', now: deps.clock.now() });
  const config = parsed.data;
  const { lookup, holder } = await observe(deps.rules, config, req.resync === true).catch((err: unknown) => ruleReadFailed(deps, config, err));
  const action = planAlbConfig(config.spec, lookup, holder);
  if (deps.dryRun) return { action };
  await claimAdoptedRule(deps.rules, lookup, albConfigOwner(config));
  const ruleArn = await apply(deps, config, action, lookup);
  const next = albConfigStatus(config, { action, ruleArn }, deps.clock.now());
  await report(deps, config, next, [...albConfigEvents(config.status, next, action), ...listenerChangedEvents(config, next)]);
  return { action };
}

/** The rule, and the rule holding the priority ours must move to (if any). */
async function observe(rules: ListenerRulesPort, config: AWSApplicationLoadBalancerConfig, resync: boolean): Promise<{ lookup: RuleLookup; holder: PriorityHolder | undefined }> {
  const lookup = await withTaggedRule(rules, config, await observeRule(rules, config, resync));
  return { lookup, holder: await findPriorityHolder(rules, config.spec.listenerARN, lookup, rulePriority(config.spec.listener?.rule)) };
}

/**
 * The rule could not be read (a listener ARN that does not exist, access denied, throttling): say so on
 * the object, with one Warning per new cause, then fail the pass so it is retried with backoff. Without
 * this the object kept showing Synced while nothing was managed.
 */
async function ruleReadFailed(deps: AlbConfigDeps, config: AWSApplicationLoadBalancerConfig, err: unknown): Promise<never> {
  if (deps.dryRun) throw err;
  const message = `could not read the listener rule on ${config.spec.listenerARN}: ${errorMessage(err)}`;
  if (config.status?.message !== message) {
    const now = deps.clock.now();
    const conditions = setCondition(config.status?.conditions, { type: 'Ready', status: 'False', reason: 'RuleReadFailed', message }, now, config.metadata.generation);
    const failed: Status = { ...config.status, phase: 'Error', reason: 'RuleReadFailed', message, conditions };
    // The AWS error is what the controller must back off on and log; a failed status write must not replace it.
    await report(deps, config, failed, [{ type: 'Warning', reason: 'RuleReadFailed', message }]).catch(() => undefined);
  }
  throw err;
}

/** Finds the rule; a resync pass describes it in AWS, since a hand edit is what the resync exists to catch. */
function observeRule(rules: ListenerRulesPort, config: AWSApplicationLoadBalancerConfig, resync: boolean): Promise<RuleLookup> {
  return findOwnedRule(rules, {
    listenerArn: config.spec.listenerARN,
    priority: rulePriority(config.spec.listener?.rule),
    knownArn: config.status?.ruleARN,
    owner: albConfigOwner(config),
    adopt: config.metadata.annotations?.[ADOPT_RULE_ANNOTATION] === 'true',
    fresh: resync,
  });
}

/** No rule at the priority means a create: look for one we tagged elsewhere on the listener first (see findTaggedRule). */
async function withTaggedRule(rules: ListenerRulesPort, config: AWSApplicationLoadBalancerConfig, lookup: RuleLookup): Promise<RuleLookup> {
  if (lookup.kind !== 'absent') return lookup;
  const tagged = await findTaggedRule(rules, { listenerArn: config.spec.listenerARN, owner: albConfigOwner(config) });
  return tagged ? { kind: 'owned', rule: tagged } : lookup;
}

function albConfigOwner(config: AWSApplicationLoadBalancerConfig): string {
  return ownerTag(AWSApplicationLoadBalancerConfigType.kind, config.metadata.namespace, config.metadata.name);
}

/** Runs the action; a failed write is recorded on the object before the error goes on to the backoff. */
async function apply(deps: AlbConfigDeps, config: AWSApplicationLoadBalancerConfig, action: AlbConfigAction, lookup: RuleLookup): Promise<string | undefined> {
  try {
    return await perform(deps, config, action, lookup);
  } catch (err) {
    const ruleArn = lookup.kind === 'owned' ? lookup.rule.arn : undefined;
    const failed = albConfigStatus(config, { action, ruleArn, failure: errorMessage(err) }, deps.clock.now());
    // The AWS error is what the controller must back off on and log; a failed status write must not replace it.
    await report(deps, config, failed, failureEvents(config.status, failed)).catch(() => undefined);
    throw err;
  }
}

async function perform(deps: AlbConfigDeps, config: AWSApplicationLoadBalancerConfig, action: AlbConfigAction, lookup: RuleLookup): Promise<string | undefined> {
  const rule = config.spec.listener?.rule;
  if (action.kind === 'create') {
    return deps.rules.createRule({
      listenerArn: config.spec.listenerARN,
      priority: rulePriority(rule),
      conditions: ruleConditions(rule),
      weights: specWeights(config.spec),
      tags: { [OWNER_TAG]: albConfigOwner(config) },
    });
  }
  if (lookup.kind !== 'owned') return undefined;
  if (action.kind !== 'modify') return lookup.rule.arn;
  // Content first, as the Cell does: a move that keeps failing must not hold up a weights repair.
  if (action.moveOnly !== true) {
    await deps.rules.modifyRule(lookup.rule.arn, { weights: specWeights(config.spec), ...(action.conditions ? { conditions: ruleConditions(rule) } : {}) });
  }
  if (action.priority !== undefined) await deps.rules.setPriority(lookup.rule.arn, action.priority);
  return lookup.rule.arn;
}

/** Ready, reason and message of a pass. */
interface Outcome {
  readonly ready: boolean;
  readonly reason: string;
  readonly message: string;
}

function outcomeOf(config: AWSApplicationLoadBalancerConfig, action: AlbConfigAction, ruleArn: string | undefined, failure: string | undefined): Outcome {
  if (failure !== undefined) return { ready: false, reason: 'ActionFailed', message: `${writeOf(config, action, ruleArn)} failed: ${failure}` };
  if (action.kind !== 'conflict') return { ready: true, reason: 'Synced', message: `listener rule ${ruleArn ?? ''} is in sync` };
  const owner = action.owner ? ` (owner: ${action.owner})` : '';
  if (action.priorityInUse === true) {
    const priority = rulePriority(config.spec.listener?.rule);
    return { ready: false, reason: 'PriorityInUse', message: `listener rule ${ruleArn ?? ''} cannot move to priority ${priority}: it is held by ${action.arn}${owner}, which this object does not own; nothing was modified` };
  }
  return { ready: false, reason: 'RuleConflict', message: `the rule at this priority (${action.arn}) is not owned by this object${owner}; it was not modified` };
}

/** The write an action makes, in words, for a failure message. */
function writeOf(config: AWSApplicationLoadBalancerConfig, action: AlbConfigAction, ruleArn: string | undefined): string {
  if (action.kind === 'create') return `creating the listener rule at priority ${rulePriority(config.spec.listener?.rule)}`;
  const rule = `listener rule ${ruleArn ?? ''}`;
  if (action.kind !== 'modify') return `${rule} ${action.kind}`;
  const move = action.priority === undefined ? '' : `moving ${rule} to priority ${action.priority}`;
  if (action.moveOnly === true) return move;
  return `updating ${rule}${move ? `, then ${move}` : ''}`;
}

/** What a pass did: its action, the rule it ended with, and the AWS error of a write that failed. */
export interface AlbConfigPass {
  readonly action: AlbConfigAction;
  readonly ruleArn: string | undefined;
  readonly failure?: string | undefined;
}

/** The status after a pass (pure). */
export function albConfigStatus(config: AWSApplicationLoadBalancerConfig, pass: AlbConfigPass, now: Date): Status {
  const { ruleArn } = pass;
  const { ready, reason, message } = outcomeOf(config, pass.action, ruleArn, pass.failure);
  const generation = config.metadata.generation;
  let conditions = setCondition(config.status?.conditions, { type: 'Ready', status: ready ? 'True' : 'False', reason, message }, now, generation);
  conditions = setCondition(conditions, { type: 'Stalled', status: 'False', reason: 'SpecValid', message: 'the spec is valid' }, now, generation);
  return {
    ...config.status,
    phase: ready ? 'Synced' : 'Error',
    reason,
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
  if (action.kind === 'modify') return [{ type: 'Normal', reason: 'RuleUpdated', message: updateMessage(arn, action) }];
  if (action.kind === 'conflict' && previous?.reason !== next.reason) return [{ type: 'Warning', reason: next.reason ?? 'RuleConflict', message: next.message ?? '' }];
  return [];
}

/**
 * The object's rule is now one on a new listener: the rule on the previous one is left as it is (deleting
 * it could cut traffic still sent to that load balancer), and its ARN leaves status with this pass, so
 * the Event names it, as the Cell's does.
 */
function listenerChangedEvents(config: AWSApplicationLoadBalancerConfig, next: Status): EventInput[] {
  const before = config.status?.ruleARN;
  if (!before || !next.ruleARN || before === next.ruleARN || ruleOfListener(before, config.spec.listenerARN)) return [];
  const message = `listenerARN changed to ${config.spec.listenerARN}: the rule ${before} on the previous listener is left as it is and okra no longer manages it; delete it once no traffic needs it`;
  return [{ type: 'Warning', reason: 'ListenerChanged', message }];
}

function updateMessage(arn: string, action: Extract<AlbConfigAction, { kind: 'modify' }>): string {
  const move = action.priority === undefined ? '' : `moved listener rule ${arn} to priority ${action.priority}`;
  if (action.moveOnly === true) return move;
  return `updated listener rule ${arn}${move ? `; ${move}` : ''}`;
}

/** Events of a failed write: one Warning when the object turns ActionFailed, not one per retry. */
function failureEvents(previous: Status | undefined, next: Status): EventInput[] {
  return previous?.reason === 'ActionFailed' ? [] : [{ type: 'Warning', reason: 'ActionFailed', message: next.message ?? '' }];
}

/** Patches the status when it changed (so an idle pass writes nothing), then records the pass's Events. */
async function report(deps: AlbConfigDeps, config: AWSApplicationLoadBalancerConfig, next: Status, events: readonly EventInput[]): Promise<void> {
  const now = deps.clock.now();
  if (createMergePatch(config.status ?? {}, next) !== undefined) {
    await patchStatusIfChanged(deps.client, AWSApplicationLoadBalancerConfigType, config, { ...next, lastSyncTime: metaTime(now) });
  }
  for (const e of events) await deps.events.record(withKind(config, AWSApplicationLoadBalancerConfigType), e);
}
