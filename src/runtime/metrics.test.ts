import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('drops a deleted Cell’s gauges and keeps the others', async () => {
    const m = new Metrics();
    m.observeCell('prod', 'web', { phase: 'Degraded', canaryWeight: 0, currentStepIndex: 1 });
    m.observeCell('prod', 'api', { phase: 'Completed', canaryWeight: 100, currentStepIndex: 3 });
    m.forgetCell('prod', 'web');
    const text = await m.registry.metrics();
    expect(text).not.toMatch(/cell="web"/);
    expect(text).toMatch(/okra_cell_phase\{namespace="prod",cell="api",phase="Completed"\} 1/);
    expect(text).toMatch(/okra_cell_canary_weight\{namespace="prod",cell="api"\} 100/);
  });

  it('drops the request series of a cluster that is gone and keeps the others', async () => {
    const m = new Metrics();
    const blue = m.kubeObserver('blue');
    blue({ verb: 'list', resource: 'targetgroupbindings', code: 200, durationMs: 1 });
    blue({ verb: 'list', resource: 'targetgroupbindings', code: 0, durationMs: 1 });
    m.kubeObserver('green')({ verb: 'list', resource: 'targetgroupbindings', code: 200, durationMs: 1 });
    m.forgetCluster('blue');
    const text = await m.registry.metrics();
    expect(text).not.toMatch(/cluster="blue"/);
    expect(text).toMatch(/okra_kubernetes_requests_total\{cluster="green",verb="list",resource="targetgroupbindings",code="200"\} 1/);
  });
});
