// The Cell reconciler: observe (target groups and blocklist from the cache, the listener rule from AWS,
// gates from the cache) → decide (decide.ts, pure) → apply (the one action) → report (status patched once,
// only when it changed; Events of the transition). Everything that must survive a restart is in the
// Cell's status and in AWS.
import { CellSchema, CellType, type Cell, type CellStatus } from '../../api/v1alpha1/cell.js';
import type { AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import { VersionBlocklistType, type VersionBlocklist } from '../../api/v1alpha1/versionblocklist.js';
import { GateSpecError } from '../../analysis/run-builder.js';
import type { ListenerRulesPort } from '../../aws/elbv2.js';
import type { KubeClient } from '../../kube/client.js';
import type { Informer } from '../../kube/informer.js';
import type { Clock } from '../../runtime/clock.js';
import type { ReconcileRequest, ReconcileResult } from '../../runtime/controller.js';
import { TerminalError, errorMessage } from '../../runtime/errors.js';
import type { EventInput, EventRecorder } from '../../runtime/events.js';
import { createMergePatch, metaTime, patchStatusIfChanged } from '../../runtime/status.js';
import type { OwnWrites } from '../../runtime/own-writes.js';
import { withKind, zodProblem } from '../common.js';
import { ADOPT_RULE_ANNOTATION, OWNER_TAG, ownerTag, rulePriority } from '../listener.js';
import { claimAdoptedRule, findOwnedRule, findPriorityHolder, findTaggedRule } from '../rule.js';
import { decide } from './decide.js';
import type { GatePort } from './gates.js';
import { type CellAction, type Decision, type Observed, type RuleObservation, gateKey } from './model.js';
import { withPhase } from './phase.js';
import { selectTargetGroups } from './targets.js';

/** Finalizer that deletes the listener rule when a Cell with cleanupOnDelete is deleted. */
export const CLEANUP_FINALIZER = 'okra.mumo.co/cleanup-listener-rule';

/** What the Cell reconciler talks to. */
export interface CellDeps {
  readonly client: KubeClient;
  /** The Cell cache; with `ownWrites`, a pass reads a Cell from it when it holds our own last write. */
  readonly cells?: Pick<Informer<Cell>, 'get'> | undefined;
  readonly ownWrites?: OwnWrites | undefined;
  readonly targetGroups: Pick<Informer<AWSTargetGroup>, 'list'>;
  readonly blocklists: Pick<Informer<VersionBlocklist>, 'get'>;
  readonly rules: ListenerRulesPort;
  readonly gates: GatePort;
  readonly events: EventRecorder;
  readonly clock: Clock;
  /** Called with every status the reconciler arrives at (metrics). */
  readonly onStatus?: ((cell: Cell, status: CellStatus) => void) | undefined;
  /** Called by the pass that finds its Cell gone (metrics drop it; the queue runs no other pass of it then). */
  readonly onGone?: ((namespace: string, name: string) => void) | undefined;
  /** Plan only: observe and decide, write nothing (okra plan cell). */
  readonly dryRun?: boolean;
}

/** The result of one pass, for the CLI and tests. */
export interface CellPass extends ReconcileResult {
  readonly decision?: Decision;
}

/** Reconciles one Cell. */
export async function reconcileCell(deps: CellDeps, req: Pick<ReconcileRequest, 'name' | 'namespace' | 'resync'>): Promise<CellPass> {
  const raw = await readCell(deps, req);
  if (!raw) {
    deps.onGone?.(req.namespace ?? '', req.name);
    return {};
  }
  if (raw.metadata.deletionTimestamp) return finalize(deps, raw);
  const parsed = CellSchema.safeParse(raw);
  if (!parsed.success) return rejectInvalid(deps, raw, zodProblem(parsed.error.issues));
  const cell = parsed.data;
  if (!deps.dryRun) await ensureFinalizer(deps, cell);
  const obs = await observe(deps, cell, req.resync === true);
  const decision = await decideWithListener(deps, cell, obs);
  if (deps.dryRun) return { decision };
  await claimAdoptedRule(deps.rules, obs.rule, cellOwner(cell));
  const status = await applyAction(deps, cell, decision);
  await report(deps, cell, status, decision.events);
  // After the report: removing superseded gates is bookkeeping, and the status should not wait for it.
  await housekeeping(deps, cell, status);
  if (decision.requeueAfterMs === undefined) return { decision };
  return { decision, requeueAfterMs: decision.requeueAfterMs, ...(decision.requeueLowPriority ? { requeueLowPriority: true } : {}) };
}

/**
 * The Cell from the cache when the cache already holds the version our last status write produced
 * (most passes), else from the API server, so a pass never decides on a status older than its own.
 */
async function readCell(deps: CellDeps, req: Pick<ReconcileRequest, 'name' | 'namespace'>): Promise<Cell | undefined> {
  const cached = deps.cells?.get(req.name, req.namespace);
  if (cached && deps.ownWrites?.isOwnVersion(cellKey(cached), cached.metadata.resourceVersion)) return cached;
  return deps.client.get<Cell>(CellType, req.name, req.namespace);
}

function cellKey(cell: Cell): string {
  return `${cell.metadata.namespace ?? ''}/${cell.metadata.name ?? ''}`;
}

async function observe(deps: CellDeps, cell: Cell, resync: boolean): Promise<Observed> {
  const namespace = cell.metadata.namespace ?? '';
  const blocklist = deps.blocklists.get(cell.metadata.name ?? '', namespace);
  const rule = await observeRule(deps, cell, resync).catch((err: unknown) => ruleReadFailed(deps, cell, err));
  return {
    cell,
    targetGroups: selectTargetGroups(cell, deps.targetGroups.list(namespace)),
    blocklist: blocklist?.spec.items ?? [],
    rule,
    ...deps.gates.observe(cell),
    now: deps.clock.now(),
  };
}

/**
 * The rule could not be read (a listener ARN that does not exist, access denied, throttling): say so on
 * the Cell, with one Warning per new cause, then fail the pass so it is retried with backoff. Traffic is
 * left as it is: nothing is decided without knowing the rule.
 */
async function ruleReadFailed(deps: CellDeps, cell: Cell, err: unknown): Promise<never> {
  if (deps.dryRun) throw err;
  const listener = cell.spec.ingress.awsApplicationLoadBalancer?.listenerARN ?? '';
  const message = `could not read the listener rule on ${listener}: ${errorMessage(err)}`;
  if (cell.status?.message !== message) {
    await writeStatus(deps, cell, { ...(cell.status ?? {}), reason: 'RuleReadFailed', message });
    await deps.events.record(withKind(cell, CellType), { type: 'Warning', reason: 'RuleReadFailed', message });
  }
  throw err;
}

/**
 * Finds this Cell's rule: by the ARN in status (one read, or a recent cached one), else by priority,
 * checking ownership tags. Resync passes and read-back after a write always describe the rule in AWS.
 */
export async function observeRule(deps: Pick<CellDeps, 'rules'>, cell: Cell, resync = true): Promise<RuleObservation> {
  const alb = cell.spec.ingress.awsApplicationLoadBalancer;
  if (!alb?.listenerARN) return { kind: 'absent' };
  return findOwnedRule(deps.rules, {
    listenerArn: alb.listenerARN,
    priority: rulePriority(alb.listener?.rule),
    knownArn: cell.status?.ruleArn,
    owner: cellOwner(cell),
    adopt: cell.metadata.annotations?.[ADOPT_RULE_ANNOTATION] === 'true',
    fresh: resync || cell.status?.pendingWeights !== undefined,
  });
}

function cellOwner(cell: Cell): string {
  return ownerTag('Cell', cell.metadata.namespace, cell.metadata.name);
}

/**
 * Decides, then looks at the rest of the listener only where the decision needs it, and decides again
 * with what it found (both reads scan the listener, so no other pass makes them):
 * - creating the rule: a rule this Cell tagged elsewhere on the listener is its rule, to move (see
 *   findTaggedRule);
 * - moving the rule to the spec's priority: another rule holding that priority blocks the move. Only
 *   passes whose weights are settled move the rule, so a failing scan never holds up a weight write.
 */
async function decideWithListener(deps: CellDeps, cell: Cell, obs: Observed): Promise<Decision> {
  const decision = decide(obs);
  const alb = cell.spec.ingress.awsApplicationLoadBalancer;
  const kind = decision.action?.kind;
  if (!alb?.listenerARN || (kind !== 'CreateRule' && kind !== 'SetPriority')) return decision;
  const listenerArn = alb.listenerARN;
  const readFailed = (err: unknown) => ruleReadFailed(deps, cell, err);
  if (kind === 'CreateRule') {
    const tagged = await findTaggedRule(deps.rules, { listenerArn, owner: cellOwner(cell) }).catch(readFailed);
    return tagged ? decide({ ...obs, rule: { kind: 'owned', rule: tagged } }) : decision;
  }
  const holder = await findPriorityHolder(deps.rules, listenerArn, obs.rule, rulePriority(alb.listener?.rule)).catch(readFailed);
  return holder ? decide({ ...obs, priorityHolder: holder }) : decision;
}

async function applyAction(deps: CellDeps, cell: Cell, decision: Decision): Promise<CellStatus> {
  const action = decision.action;
  if (!action) return decision.status;
  try {
    return await perform(deps, cell, action, decision.status);
  } catch (err) {
    if (err instanceof GateSpecError) return gateSpecFailure(deps, cell, decision, err);
    // A failed Abort is not recorded as done: the next pass sees the failed gate again and repeats both
    // writes (traffic and blocklist), instead of holding an abort whose blocklist entry never landed.
    const base = action.kind === 'Abort' ? (cell.status ?? {}) : decision.status;
    const failed = { ...base, pendingWeights: cell.status?.pendingWeights, reason: 'ActionFailed', message: `${action.kind} failed: ${errorMessage(err)}` };
    await writeStatus(deps, cell, failed);
    throw err;
  }
}

async function perform(deps: CellDeps, cell: Cell, action: CellAction, status: CellStatus): Promise<CellStatus> {
  const plain = (ws: readonly { arn: string; weight: number }[]) => ws.map((w) => ({ arn: w.arn, weight: w.weight }));
  switch (action.kind) {
    case 'CreateRule': {
      const ruleArn = await deps.rules.createRule({
        listenerArn: cell.spec.ingress.awsApplicationLoadBalancer?.listenerARN ?? '',
        priority: action.priority,
        conditions: action.conditions,
        weights: plain(action.weights),
        tags: { [OWNER_TAG]: cellOwner(cell) },
      });
      return { ...status, ruleArn };
    }
    case 'SetWeights':
      await deps.rules.modifyRule(action.ruleArn, { weights: plain(action.weights), conditions: action.conditions });
      return { ...status, ruleArn: action.ruleArn };
    case 'SetPriority':
      await deps.rules.setPriority(action.ruleArn, action.priority);
      return status;
    case 'StartGate':
      // The gate sees the status this pass arrives at: on a rollout's first pass the stored status still
      // names the old version, and a fieldRef to status.desiredVersion must measure the new one.
      await deps.gates.start({ ...cell, status }, action, { hash: gateKey(status) ?? '', stepStartedAt: new Date(status.currentStepStartedAt ?? deps.clock.now()) });
      return status;
    case 'Abort':
      // Traffic first, in one write; the blocklist entry follows (if either fails, the next pass repeats both).
      if (action.weights.length > 0) await deps.rules.modifyRule(action.ruleArn, { weights: plain(action.weights) });
      if (action.blocklist) await blockVersion(deps, cell, action.version, action.cause);
      return status;
  }
}

/** A gate spec problem (missing template, undeclared arg…) becomes InvalidSpec on the Cell; no gate is made. */
async function gateSpecFailure(deps: CellDeps, cell: Cell, decision: Decision, err: GateSpecError): Promise<never> {
  const status = withPhase(decision.status, { phase: 'InvalidSpec', reason: 'InvalidSpec', message: err.message }, { now: deps.clock.now(), generation: cell.metadata.generation });
  const changed = await writeStatus(deps, cell, status);
  if (changed) await deps.events.record(withKind(cell, CellType), { type: 'Warning', reason: 'InvalidSpec', message: err.message });
  throw new TerminalError(err.message);
}

/** Adds a version to the VersionBlocklist named after the Cell (created on first use, as in the original). */
export async function blockVersion(deps: Pick<CellDeps, 'client'>, cell: Cell, version: string, cause: string): Promise<void> {
  const ref = { name: cell.metadata.name ?? '', namespace: cell.metadata.namespace };
  const current = await deps.client.get<VersionBlocklist>(VersionBlocklistType, ref.name, ref.namespace);
  if (!current) {
    await deps.client.create<VersionBlocklist>(VersionBlocklistType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'VersionBlocklist',
      metadata: { name: ref.name, namespace: ref.namespace },
      spec: { items: [{ version, cause }] },
    });
    return;
  }
  if (current.spec.items.some((i) => i.version === version)) return;
  await deps.client.replace<VersionBlocklist>(VersionBlocklistType, { ...current, spec: { items: [...current.spec.items, { version, cause }] } });
}

