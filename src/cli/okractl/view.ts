// The Cell view shared by `okractl describe`, `okractl watch` and the demo: a snapshot of what a person
// needs to follow a rollout (the Cell, the gate objects of its current rollout with their metric results,
// its Events), read from the API server only, and a pure renderer of that snapshot to text. Keeping the
// renderer pure lets the same frame be unit-tested, redrawn live and shown by the demo.
import { CoreTypes, type ResourceType } from '../../api/resource.js';
import { RolloutsTypes, type AnalysisRun, type MetricResult } from '../../api/rollouts/analysis.js';
import type { Experiment } from '../../api/rollouts/experiment.js';
import type { Condition } from '../../api/schema.js';
import { CellType, type CanaryStep, type Cell } from '../../api/v1alpha1/cell.js';
import { PauseType, type Pause } from '../../api/v1alpha1/pause.js';
import { GateLabels, gatePhase } from '../../controllers/cell/gates.js';
import { gateKey } from '../../controllers/cell/model.js';
import { stepsOf } from '../../controllers/cell/steps.js';
import type { KubeClient, KubeObject } from '../../kube/client.js';
import { isForbidden, isNotFound } from '../../kube/errors.js';
import { age } from '../common.js';
import { bar, fit, grid, painter, type Paint, type Style, type Styled } from './text.js';

/** One metric of an AnalysisRun, as its last measurement left it. */
export interface MetricView {
  readonly name: string;
  /** Phase of the metric: Pending, Running, Successful, Failed, Error or Inconclusive. */
  readonly phase: string;
  /** Value of the newest measurement, when there is one. */
  readonly value?: string | undefined;
  readonly message?: string | undefined;
  readonly measurements: number;
  readonly successful: number;
  readonly failed: number;
  readonly inconclusive: number;
  readonly error: number;
}

/** A gate of the Cell's current rollout: a step's or the background analysis' object and its result. */
export interface GateView {
  /** Step index as the controller labels it (0-based), or 'bg' for background analysis. */
  readonly step: string;
  readonly kind: 'AnalysisRun' | 'Experiment' | 'Pause' | 'Manual';
  readonly name: string;
  /** Phase of the object (a Pause is Running until it expires, then Successful). */
  readonly phase: string;
  readonly message?: string | undefined;
  /** Per-metric results (AnalysisRuns only). */
  readonly metrics: readonly MetricView[];
}

/** A core/v1 Event about the Cell. */
export interface EventView {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  /** When it last happened (ISO 8601), when known. */
  readonly lastSeen?: string | undefined;
  /** The component that reported it. */
  readonly source?: string | undefined;
}

/** Everything the Cell view shows, read at one moment. */
export interface CellSnapshot {
  readonly cell: Cell;
  /** Gates of the current target-group set, ordered by step (background last). */
  readonly gates: readonly GateView[];
  /** Events about the Cell, oldest first. */
  readonly events: readonly EventView[];
}

/** Events kept per snapshot (the newest). */
const MAX_EVENTS = 50;

/** Reads a Cell, its current gates and its Events; undefined when the Cell does not exist. */
export async function snapshotCell(client: KubeClient, namespace: string, name: string): Promise<CellSnapshot | undefined> {
  const cell = await client.get<Cell>(CellType, name, namespace);
  if (!cell) return undefined;
  const [gates, events] = await Promise.all([readGates(client, cell), readEvents(client, cell)]);
  return { cell, gates, events };
}

/** Lists objects of a type that may not be installed (the Argo Rollouts CRDs) or readable. */
async function listOptional<T extends KubeObject>(client: KubeClient, type: ResourceType, opts: { namespace: string; labelSelector?: string; fieldSelector?: string }): Promise<T[]> {
  try {
    return (await client.list<T>(type, opts)).items;
  } catch (err) {
    if (isNotFound(err) || isForbidden(err)) return [];
    throw err;
  }
}

