// Gates of a Cell's steps as Kubernetes objects: a Pause for `pause: {duration}`, an Argo Rollouts
// AnalysisRun for `analysis` and the background analysis, an Experiment for `experiment`. Each is owned
// by the Cell and labelled with the Cell, the step and the hash of the target-group set, so gates of two
// Cells never mix and gates of a superseded set are recognised and removed.
import type { Logger } from 'pino';
import { CoreTypes } from '../../api/resource.js';
import { RolloutsTypes, type AnalysisRun, type AnalysisTemplate } from '../../api/rollouts/analysis.js';
import type { Experiment } from '../../api/rollouts/experiment.js';
import type { Cell, CanaryStep } from '../../api/v1alpha1/cell.js';
import { PauseType, type Pause } from '../../api/v1alpha1/pause.js';
import { providerProblem } from '../../analysis/assess.js';
import { GateSpecError, buildAnalysisRun, stepArgValue } from '../../analysis/run-builder.js';
import type { KubeClient, KubeObject } from '../../kube/client.js';
import { isAlreadyExists } from '../../kube/errors.js';
import type { Informer } from '../../kube/informer.js';
import { type GatePhase, type GateState, backgroundRunNamed, gateKey } from './model.js';
import { gateKindOf, pauseDuration, stepsOf } from './steps.js';

/** Label keys on gate objects (the first two are the original okra's). */
export const GateLabels = {
  cellLegacy: 'cell',
  stepIndex: 'okra.mumo.co/step-index',
  stateHash: 'okra.mumo.co/cell-state-hash',
  cell: 'okra.mumo.co/cell',
} as const;

/** What to start. */
export interface GateStart {
  readonly gate: 'step' | 'background';
  readonly stepIndex: number;
  readonly name: string;
}

/** Where gates live. */
export interface GatePort {
  /** The gate of the Cell's current step and its background analysis, if they exist. */
  observe(cell: Cell): { stepGate?: GateState; backgroundGate?: GateState };
  /** Creates a gate (idempotent). Throws GateSpecError for a spec problem to show on the Cell. */
  start(cell: Cell, gate: GateStart, context: { hash: string; stepStartedAt: Date }): Promise<void>;
  /** Deletes gates of other target-group sets, and stops background analysis once the rollout is over. */
  housekeeping(cell: Cell, keepHash: string | undefined, rolloutOver: boolean): Promise<void>;
}

type GateObject = KubeObject & { status?: { phase?: string | undefined; message?: string | undefined } | undefined };

/** The normalised phase of a gate object. */
export function gatePhase(kind: GateState['kind'], obj: GateObject): GatePhase {
  const phase = obj.status?.phase ?? '';
  if (kind === 'Pause') return phase === 'Expired' || phase === 'Cancelled' ? 'Successful' : 'Running';
  if (phase === 'Successful' || phase === 'Failed' || phase === 'Error' || phase === 'Inconclusive' || phase === 'Running') return phase;
  return 'Pending';
}

/** Finished AnalysisRuns of superseded sets kept per Cell by default. */
export const DEFAULT_ANALYSIS_RUN_HISTORY = 5;

/** The newest `keep` finished AnalysisRuns among `gates`. */
function finishedHistory(gates: readonly { kind: GateState['kind']; obj: GateObject }[], keep: number): GateObject[] {
  return gates
    .filter(({ kind, obj }) => kind === 'AnalysisRun' && ['Successful', 'Failed', 'Error', 'Inconclusive'].includes(obj.status?.phase ?? ''))
    .map(({ obj }) => obj)
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (b.metadata.name ?? '').localeCompare(a.metadata.name ?? ''))
    .slice(0, keep);
}

/**
 * An AnalysisRun still running and not yet told to stop. Once the rollout is over (completed, aborted)
 * none has anything left to gate: background analysis runs until told, and a step's run outlives an
 * abort or promote --full. Argo Rollouts cancels them all then too.
 */
function needsTermination(run: AnalysisRun): boolean {
  const finished = ['Successful', 'Failed', 'Error', 'Inconclusive'].includes(run.status?.phase ?? '');
  return run.spec.terminate !== true && !finished;
}

