// okra commands for Cells: `sync cell` (one controller pass), `plan cell` (the next pass, decided but
// not applied) and `run cell` (passes in-process until the rollout ends, for CI). Every pass is the
// Cell controller's own reconcileCell; only its inputs come from one LIST each instead of informers.
import { Option, type Command } from 'commander';
import { parseDuration } from '../../api/duration.js';
import { RolloutsTypes, type AnalysisRun } from '../../api/rollouts/analysis.js';
import { CellType, type Cell } from '../../api/v1alpha1/cell.js';
import { PauseType, type Pause } from '../../api/v1alpha1/pause.js';
import type { BlockedVersion } from '../../api/v1alpha1/versionblocklist.js';
import { completed } from '../../analysis/assess.js';
import { CloudWatchProvider } from '../../analysis/providers/cloudwatch.js';
import { engineDeps } from '../../analysis/providers/index.js';
import { SdkListenerRules } from '../../aws/elbv2.js';
import { DEFAULT_INSTANCE_ID, INSTANCE_ID_LABEL } from '../../controllers/analysisrun/index.js';
import { reconcileAnalysisRun, type AnalysisRunDeps } from '../../controllers/analysisrun/reconciler.js';
import { GateLabels } from '../../controllers/cell/gates.js';
import type { Decision } from '../../controllers/cell/model.js';
import { reconcileCell, type CellPass } from '../../controllers/cell/reconciler.js';
import { reconcilePause } from '../../controllers/pause/reconciler.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { readSecretData } from '../../kube/secrets.js';
import { systemClock } from '../../runtime/clock.js';
import type { EventRecorder } from '../../runtime/events.js';
import { awsSettingsOf, CliError, ExitCode, globals, invalidSpecExit, kubeClient, namespaceOf, type GlobalOptions } from '../common.js';
import { asked, follow, forVersionFlag } from '../followed.js';
import { cliCellDeps } from './cell-deps.js';
import { describeDecision } from './cell-report.js';
import { driveCell, type CellDriver } from './cell-run.js';
import { eventRecorder, objectName, printDocument, type NameOption } from './shared.js';

/** The Cell a command works on, and its clients. */
interface CellTarget {
  readonly g: GlobalOptions;
  readonly client: KubeClient;
  readonly name: string;
  readonly namespace: string;
}

async function cellTarget(positional: string | undefined, opts: NameOption, cmd: Command): Promise<CellTarget & { cell: Cell }> {
  const g = globals(cmd);
  const client = kubeClient(g);
  const name = objectName(positional, opts, 'Cell');
  const namespace = namespaceOf(g);
  const cell = await client.get<Cell>(CellType, name, namespace);
  if (!cell) throw new CliError(`Cell ${namespace}/${name} not found`, ExitCode.notFound);
  return { g, client, name, namespace, cell };
}

/** One reconcileCell pass; a spec problem (TerminalError) becomes exit code 4. */
async function cellPass(t: CellTarget, opts: { dryRun: boolean; events: EventRecorder; analysisRunLabels?: Record<string, string> | undefined }): Promise<CellPass> {
  const deps = await cliCellDeps({
    client: t.client,
    rules: new SdkListenerRules(awsSettingsOf(t.g)),
    events: opts.events,
    cell: { name: t.name, namespace: t.namespace },
    analysisRunLabels: opts.analysisRunLabels,
    dryRun: opts.dryRun,
  });
  return reconcileCell(deps, { name: t.name, namespace: t.namespace, resync: true }).catch(invalidSpecExit(`Cell ${t.namespace}/${t.name}`));
}

/** Prints a pass: the decision object with -o yaml|json or --dry-run, else readable lines under `heading`. */
function printPass(t: CellTarget, decision: Decision, opts: { heading: string; asDocument: boolean }): void {
  if (opts.asDocument || t.g.output === 'yaml' || t.g.output === 'json') printDocument(t.g, decision);
  else process.stdout.write([opts.heading, ...describeDecision(decision).map((l) => `  ${l}`)].join('\n') + '\n');
  // An invalid Cell fails the command, so CI notices.
  if (decision.status.phase === 'InvalidSpec') process.exitCode = ExitCode.invalidSpec;
}

function deletingNote(t: CellTarget, dryRun: boolean): void {
  const what = dryRun ? 'nothing to plan' : 'its cleanup finalizer was processed';
  process.stdout.write(`Cell ${t.namespace}/${t.name} is being deleted; ${what}\n`);
}