async function readGates(client: KubeClient, cell: Cell): Promise<GateView[]> {
  const hash = gateKey(cell.status ?? {});
  const namespace = cell.metadata.namespace ?? '';
  const fromObjects: GateView[] = [];
  // Gates of superseded target-group sets are history; the view shows the current rollout's only.
  if (hash !== undefined) {
    const opts = { namespace, labelSelector: `${GateLabels.cell}=${cell.metadata.name ?? ''},${GateLabels.stateHash}=${hash}` };
    const [runs, experiments, pauses] = await Promise.all([
      listOptional<AnalysisRun>(client, RolloutsTypes.analysisRun, opts),
      listOptional<Experiment>(client, RolloutsTypes.experiment, opts),
      listOptional<Pause>(client, PauseType, opts),
    ]);
    fromObjects.push(...runs.map(analysisRunGate), ...experiments.map(experimentGate), ...pauses.map(pauseGate));
  }
  // Gates the status names but whose objects are gone (or not readable) still show, as the controller saw them.
  const seen = new Set(fromObjects.map((g) => `${g.kind}/${g.name}`));
  const fromStatus = (cell.status?.gates ?? [])
    .filter((g) => !seen.has(`${g.kind}/${g.name}`))
    .map((g): GateView => ({ step: g.step, kind: g.kind, name: g.name, phase: g.phase, message: g.message, metrics: [] }));
  return [...fromObjects, ...fromStatus].sort(byStep);
}

/** Argo writes '' before the first evaluation. */
function phaseOr(phase: string | undefined): string {
  return phase === undefined || phase === '' ? 'Pending' : phase;
}

function stepOf(obj: KubeObject): string {
  return obj.metadata.labels?.[GateLabels.stepIndex] ?? '';
}

function byStep(a: GateView, b: GateView): number {
  const rank = (g: GateView): number => (g.step === 'bg' ? Number.MAX_SAFE_INTEGER : Number(g.step));
  return rank(a) - rank(b) || a.name.localeCompare(b.name);
}

function analysisRunGate(run: AnalysisRun): GateView {
  return {
    step: stepOf(run),
    kind: 'AnalysisRun',
    name: run.metadata.name ?? '',
    phase: phaseOr(run.status?.phase),
    message: run.status?.message,
    metrics: (run.status?.metricResults ?? []).map(metricView),
  };
}

function metricView(m: MetricResult): MetricView {
  const last = m.measurements?.at(-1);
  return {
    name: m.name,
    phase: phaseOr(m.phase),
    value: last?.value,
    message: m.message ?? last?.message,
    measurements: m.count ?? m.measurements?.length ?? 0,
    ...metricCounts(m),
  };
}

function metricCounts(m: MetricResult): Pick<MetricView, 'successful' | 'failed' | 'inconclusive' | 'error'> {
  return { successful: m.successful ?? 0, failed: m.failed ?? 0, inconclusive: m.inconclusive ?? 0, error: m.error ?? 0 };
}

function experimentGate(exp: Experiment): GateView {
  return { step: stepOf(exp), kind: 'Experiment', name: exp.metadata.name ?? '', phase: phaseOr(exp.status?.phase), message: exp.status?.message, metrics: [] };
}

function pauseGate(pause: Pause): GateView {
  const raw = pause.status?.phase ?? '';
  return {
    step: stepOf(pause),
    kind: 'Pause',
    name: pause.metadata.name ?? '',
    phase: gatePhase('Pause', pause),
    message: raw === 'Cancelled' ? 'cancelled' : `until ${pause.spec.expireTime}`,
    metrics: [],
  };
}

/** A core/v1 Event as read (only the fields the view uses). */
interface CoreEvent extends KubeObject {
  involvedObject?: { uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string };
  reportingComponent?: string;
}

