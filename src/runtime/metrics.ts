// Prometheus metrics of the controller manager: reconciles, work queues and API calls. Everything is
// registered on one registry per manager, so tests and several managers in one process do not clash.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestObserver } from '../kube/client.js';
import type { ControllerMetrics, ReconcileOutcome } from './controller.js';

const CELL_PHASES = ['Pending', 'Progressing', 'Paused', 'Completed', 'Degraded', 'InvalidSpec'] as const;

/** The manager's metrics. */
export class Metrics implements ControllerMetrics {
  readonly registry = new Registry();
  private readonly reconcileTotal = new Counter({
    name: 'okra_reconcile_total',
    help: 'Reconciles by controller and outcome.',
    labelNames: ['controller', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly reconcileErrors = new Counter({
    name: 'okra_reconcile_errors_total',
    help: 'Reconciles that failed with a transient error.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  private readonly reconcileDuration = new Histogram({
    name: 'okra_reconcile_duration_seconds',
    help: 'Duration of reconciles by controller.',
    labelNames: ['controller'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly queueDepthGauge = new Gauge({
    name: 'okra_workqueue_depth',
    help: 'Keys waiting in a controller work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  /** The label sets of okra_kubernetes_requests_total seen per cluster, so a gone cluster's can be removed. */
  private readonly kubeSeries = new Map<string, Map<string, { cluster: string; verb: string; resource: string; code: string }>>();
  /** Kubernetes API requests by verb, resource and HTTP code (0 = no response). */
  readonly kubeRequests = new Counter({
    name: 'okra_kubernetes_requests_total',
    help: 'Kubernetes API requests by verb, resource and HTTP status code.',
    labelNames: ['cluster', 'verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });
  /** AWS API calls by service, operation and outcome. */
  readonly awsRequests = new Counter({
    name: 'okra_aws_requests_total',
    help: 'AWS API calls by service, operation and outcome (success or the error name).',
    labelNames: ['service', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  /** 1 for each Cell's current phase (the label `phase`), 0 for its other phases. */
  readonly cellPhase = new Gauge({
    name: 'okra_cell_phase',
    help: 'Phase of each Cell: 1 for the current phase.',
    labelNames: ['namespace', 'cell', 'phase'] as const,
    registers: [this.registry],
  });
  /** The desired version's share of a Cell's traffic. */
  readonly cellCanaryWeight = new Gauge({
    name: 'okra_cell_canary_weight',
    help: 'Weight (percent) of the desired version in the Cell listener rule.',
    labelNames: ['namespace', 'cell'] as const,
    registers: [this.registry],
  });
  /** The Cell's current step. */
  readonly cellStepIndex = new Gauge({
    name: 'okra_cell_step_index',
    help: 'Index of the canary step a Cell is at (the number of steps once complete).',
    labelNames: ['namespace', 'cell'] as const,
    registers: [this.registry],
  });
  /** Completed analysis runs by phase (builtin engine) or as observed (Argo Rollouts). */
  readonly analysisRuns = new Counter({
    name: 'okra_analysis_run_results_total',
    help: 'AnalysisRuns that reached a final phase, by phase.',
    labelNames: ['namespace', 'phase'] as const,
    registers: [this.registry],
  });

  /** Drops a deleted Cell's gauges, so dashboards and alerts do not keep showing its last state. */
  forgetCell(namespace: string, cell: string): void {
    for (const phase of CELL_PHASES) this.cellPhase.remove({ namespace, cell, phase });
    this.cellCanaryWeight.remove({ namespace, cell });
    this.cellStepIndex.remove({ namespace, cell });
  }

  /** Records a Cell's status in the Cell gauges. */
  observeCell(namespace: string, cell: string, status: { phase?: string | undefined; canaryWeight?: number | undefined; currentStepIndex?: number | undefined }): void {
    for (const phase of CELL_PHASES) {
      this.cellPhase.set({ namespace, cell, phase }, status.phase === phase ? 1 : 0);
    }
    this.cellCanaryWeight.set({ namespace, cell }, status.canaryWeight ?? 0);
    this.cellStepIndex.set({ namespace, cell }, status.currentStepIndex ?? 0);
  }

  /** An AWS call observer feeding okra_aws_requests_total. */
  awsObserver(): (call: { service: string; operation: string; outcome: string }) => void {
    return ({ service, operation, outcome }) => {
      this.awsRequests.inc({ service, operation, outcome });
    };
  }

  reconciled(controller: string, outcome: ReconcileOutcome, seconds: number): void {
    this.reconcileTotal.inc({ controller, outcome });
    if (outcome === 'error') this.reconcileErrors.inc({ controller });
    this.reconcileDuration.observe({ controller }, seconds);
  }

  queueDepth(controller: string, depth: number): void {
    this.queueDepthGauge.set({ controller }, depth);
  }

  /** A request observer for a KubeClient talking to `cluster`. */
  kubeObserver(cluster: string): RequestObserver {
    return ({ verb, resource, code }) => {
      const labels = { cluster, verb, resource, code: String(code) };
      this.kubeRequests.inc(labels);
      const seen = this.kubeSeries.get(cluster) ?? new Map<string, typeof labels>();
      seen.set(`${verb} ${resource} ${labels.code}`, labels);
      this.kubeSeries.set(cluster, seen);
    };
  }

  /**
   * Drops the request series of a cluster that is gone. Clusters are replaced routinely, and every one
   * would otherwise stay on /metrics for the life of the process.
   */
  forgetCluster(cluster: string): void {
    for (const labels of this.kubeSeries.get(cluster)?.values() ?? []) this.kubeRequests.remove(labels);
    this.kubeSeries.delete(cluster);
  }
}