/** Registers `sync cell`. */
export function registerCellSync(sync: Command): void {
  sync
    .command('cell')
    .description('run one Cell controller pass: observe, decide, apply at most one action, update status')
    .argument('[name]', 'Cell name')
    .option('--name <name>', 'Cell name (as okra 0.x spelled it)')
    .option('--dry-run', 'print what the pass would write (listener rule action, Cell status) as YAML; write nothing')
    .action(async (positional: string | undefined, opts: NameOption & { dryRun?: boolean }, cmd: Command) => {
      const t = await cellTarget(positional, opts, cmd);
      const dryRun = opts.dryRun === true;
      const pass = await cellPass(t, { dryRun, events: eventRecorder(t.client, dryRun) });
      if (!pass.decision) {
        deletingNote(t, dryRun);
        return;
      }
      printPass(t, pass.decision, { heading: `cell/${t.name} synced`, asDocument: dryRun });
    });
}

/** Registers `plan cell`. */
export function registerCellPlan(plan: Command): void {
  plan
    .command('cell')
    .description('show what the next Cell pass would do (action, weights per target group, phase); write nothing')
    .argument('[name]', 'Cell name')
    .option('--name <name>', 'Cell name (as okra 0.x spelled it)')
    .action(async (positional: string | undefined, opts: NameOption, cmd: Command) => {
      const t = await cellTarget(positional, opts, cmd);
      const pass = await cellPass(t, { dryRun: true, events: eventRecorder(t.client, true) });
      if (!pass.decision) {
        deletingNote(t, true);
        return;
      }
      printPass(t, pass.decision, { heading: `plan for cell/${t.name} (nothing written):`, asDocument: false });
    });
}

/** Parses a duration flag (30s, 5m, 1h30m, 500ms). */
export function durationFlag(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new CliError(`expected a duration such as 500ms, 30s or 10m, got ${JSON.stringify(value)}`);
  return ms;
}

interface RunCellOptions extends NameOption {
  untilComplete?: boolean;
  timeout: number;
  interval: number;
  forVersion?: string;
  analysisEngine: 'builtin' | 'none';
  controllerNamespace: string;
}

/** Where okrad runs when the chart is installed as the README says (`-n okra-system`). */
export const DEFAULT_CONTROLLER_NAMESPACE = 'okra-system';

/**
 * `--controller-namespace`: okrad's namespace, where the builtin engine reads the default `datadog`
 * Secret. Read from $POD_NAMESPACE as okrad reads it, so `run cell` finds the Secret okrad would;
 * never the Cell's namespace, where it is not.
 */
export function controllerNamespaceOption(): Option {
  return new Option('--controller-namespace <ns>', "okrad's namespace, where the default `datadog` Secret is read")
    .env('POD_NAMESPACE')
    .default(DEFAULT_CONTROLLER_NAMESPACE);
}

/** Registers `run cell`. */
export function registerCellRun(run: Command): void {
  run
    .command('cell')
    .description('drive a Cell in-process, pass after pass, until its rollout completes (0), rolls back or stops short (2), times out (3) or is invalid (4)')
    .argument('[name]', 'Cell name')
    .option('--name <name>', 'Cell name (as okra 0.x spelled it)')
    .option('--until-complete', 'wait through Paused and Pending (a manual promotion, missing target groups) instead of stopping there with 0')
    .addOption(new Option('--timeout <duration>', 'give up after this long (exit 3)').argParser(durationFlag).default(600_000, '10m'))
    .addOption(new Option('--interval <duration>', 'longest wait between passes').argParser(durationFlag).default(2000, '2s'))
    .addOption(new Option('--for-version <version>', 'wait for the rollout of this version (ignore the outcome of earlier ones); without it, the version in flight when the run starts').argParser(forVersionFlag))
    .addOption(
      new Option('--analysis-engine <engine>', "who evaluates the Cell's AnalysisRuns: builtin (this process, like okrad) or none (okrad or Argo Rollouts elsewhere)")
        .choices(['builtin', 'none'])
        .default('builtin'),
    )
    .addOption(controllerNamespaceOption())
    .action(async (positional: string | undefined, opts: RunCellOptions, cmd: Command) => {
      const t = await cellTarget(positional, opts, cmd);
      const builtin = opts.analysisEngine === 'builtin';
      const cloudWatch = builtin ? new CloudWatchProvider(awsSettingsOf(t.g)) : undefined;
      try {
        const driver = new CliCellDriver(t, builtin ? analysisDeps(t, opts.controllerNamespace, cloudWatch) : undefined);
        // The Cell as read before the first pass: a version in flight then is the one this run is about.
        const followed = follow(asked(opts.forVersion), t.cell.status ?? {});
        const loop = { untilComplete: opts.untilComplete === true, timeoutMs: opts.timeout, intervalMs: opts.interval, followed };
        const finish = await driveCell(driver, loop, (line) => {
          process.stdout.write(`${line}\n`);
        });
        if (finish.code !== ExitCode.ok) throw new CliError(`Cell ${t.namespace}/${t.name} ${finish.message}`, finish.code);
        process.stdout.write(`${finish.message}\n`);
      } finally {
        cloudWatch?.close();
      }
    });
}