async function housekeeping(deps: CellDeps, cell: Cell, status: CellStatus): Promise<void> {
  const over = status.phase === 'Completed' || status.abort === true;
  await deps.gates.housekeeping({ ...cell, status }, gateKey(status), over);
}

/**
 * Patches the status when it changed and remembers the version it produced, on every path that writes
 * (failures included): the next pass may then trust the cache only if it holds that version, and never
 * decides on a Cell older than its own last write.
 */
async function writeStatus(deps: CellDeps, cell: Cell, status: CellStatus): Promise<boolean> {
  const written = await patchStatusIfChanged(deps.client, CellType, cell, status);
  if (written) deps.ownWrites?.record(cellKey(cell), written.metadata.resourceVersion, written.status);
  return written !== undefined;
}

async function report(deps: CellDeps, cell: Cell, status: CellStatus, events: readonly EventInput[]): Promise<void> {
  deps.onStatus?.(cell, status);
  // lastSyncTime moves only with a real change, so an idle resync writes nothing.
  const changed = createMergePatch(cell.status ?? {}, status) !== undefined;
  if (changed) {
    await writeStatus(deps, cell, { ...status, lastSyncTime: metaTime(deps.clock.now()) });
  }
  // Events are best-effort (the recorder never throws): do not hold the worker for them.
  void Promise.all(events.map((event) => deps.events.record(withKind(cell, CellType), event)));
}

