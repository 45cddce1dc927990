// Prometheus metrics of the controller manager: reconciles, work queues and API calls. Everything is
// registered on one registry per manager, so tests and several managers in one process do not clash.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestObserver } from '../kube/client.js';
import type { ControllerMetrics, ReconcileOutcome } from './controller.js';

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
      this.kubeRequests.inc({ cluster, verb, resource, code: String(code) });
    };
  }
}
