// What the demo applies to the management cluster: the same kinds a user applies (see examples/), wired
// to the demo's ALB listener and metrics server, with short intervals so the story fits in a minute.
import type { AnalysisTemplate } from '../src/api/rollouts/analysis.js';
import type { AWSTargetGroupSet } from '../src/api/v1alpha1/awstargetgroupset.js';
import type { Cell } from '../src/api/v1alpha1/cell.js';
import type { ClusterSet } from '../src/api/v1alpha1/clusterset.js';

/** Namespace the demo works in (Argo CD's role: cluster Secrets live here). */
export const DEMO_NAMESPACE = 'okra-demo';
/** EKS tag every demo cluster carries; the ClusterSet selects on it. */
export const SERVICE_TAG = { service: 'web' } as const;

const meta = (name: string): { name: string; namespace: string } => ({ name, namespace: DEMO_NAMESPACE });

/** EKS clusters tagged service=web → Argo CD cluster Secrets with the version from the okra-version tag. */
export function clusterSet(): ClusterSet {
  return {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'ClusterSet',
    metadata: meta('web'),
    spec: {
      generators: [{ awseks: { selector: { matchTags: { ...SERVICE_TAG } }, versionFromTag: 'okra-version' } }],
      template: { metadata: { labels: { ...SERVICE_TAG } } },
      syncInterval: '2s',
    },
  };
}

/** TargetGroupBindings labelled app=web in those clusters → AWSTargetGroups. */
export function targetGroupSet(): AWSTargetGroupSet {
  return {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'AWSTargetGroupSet',
    metadata: meta('web'),
    spec: {
      generators: [{ awseks: { clusterSelector: { matchLabels: { ...SERVICE_TAG } }, bindingSelector: { matchLabels: { app: 'web' } } } }],
      template: { metadata: { labels: { app: 'web' } } },
      syncInterval: '2s',
    },
  };
}

/** The canary's error rate, measured twice 2s apart, must stay under 1%; one bad reading is tolerated. */
export function errorRateTemplate(metricsUrl: string): AnalysisTemplate {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: meta('error-rate'),
    spec: {
      args: [{ name: 'version' }],
      metrics: [
        {
          name: 'error-rate',
          count: 2,
          interval: '2s',
          failureLimit: 1,
          successCondition: 'result < 0.01',
          provider: { web: { url: `${metricsUrl}/error-rate/{{args.version}}`, jsonPath: '{$.rate}' } },
        },
      ],
    },
  };
}

/** The Cell: setWeight 20 → analysis → setWeight 50 → pause 5s → 100%. */
export function cell(listenerArn: string): Cell {
  return {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'Cell',
    metadata: meta('web'),
    spec: {
      ingress: {
        type: 'AWSApplicationLoadBalancer',
        awsApplicationLoadBalancer: {
          listenerARN: listenerArn,
          listener: { rule: { priority: 10, hosts: ['web.example.com'] } },
          targetGroupSelector: { matchLabels: { app: 'web' } },
        },
      },
      updateStrategy: {
        type: 'Canary',
        canary: {
          steps: [
            { setWeight: 20 },
            { analysis: { templates: [{ templateName: 'error-rate' }], args: [{ name: 'version', valueFrom: { fieldRef: { fieldPath: 'status.desiredVersion' } } }] } },
            { setWeight: 50 },
            { pause: { duration: 5 } },
          ],
        },
      },
    },
  };
}