async function readEvents(client: KubeClient, cell: Cell): Promise<EventView[]> {
  const fieldSelector = `involvedObject.kind=Cell,involvedObject.name=${cell.metadata.name ?? ''}`;
  const items = await listOptional<CoreEvent>(client, CoreTypes.event, { namespace: cell.metadata.namespace ?? '', fieldSelector });
  const uid = cell.metadata.uid;
  // Events of an earlier Cell with the same name carry another uid.
  return items
    .filter((e) => !uid || !e.involvedObject?.uid || e.involvedObject.uid === uid)
    .map(eventView)
    .sort((a, b) => (a.lastSeen ?? '').localeCompare(b.lastSeen ?? ''))
    .slice(-MAX_EVENTS);
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === '' ? undefined : text;
}

function eventView(e: CoreEvent): EventView {
  return {
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? '',
    count: e.count ?? 1,
    lastSeen: e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp,
    source: nonEmpty(e.reportingComponent) ?? e.source?.component,
  };
}

// ---------------------------------------------------------------------------------------------------
// Rendering (pure)

/** How to render. */
export interface RenderOptions {
  /** ANSI colours (only for a terminal). */
  readonly color?: boolean;
  /** Terminal width: lines are cut to it and bars sized by it; absent means no limit. */
  readonly width?: number;
  /** The time ages are measured against (default: now). */
  readonly now?: Date;
  /** The describe view: adds conditions and every Event (the live view shows the last few). */
  readonly detail?: boolean;
}

interface Ctx {
  readonly paint: Paint;
  readonly width: number | undefined;
  readonly now: number;
  readonly detail: boolean;
}

/** Events the live view shows. */
const LIVE_EVENTS = 5;
/** Width of a weight bar when the terminal width is not known. */
const DEFAULT_BAR = 20;

/** Renders a snapshot as text (lines end with '\n'). */
export function renderCellView(snapshot: CellSnapshot, opts: RenderOptions = {}): string {
  const ctx: Ctx = { paint: painter(opts.color === true), width: opts.width, now: (opts.now ?? new Date()).getTime(), detail: opts.detail === true };
  const sections = [
    headerLines(snapshot.cell, ctx),
    stepLines(snapshot.cell, ctx),
    weightLines(snapshot.cell, ctx),
    gateLines(snapshot.gates, ctx),
    ctx.detail ? conditionLines(snapshot.cell.status?.conditions ?? [], ctx) : [],
    eventLines(snapshot.events, ctx),
  ].filter((s) => s.length > 0);
  return `${sections.map((s) => s.map((l) => fit(l, ctx.width)).join('\n')).join('\n\n')}\n`;
}