/**
 * The background run the Cell's status names (a promote of an Inconclusive one starts another), else the
 * newest. While the named one is not in the cache, decide sees an older run and starts the named one.
 */
function currentBackgroundRun<G extends { obj: GateObject }>(cell: Cell, runs: readonly G[]): G | undefined {
  const named = backgroundRunNamed(cell.status ?? {});
  const byName = runs.find(({ obj }) => obj.metadata.name === named);
  if (byName) return byName;
  return [...runs].sort((a, b) => (b.obj.metadata.creationTimestamp ?? '').localeCompare(a.obj.metadata.creationTimestamp ?? '') || (b.obj.metadata.name ?? '').length - (a.obj.metadata.name ?? '').length)[0];
}

/**
 * A step's analysis must end for the step to: a metric measured at an interval without a count never
 * does (Argo Rollouts' docs say such a step analysis "won't be executed"; the original okra refuses it).
 */
function refuseEndless(run: AnalysisRun, where: string): void {
  const endless = run.spec.metrics.find((m) => m.interval !== undefined && m.interval !== '' && (m.count === undefined || m.count === 0 || m.count === '0'));
  if (endless) throw new GateSpecError(`${where}: metric ${endless.name} has an interval but no count, so the step would never finish; set count`);
}

/**
 * With okra's builtin engine a run whose provider it lacks could only end in Error, which aborts the
 * rollout and blocklists a version nothing was measured of: refused as the Cell's spec problem instead.
 */
function refuseUnsupportedProviders(run: AnalysisRun, where: string): void {
  for (const metric of run.spec.metrics) {
    const problem = providerProblem(metric);
    if (problem) throw new GateSpecError(`${where}: metric ${metric.name}: ${problem}`);
  }
}

/** Gates backed by the API server, read from informers. */
export class KubeGates implements GatePort {
  constructor(
    private readonly deps: {
      client: KubeClient;
      // Only `list` is read, so a one-shot snapshot (okra sync cell) can stand in for an informer.
      pauses: Pick<Informer<Pause>, 'list'>;
      /** Absent when the Argo Rollouts CRDs are not installed. */
      analysisRuns?: Pick<Informer<AnalysisRun>, 'list'> | undefined;
      experiments?: Pick<Informer<Experiment>, 'list'> | undefined;
      log: Logger;
      /** Extra labels on AnalysisRuns: okra's controller instance id when its builtin engine evaluates them. */
      analysisRunLabels?: Readonly<Record<string, string>> | undefined;
      /** Finished AnalysisRuns of superseded target-group sets kept per Cell, newest first. */
      analysisRunHistory?: number | undefined;
    },
  ) {}

  observe(cell: Cell): { stepGate?: GateState; backgroundGate?: GateState } {
    const hash = gateKey(cell.status ?? {});
    if (hash === undefined) return {};
    const mine = this.gateObjects(cell).filter(({ obj }) => obj.metadata.labels?.[GateLabels.stateHash] === hash);
    const toState = ({ kind, obj }: { kind: GateState['kind']; obj: GateObject }): GateState => {
      const stepLabel = obj.metadata.labels?.[GateLabels.stepIndex] ?? '';
      return {
        kind,
        name: obj.metadata.name ?? '',
        phase: gatePhase(kind, obj),
        ...(obj.status?.message ? { message: obj.status.message } : {}),
        step: stepLabel === 'bg' ? 'bg' : Number(stepLabel),
        hash,
      };
    };
    const index = cell.status?.currentStepIndex ?? 0;
    const step = String(index);
    // Only a gate of the kind the step now is: a Pause left at this index by steps since edited must not
    // stand in for the analysis that replaced it.
    const kind = gateKindOf(stepsOf(cell)[index]);
    const stepObj = mine.find((g) => g.kind === kind && g.obj.metadata.labels?.[GateLabels.stepIndex] === step);
    const bgObj = currentBackgroundRun(cell, mine.filter(({ obj }) => obj.metadata.labels?.[GateLabels.stepIndex] === 'bg'));
    return { ...(stepObj ? { stepGate: toState(stepObj) } : {}), ...(bgObj ? { backgroundGate: toState(bgObj) } : {}) };
  }

