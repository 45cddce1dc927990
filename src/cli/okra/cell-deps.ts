// The Cell reconciler's dependencies outside okrad. okrad feeds the reconciler from informers (list +
// watch, kept current); a one-shot CLI pass only needs what the cache would hold right now, so each
// input is one LIST call held in a snapshot with the informer's `list`/`get` shape. Taking a fresh
// snapshot per pass is what lets `okra run cell` drive a rollout without any watch.
import { RolloutsTypes, type AnalysisRun } from '../../api/rollouts/analysis.js';
import type { Experiment } from '../../api/rollouts/experiment.js';
import type { ResourceType } from '../../api/resource.js';
import { AWSTargetGroupType, type AWSTargetGroup } from '../../api/v1alpha1/awstargetgroup.js';
import { PauseType, type Pause } from '../../api/v1alpha1/pause.js';
import { VersionBlocklistType, type VersionBlocklist } from '../../api/v1alpha1/versionblocklist.js';
import type { ListenerRulesPort } from '../../aws/elbv2.js';
import { GateLabels, KubeGates } from '../../controllers/cell/gates.js';
import type { CellDeps } from '../../controllers/cell/reconciler.js';
import type { KubeClient, KubeObject, ListOptions } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { systemClock } from '../../runtime/clock.js';
import type { EventRecorder } from '../../runtime/events.js';
import { silentLogger } from '../../runtime/log.js';

/** A read-only cache filled once: the `list`/`get` half of an Informer. */
export class ListSnapshot<T extends KubeObject> {
  constructor(private readonly items: readonly T[]) {}

  /** Objects, optionally in one namespace (as Informer.list). */
  list(namespace?: string): T[] {
    return this.items.filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }

  /** One object by name and namespace (as Informer.get). */
  get(name: string, namespace?: string): T | undefined {
    return this.items.find((o) => o.metadata.name === name && o.metadata.namespace === namespace);
  }
}

/** One LIST into a snapshot. */
export async function loadSnapshot<T extends KubeObject>(client: KubeClient, type: ResourceType, opts: ListOptions): Promise<ListSnapshot<T>> {
  return new ListSnapshot((await client.list<T>(type, opts)).items);
}

/** As loadSnapshot, but undefined when the API is not served (the Argo Rollouts CRDs are not installed). */
async function optionalSnapshot<T extends KubeObject>(client: KubeClient, type: ResourceType, opts: ListOptions): Promise<ListSnapshot<T> | undefined> {
  try {
    return await loadSnapshot<T>(client, type, opts);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** What a CLI Cell pass is wired with. */
export interface CliCellWiring {
  readonly client: KubeClient;
  readonly rules: ListenerRulesPort;
  readonly events: EventRecorder;
  readonly cell: { readonly name: string; readonly namespace: string };
  /** Extra labels on AnalysisRuns the pass creates (the builtin engine's instance id). */
  readonly analysisRunLabels?: Readonly<Record<string, string>> | undefined;
  /** Observe and decide only (okra plan cell, --dry-run). */
  readonly dryRun: boolean;
}

/**
 * CellDeps as the Cell controller builds them, from one LIST per input: the namespace's AWSTargetGroups,
 * the Cell's VersionBlocklist, and the gate objects labelled with the Cell.
 */
export async function cliCellDeps(w: CliCellWiring): Promise<CellDeps> {
  const { client, cell } = w;
  const gatesOf = { namespace: cell.namespace, labelSelector: `${GateLabels.cell}=${cell.name}` };
  const [targetGroups, blocklists, pauses, analysisRuns, experiments] = await Promise.all([
    loadSnapshot<AWSTargetGroup>(client, AWSTargetGroupType, { namespace: cell.namespace }),
    loadSnapshot<VersionBlocklist>(client, VersionBlocklistType, { namespace: cell.namespace, fieldSelector: `metadata.name=${cell.name}` }),
    loadSnapshot<Pause>(client, PauseType, gatesOf),
    optionalSnapshot<AnalysisRun>(client, RolloutsTypes.analysisRun, gatesOf),
    optionalSnapshot<Experiment>(client, RolloutsTypes.experiment, gatesOf),
  ]);
  const gates = new KubeGates({ client, pauses, analysisRuns, experiments, log: silentLogger(), analysisRunLabels: w.analysisRunLabels });
  return { client, targetGroups, blocklists, rules: w.rules, gates, events: w.events, clock: systemClock, dryRun: w.dryRun };
}