async function rejectInvalid(deps: CellDeps, raw: Cell, message: string): Promise<never> {
  const status = withPhase(raw.status ?? {}, { phase: 'InvalidSpec', reason: 'InvalidSpec', message }, { now: deps.clock.now(), generation: raw.metadata.generation });
  if (!deps.dryRun && (await writeStatus(deps, raw, status))) {
    await deps.events.record(withKind(raw, CellType), { type: 'Warning', reason: 'InvalidSpec', message });
  }
  throw new TerminalError(message);
}

async function ensureFinalizer(deps: CellDeps, cell: Cell): Promise<void> {
  const has = cell.metadata.finalizers?.includes(CLEANUP_FINALIZER) === true;
  const wants = cell.spec.cleanupOnDelete === true;
  if (has === wants) return;
  const finalizers = wants ? [...(cell.metadata.finalizers ?? []), CLEANUP_FINALIZER] : (cell.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
  const ref = { name: cell.metadata.name ?? '', namespace: cell.metadata.namespace };
  const updated = await deps.client.mergePatch<Cell>(CellType, ref, { metadata: { finalizers, resourceVersion: cell.metadata.resourceVersion } });
  cell.metadata.resourceVersion = updated.metadata.resourceVersion;
}

/** AWS says the listener, its load balancer or the rule is gone, or the ARN is not one: nothing to delete. */
function ruleCannotExist(err: unknown): boolean {
  const name = err instanceof Error ? err.name : '';
  return ['ListenerNotFoundException', 'LoadBalancerNotFoundException', 'RuleNotFoundException', 'ValidationError'].includes(name);
}

/** On deletion with cleanupOnDelete: delete the rule this Cell owns, then let the Cell go. */
async function finalize(deps: CellDeps, cell: Cell): Promise<CellPass> {
  if (!cell.metadata.finalizers?.includes(CLEANUP_FINALIZER) || deps.dryRun) return {};
  try {
    const rule = await observeRule(deps, cell).catch((err: unknown) => {
      if (ruleCannotExist(err)) return { kind: 'absent' } as const;
      throw err;
    });
    if (rule.kind === 'owned') {
      await deps.rules.deleteRule(rule.rule.arn);
      await deps.events.record(withKind(cell, CellType), { type: 'Normal', reason: 'RuleDeleted', message: `deleted listener rule ${rule.rule.arn} (cleanupOnDelete)` });
    }
  } catch (err) {
    // Throttled, an outage, access denied: keep the finalizer and retry with backoff. Letting the Cell go
    // now would leave its rule forwarding traffic (canary weights included) with nothing to clean it up.
    const message = `could not delete the listener rule (cleanupOnDelete): ${errorMessage(err)}; the Cell is kept until it is deleted (or remove the finalizer ${CLEANUP_FINALIZER} to leave the rule)`;
    await deps.events.record(withKind(cell, CellType), { type: 'Warning', reason: 'CleanupFailed', message });
    throw err;
  }
  const finalizers = (cell.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
  await deps.client.mergePatch(CellType, { name: cell.metadata.name ?? '', namespace: cell.metadata.namespace }, { metadata: { finalizers } });
  return {};
}