const PHASE_STYLE: Record<string, Style> = {
  Completed: 'green',
  Successful: 'green',
  Progressing: 'cyan',
  Running: 'cyan',
  Pending: 'cyan',
  Paused: 'yellow',
  Inconclusive: 'yellow',
  Degraded: 'red',
  InvalidSpec: 'red',
  Failed: 'red',
  Error: 'red',
};

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(14)}${value}`;
}

function headerLines(cell: Cell, ctx: Ctx): string[] {
  const s = cell.status ?? {};
  const phase = s.phase ?? 'Unknown';
  const reason = s.reason && s.reason !== phase ? ` (${s.reason})` : '';
  return [
    field('Name', cell.metadata.name ?? ''),
    field('Namespace', cell.metadata.namespace ?? ''),
    field('Phase', `${ctx.paint(PHASE_STYLE[phase] ?? 'bold', phase)}${reason}`),
    ...(s.message ? [field('Message', s.message)] : []),
    field('Desired', ctx.paint('green', s.desiredVersion ?? '-')),
    field('Stable', ctx.paint('blue', s.stableVersion ?? '-')),
    ...(s.canaryWeight === undefined ? [] : [field('Canary', `${s.canaryWeight}%`)]),
    field('Step', stepSummary(cell, ctx.now)),
    ...holdLines(cell, ctx),
  ];
}

/** Why the Cell is not moving on its own: frozen by spec.paused, or aborted. */
function holdLines(cell: Cell, ctx: Ctx): string[] {
  const s = cell.status ?? {};
  const lines: string[] = [];
  if (cell.spec.paused) lines.push(field('Paused', ctx.paint('yellow', 'spec.paused is set: steps and gates are frozen (okractl resume)')));
  if (s.abort) lines.push(field('Aborted', `${s.abortedAt ? `${age(s.abortedAt, ctx.now)} ago` : 'yes'} (okractl retry runs the steps again)`));
  return lines;
}

/** `2/3` for a Cell at its second of three steps (`3/3` once all passed), '-' without steps or progress. */
export function stepLabel(cell: Cell): string {
  const n = stepsOf(cell).length;
  const index = cell.status?.currentStepIndex;
  if (n === 0 || index === undefined) return '-';
  return `${Math.min(index + 1, n)}/${n}`;
}

function stepSummary(cell: Cell, now: number): string {
  const n = stepsOf(cell).length;
  const s = cell.status ?? {};
  if (n === 0) return 'none (a new version takes 100% at once)';
  if (s.currentStepIndex === undefined) return `-/${n}`;
  if (s.currentStepIndex >= n) return `${n}/${n}, all passed`;
  return `${stepLabel(cell)}${s.currentStepStartedAt ? `, started ${age(s.currentStepStartedAt, now)} ago` : ''}`;
}

/** A step in a few words, for example `setWeight 20%` or `pause until promoted`. */
export function describeStep(step: CanaryStep): string {
  if (step.setWeight !== undefined) return `setWeight ${step.setWeight}%`;
  if (step.pause !== undefined) {
    const d = step.pause.duration;
    return d === undefined ? 'pause until promoted' : `pause ${typeof d === 'number' ? `${d}s` : d}`;
  }
  if (step.analysis !== undefined) return `analysis ${templateNames(step.analysis.templates)}`;
  if (step.experiment !== undefined) {
    const names = step.experiment.templates.map((t) => t.name).join(', ');
    return `experiment ${names}${step.experiment.duration ? ` for ${step.experiment.duration}` : ''}`;
  }
  return step.setCanaryScale ? 'setCanaryScale (not supported)' : '(no action)';
}

function templateNames(templates: readonly { templateName: string }[] | undefined): string {
  return (templates ?? []).map((t) => t.templateName).join(', ') || '(no templates)';
}

function stepMarker(cell: Cell, i: number, paint: Paint): string {
  const s = cell.status ?? {};
  const index = s.currentStepIndex;
  if (index === undefined || i > index) return ' ';
  if (i < index) return paint('green', '✓');
  if (s.abort) return paint('red', '✗');
  return paint(s.phase === 'Paused' ? 'yellow' : 'cyan', '▶');
}

function stepLines(cell: Cell, ctx: Ctx): string[] {
  const steps = stepsOf(cell);
  if (steps.length === 0) return [];
  const rows = steps.map((step, i) => `  ${stepMarker(cell, i, ctx.paint)} ${String(i + 1).padStart(String(steps.length).length)}. ${describeStep(step)}`);
  const background = cell.spec.updateStrategy?.canary?.analysis;
  if (background?.templates?.length) rows.push(`  background analysis ${templateNames(background.templates)}, from step ${(background.startingStep ?? 0) + 1}`);
  return ['Steps:', ...rows];
}

function weightLines(cell: Cell, ctx: Ctx): string[] {
  const s = cell.status ?? {};
  const tgs = s.targetGroups ?? [];
  const ignored = (s.ignoredTargetGroups ?? []).map((i) => `  ignored ${i.name}: ${i.reason}`);
  if (tgs.length === 0) return ['Weights:      none yet (no listener rule read back)', ...ignored];
  const nameWidth = Math.max(...tgs.map((t) => t.name.length));
  const versionWidth = Math.max(1, ...tgs.map((t) => (t.version ?? '-').length));
  const prefix = 2 + nameWidth + 2 + versionWidth + 2 + 4 + 2;
  const barWidth = ctx.width === undefined ? DEFAULT_BAR : Math.max(10, Math.min(40, ctx.width - prefix));
  const rows = tgs.map((t) => {
    const style: Style | undefined = t.version === s.desiredVersion && s.desiredVersion !== s.stableVersion ? 'green' : t.version === s.stableVersion ? 'blue' : undefined;
    const { filled, empty } = bar(t.weight, barWidth);
    return `  ${t.name.padEnd(nameWidth)}  ${(t.version ?? '-').padEnd(versionWidth)}  ${`${t.weight}%`.padStart(4)}  ${ctx.paint(style, filled)}${ctx.paint('dim', empty)}`;
  });
  const pending = s.pendingWeights ? [`  new weights written ${age(s.pendingWeights.requestedAt, ctx.now)} ago, waiting to read them back`] : [];
  return ['Weights:', ...rows, ...pending, ...ignored];
}

function gateLines(gates: readonly GateView[], ctx: Ctx): string[] {
  if (gates.length === 0) return [];
  const rows: Styled[][] = [[['STEP'], ['KIND'], ['NAME'], ['PHASE'], ['MESSAGE']]];
  const lines = grid(
    [
      ...rows,
      ...gates.map((g): Styled[] => [[g.step === 'bg' ? 'bg' : String(Number(g.step) + 1)], [g.kind], [g.name], [g.phase, PHASE_STYLE[g.phase]], [g.message ?? '']]),
    ],
    ctx.paint,
  );
  // Each gate's metrics go right under its row.
  const out = ['Gates:', lines[0] ?? ''];
  gates.forEach((g, i) => out.push(lines[i + 1] ?? '', ...g.metrics.map((m) => `      ${metricLine(m, ctx.paint)}`)));
  return out;
}

function metricLine(m: MetricView, paint: Paint): string {
  const counts = [
    [m.successful, 'successful'],
    [m.failed, 'failed'],
    [m.inconclusive, 'inconclusive'],
    [m.error, 'error'],
  ] as const;
  const tally = counts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  const parts = [
    `metric ${m.name}: ${paint(PHASE_STYLE[m.phase], m.phase)}`,
    ...(m.value === undefined ? [] : [`last value ${m.value}`]),
    `${m.measurements} measurement${m.measurements === 1 ? '' : 's'}${tally.length > 0 ? ` (${tally.join(', ')})` : ''}`,
    ...(m.message ? [m.message] : []),
  ];
  return parts.join(', ');
}

function conditionLines(conditions: readonly Condition[], ctx: Ctx): string[] {
  if (conditions.length === 0) return [field('Conditions', '<none>')];
  const rows = conditions.map((c): Styled[] => [[c.type], [c.status, c.status === 'True' ? 'bold' : undefined], [c.reason], [age(c.lastTransitionTime, ctx.now)], [c.message]]);
  return ['Conditions:', ...grid([[['TYPE'], ['STATUS'], ['REASON'], ['AGE'], ['MESSAGE']], ...rows], ctx.paint)];
}

function eventLines(events: readonly EventView[], ctx: Ctx): string[] {
  if (events.length === 0) return [field('Events', '<none>')];
  const shown = ctx.detail ? events : events.slice(-LIVE_EVENTS);
  const rows = shown.map((e): Styled[] => [
    [e.type, e.type === 'Warning' ? 'yellow' : undefined],
    [e.reason],
    [`${age(e.lastSeen, ctx.now)}${e.count > 1 ? ` (x${e.count})` : ''}`],
    [e.source ?? ''],
    [e.message],
  ]);
  return ['Events:', ...grid([[['TYPE'], ['REASON'], ['AGE'], ['FROM'], ['MESSAGE']], ...rows], ctx.paint)];
}
