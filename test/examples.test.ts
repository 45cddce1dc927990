// Every manifest in examples/ is what the README's walkthrough tells users to apply, so each one must be
// accepted by the real apiserver (the generated CRDs and Argo Rollouts' own), parse with okra's schemas,
// and each AnalysisTemplate must pass the builtin engine's validation.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ZodType } from 'zod';
import { CoreTypes, type ResourceType } from '../src/api/resource.js';
import { AnalysisTemplateSchema, RolloutsTypes } from '../src/api/rollouts/analysis.js';
import { AWSTargetGroupSetSchema, AWSTargetGroupSetType } from '../src/api/v1alpha1/awstargetgroupset.js';
import { CellSchema, CellType } from '../src/api/v1alpha1/cell.js';
import { ClusterSetSchema, ClusterSetType } from '../src/api/v1alpha1/clusterset.js';
import { VersionBlocklistSchema, VersionBlocklistType } from '../src/api/v1alpha1/versionblocklist.js';
import { metricsProblem } from '../src/analysis/assess.js';
import type { KubeObject } from '../src/kube/client.js';
import { repoRoot } from './stack/paths.js';
import { managementClient } from './support/env.js';
import { createNamespace } from './support/namespaces.js';

const KINDS: Record<string, { type: ResourceType; schema?: ZodType }> = {
  ClusterSet: { type: ClusterSetType, schema: ClusterSetSchema },
  AWSTargetGroupSet: { type: AWSTargetGroupSetType, schema: AWSTargetGroupSetSchema },
  Cell: { type: CellType, schema: CellSchema },
  VersionBlocklist: { type: VersionBlocklistType, schema: VersionBlocklistSchema },
  AnalysisTemplate: { type: RolloutsTypes.analysisTemplate, schema: AnalysisTemplateSchema },
  Secret: { type: CoreTypes.secret },
};

const dir = join(repoRoot, 'examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const documents = files.flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => ({ file, object: doc.toJS() as KubeObject & { kind: string } })));

describe('examples/', () => {
  const client = managementClient();
  let namespace: string;

  beforeAll(async () => {
    namespace = await createNamespace(client, 'examples');
  });

  it('covers the walkthrough: ClusterSet, AWSTargetGroupSet, Cell, Datadog and CloudWatch templates, VersionBlocklist', () => {
    const kinds = documents.map((d) => d.object.kind);
    expect(new Set(kinds)).toEqual(new Set(['ClusterSet', 'AWSTargetGroupSet', 'Cell', 'AnalysisTemplate', 'Secret', 'VersionBlocklist']));
    const providers = documents.filter((d) => d.object.kind === 'AnalysisTemplate').flatMap((d) => AnalysisTemplateSchema.parse(d.object).spec.metrics.map((m) => Object.keys(m.provider)[0]));
    expect(providers.sort()).toEqual(['cloudWatch', 'datadog']);
    const cell = CellSchema.parse(documents.find((d) => d.object.kind === 'Cell')?.object);
    const steps = cell.spec.updateStrategy?.canary?.steps ?? [];
    expect(steps.some((s) => s.setWeight !== undefined) && steps.some((s) => s.pause !== undefined) && steps.some((s) => s.analysis !== undefined)).toBe(true);
  });

  it.each(documents.map((d) => [`${d.file}: ${d.object.kind} ${d.object.metadata.name ?? ''}`, d] as const))('%s parses with okra\'s schemas', (_name, { object }) => {
    const kind = KINDS[object.kind];
    expect(kind, `no test mapping for kind ${object.kind}`).toBeDefined();
    kind?.schema?.parse(object);
    if (object.kind === 'AnalysisTemplate') expect(metricsProblem(AnalysisTemplateSchema.parse(object).spec.metrics)).toBeUndefined();
  });

  it.each(documents.map((d) => [`${d.file}: ${d.object.kind} ${d.object.metadata.name ?? ''}`, d] as const))('%s is accepted by the apiserver', async (_name, { object }) => {
    const kind = KINDS[object.kind];
    if (!kind) throw new Error(`no test mapping for kind ${object.kind}`);
    const created = await client.create(kind.type, { ...object, metadata: { ...object.metadata, namespace } });
    expect(created.metadata.uid).toBeTruthy();
  });
});