  async start(cell: Cell, gate: GateStart, context: { hash: string; stepStartedAt: Date }): Promise<void> {
    const labels = {
      [GateLabels.cellLegacy]: cell.metadata.name ?? '',
      [GateLabels.cell]: cell.metadata.name ?? '',
      [GateLabels.stepIndex]: gate.gate === 'background' ? 'bg' : String(gate.stepIndex),
      [GateLabels.stateHash]: context.hash,
    };
    try {
      await this.create(cell, gate, { labels, stepStartedAt: context.stepStartedAt });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  private async create(cell: Cell, gate: GateStart, ctx: { labels: Record<string, string>; stepStartedAt: Date }): Promise<void> {
    const step = stepsOf(cell)[gate.stepIndex];
    const where = `spec.updateStrategy.canary.steps[${gate.stepIndex}]`;
    if (gate.gate === 'background') {
      await this.startAnalysis(cell, gate.name, ctx.labels, { where: 'spec.updateStrategy.canary.analysis', analysis: cell.spec.updateStrategy?.canary?.analysis });
    } else if (step?.pause) {
      await this.startPause(cell, { name: gate.name, labels: ctx.labels, step, startedAt: ctx.stepStartedAt });
    } else if (step?.analysis) {
      await this.startAnalysis(cell, gate.name, ctx.labels, { where: `${where}.analysis`, analysis: step.analysis });
    } else if (step?.experiment) {
      await this.startExperiment(cell, gate.name, ctx.labels, gate.stepIndex);
    }
  }

  async housekeeping(cell: Cell, keepHash: string | undefined, rolloutOver: boolean): Promise<void> {
    const superseded = this.gateObjects(cell).filter(({ obj }) => obj.metadata.labels?.[GateLabels.stateHash] !== keepHash);
    const history = new Set(finishedHistory(superseded, this.deps.analysisRunHistory ?? DEFAULT_ANALYSIS_RUN_HISTORY));
    for (const { type, obj } of this.gateObjects(cell)) {
      const ref = { name: obj.metadata.name ?? '', namespace: obj.metadata.namespace };
      if (obj.metadata.labels?.[GateLabels.stateHash] !== keepHash) {
        // A superseded gate goes (a running AnalysisRun stops being evaluated with it); the newest few
        // finished runs stay for `kubectl get analysisruns` and post-mortems.
        if (!history.has(obj)) await this.deps.client.delete(type, ref, { uid: obj.metadata.uid ?? '' });
      } else if (rolloutOver && type === RolloutsTypes.analysisRun && needsTermination(obj as AnalysisRun)) {
        // A run left running when the rollout is over would query its provider for nothing: stop it.
        await this.deps.client.mergePatch(type, ref, { spec: { terminate: true } });
      }
    }
  }

  private gateObjects(cell: Cell): { kind: GateState['kind']; type: typeof PauseType; obj: GateObject }[] {
    const ns = cell.metadata.namespace;
    const ofCell = (o: KubeObject): boolean => o.metadata.labels?.[GateLabels.cell] === cell.metadata.name;
    return [
      ...this.deps.pauses.list(ns).filter(ofCell).map((obj) => ({ kind: 'Pause' as const, type: PauseType, obj: obj })),
      ...(this.deps.analysisRuns?.list(ns).filter(ofCell) ?? []).map((obj) => ({ kind: 'AnalysisRun' as const, type: RolloutsTypes.analysisRun, obj: obj })),
      ...(this.deps.experiments?.list(ns).filter(ofCell) ?? []).map((obj) => ({ kind: 'Experiment' as const, type: RolloutsTypes.experiment, obj: obj })),
    ];
  }

  private owner(cell: Cell): NonNullable<KubeObject['metadata']['ownerReferences']> {
    return [{ apiVersion: 'okra.mumo.co/v1alpha1', kind: 'Cell', name: cell.metadata.name ?? '', uid: cell.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }];
  }

  private async startPause(cell: Cell, { name, labels, step, startedAt }: { name: string; labels: Record<string, string>; step: CanaryStep; startedAt: Date }): Promise<void> {
    const duration = pauseDuration(step);
    const ms = typeof duration === 'number' ? duration : 0;
    await this.deps.client.create<Pause>(PauseType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'Pause',
      metadata: { name, namespace: cell.metadata.namespace, labels, ownerReferences: this.owner(cell) },
      spec: { expireTime: new Date(startedAt.getTime() + ms).toISOString() },
    });
  }

  private async startAnalysis(
    cell: Cell,
    name: string,
    labels: Record<string, string>,
    { where, analysis }: { where: string; analysis: NonNullable<CanaryStep['analysis']> | undefined },
  ): Promise<void> {
    if (!this.deps.analysisRuns) throw new GateSpecError(`${where}: the Argo Rollouts CRDs (argoproj.io AnalysisRun) are not installed`);
    const templates = await Promise.all((analysis?.templates ?? []).map((ref) => this.template(cell, ref, where)));
    const run = buildAnalysisRun({ cell, name, templates, stepArgs: analysis?.args ?? [], labels: { ...labels, ...this.deps.analysisRunLabels }, where, rules: analysis });
    if (labels[GateLabels.stepIndex] !== 'bg') refuseEndless(run, where);
    // analysisRunLabels are set exactly when okra's builtin engine evaluates the runs.
    if (this.deps.analysisRunLabels) refuseUnsupportedProviders(run, where);
    await this.deps.client.create(RolloutsTypes.analysisRun, run);
  }

  private async template(cell: Cell, ref: { templateName: string; clusterScope?: boolean | undefined }, where: string): Promise<AnalysisTemplate> {
    const type = ref.clusterScope ? RolloutsTypes.clusterAnalysisTemplate : RolloutsTypes.analysisTemplate;
    const found = await this.deps.client.get<AnalysisTemplate>(type, ref.templateName, ref.clusterScope ? undefined : cell.metadata.namespace);
    if (!found) throw new GateSpecError(`${where}: ${type.kind} ${ref.templateName} not found${ref.clusterScope ? '' : ` in namespace ${cell.metadata.namespace ?? ''}`}`);
    return found;
  }

  private async startExperiment(cell: Cell, name: string, labels: Record<string, string>, stepIndex: number): Promise<void> {
    const where = `spec.updateStrategy.canary.steps[${stepIndex}].experiment`;
    if (!this.deps.experiments) throw new GateSpecError(`${where}: the Argo Rollouts CRDs (argoproj.io Experiment) are not installed`);
    const step = stepsOf(cell)[stepIndex]?.experiment;
    const templates = await Promise.all(
      (step?.templates ?? []).map(async (t) => {
        const rs = await this.deps.client.get<KubeObject & { spec?: { selector?: Record<string, unknown>; template?: Record<string, unknown> } }>(CoreTypes.replicaSet, t.specRef, cell.metadata.namespace);
        if (!rs?.spec?.template) throw new GateSpecError(`${where}: ReplicaSet ${t.specRef} not found in namespace ${cell.metadata.namespace ?? ''}`);
        return { name: t.name, ...(t.replicas === undefined ? {} : { replicas: t.replicas }), selector: t.selector ?? rs.spec.selector ?? {}, template: rs.spec.template };
      }),
    );
    const analyses = (step?.analyses ?? []).map((a) => ({
      name: a.name,
      templateName: a.templateName,
      ...(a.clusterScope ? { clusterScope: true } : {}),
      ...(a.requiredForCompletion ? { requiredForCompletion: true } : {}),
      // A secretKeyRef is left for the experiment controller to read; an arg with no value is refused.
      args: (a.args ?? []).map((arg) => stepArgValue(cell, arg, `${where}.analyses[${a.name}]`)),
    }));
    await this.deps.client.create<Experiment>(RolloutsTypes.experiment, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Experiment',
      metadata: { name, namespace: cell.metadata.namespace, labels, ownerReferences: this.owner(cell) },
      spec: { ...(step?.duration ? { duration: step.duration } : {}), templates, analyses },
    });
  }
}