/** The builtin engine as okrad wires it, the default `datadog` Secret read from okrad's namespace. */
function analysisDeps(t: CellTarget, controllerNamespace: string, cloudWatch: CloudWatchProvider | undefined): AnalysisRunDeps {
  const engine = engineDeps({ readSecret: (ns, name) => readSecretData(t.client, ns, name), controllerNamespace, cloudWatch });
  return { client: t.client, engine, events: eventRecorder(t.client, false) };
}

/** Runs the Cell's gates and passes against the cluster and AWS, as okrad's controllers would. */
class CliCellDriver implements CellDriver {
  private readonly events: EventRecorder;
  private readonly rules: SdkListenerRules;
  private lastBlocklist: readonly BlockedVersion[] = [];

  constructor(
    private readonly t: CellTarget,
    private readonly analysis: AnalysisRunDeps | undefined,
  ) {
    this.events = eventRecorder(t.client, false);
    this.rules = new SdkListenerRules(awsSettingsOf(t.g));
  }

  async gates(): Promise<number | undefined> {
    const waits = [...(await this.pauses()), ...(await this.analysisRuns())];
    return waits.length > 0 ? Math.min(...waits) : undefined;
  }

  async pass(): Promise<CellPass> {
    const { client, name, namespace } = this.t;
    const labels = this.analysis ? { [INSTANCE_ID_LABEL]: DEFAULT_INSTANCE_ID } : undefined;
    const deps = await cliCellDeps({ client, rules: this.rules, events: this.events, cell: { name, namespace }, analysisRunLabels: labels, dryRun: false });
    this.lastBlocklist = deps.blocklists.get(name, namespace)?.spec.items ?? [];
    return reconcileCell(deps, { name, namespace, resync: true });
  }

  blocklist(): readonly BlockedVersion[] {
    return this.lastBlocklist;
  }

  private ofCell(): string {
    return `${GateLabels.cell}=${this.t.name}`;
  }

  /** The Pause controller's pass for each of the Cell's running Pauses. */
  private async pauses(): Promise<number[]> {
    const { client, namespace } = this.t;
    const { items } = await client.list<Pause>(PauseType, { namespace, labelSelector: this.ofCell() });
    const waits: number[] = [];
    for (const pause of items.filter((p) => p.status?.phase !== 'Expired' && p.status?.phase !== 'Cancelled')) {
      const result = await reconcilePause({ client, clock: systemClock }, { name: pause.metadata.name ?? '', namespace });
      if (result.requeueAfterMs !== undefined) waits.push(result.requeueAfterMs);
    }
    return waits;
  }

  /** The builtin engine's pass for each of the Cell's unfinished AnalysisRuns (those labelled for it). */
  private async analysisRuns(): Promise<number[]> {
    const deps = this.analysis;
    if (!deps) return [];
    const labelSelector = `${this.ofCell()},${INSTANCE_ID_LABEL}=${DEFAULT_INSTANCE_ID}`;
    const items = await deps.client.list<AnalysisRun>(RolloutsTypes.analysisRun, { namespace: this.t.namespace, labelSelector }).then(
      (list) => list.items,
      // Without the Argo Rollouts CRDs there are no runs; the Cell pass reports the analysis step as InvalidSpec.
      (err: unknown) => {
        if (isNotFound(err)) return [];
        throw err;
      },
    );
    const waits: number[] = [];
    for (const run of items.filter((r) => !completed(r.status?.phase))) {
      const result = await reconcileAnalysisRun(deps, { name: run.metadata.name ?? '', namespace: this.t.namespace });
      if (result.requeueAfterMs !== undefined) waits.push(result.requeueAfterMs);
    }
    return waits;
  }
}
