// Generates CustomResourceDefinitions from the zod schemas, so the TypeScript types, the boundary
// validation and the API server's validation come from one source. Output is a structural OpenAPI v3
// schema (KEP-2335): no anyOf/oneOf, no additionalProperties:false, int-or-string and preserved-unknown
// fields marked with the x-kubernetes extensions.
import { z } from 'zod';
import type { ResourceType } from './resource.js';
import { INT_OR_STRING } from './schema.js';

/** A JSON schema node as zod emits it and the CRD carries it. */
export type JsonSchema = Record<string, unknown>;

/** One column of `kubectl get`. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

/** Everything needed to generate one CRD. */
export interface CrdDefinition {
  readonly type: ResourceType;
  readonly description: string;
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  readonly printerColumns: readonly PrinterColumn[];
  readonly shortNames?: readonly string[];
}

/** Rewrites zod's JSON schema output into a structural schema the API server accepts. */
export function toStructural(node: JsonSchema): JsonSchema {
  if (node[INT_OR_STRING] === true) {
    return withDescription({ [INT_OR_STRING]: true }, node);
  }
  if (node.anyOf !== undefined || node.oneOf !== undefined || node.allOf !== undefined) {
    throw new Error(`structural schemas cannot use anyOf/oneOf/allOf: ${JSON.stringify(node).slice(0, 200)}`);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    const converted = convertKeyword(key, value, node);
    if (converted !== undefined) out[key] = converted;
  }
  if (isEmptyObject(node.additionalProperties)) {
    delete out.additionalProperties;
    out['x-kubernetes-preserve-unknown-fields'] = true;
  }
  return out;
}

const DROPPED_KEYWORDS = new Set(['$schema', 'propertyNames', 'id', '$id']);

function convertKeyword(key: string, value: unknown, node: JsonSchema): unknown {
  if (DROPPED_KEYWORDS.has(key)) return undefined;
  if (key === 'additionalProperties') return value === false ? undefined : convertChild(value);
  // zod adds its own ISO regex to date-time strings; the format is what Kubernetes validates.
  if (key === 'pattern' && node.format === 'date-time') return undefined;
  if (key === 'required' && Array.isArray(value) && value.length === 0) return undefined;
  if (key === 'properties') return mapValues(value as Record<string, JsonSchema>, toStructural);
  if (key === 'items') return convertChild(value);
  return value;
}

function convertChild(value: unknown): unknown {
  return typeof value === 'object' && value !== null && !isEmptyObject(value) ? toStructural(value as JsonSchema) : value;
}

function withDescription(out: JsonSchema, from: JsonSchema): JsonSchema {
  return from.description === undefined ? out : { description: from.description, ...out };
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function mapValues(record: Record<string, JsonSchema>, fn: (v: JsonSchema) => JsonSchema): Record<string, JsonSchema> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

/** Converts one zod schema to a structural JSON schema (input shape, so defaults stay optional). */
export function schemaOf(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' }) as JsonSchema;
  return toStructural(json);
}

/** Builds the CustomResourceDefinition object for one kind. */
export function buildCrd(def: CrdDefinition): JsonSchema {
  const { group, version, kind, plural } = def.type;
  const openAPIV3Schema = {
    description: def.description,
    type: 'object',
    properties: {
      apiVersion: { description: 'APIVersion of this object: okra.mumo.co/v1alpha1.', type: 'string' },
      kind: { description: `Kind of this object: ${kind}.`, type: 'string' },
      metadata: { type: 'object' },
      spec: { description: `Desired state of the ${kind}.`, ...schemaOf(def.spec) },
      status: { description: `Observed state of the ${kind}, written by the controller.`, ...schemaOf(def.status) },
    },
    required: ['spec'],
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: {
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        categories: ['okra'],
        ...(def.shortNames ? { shortNames: [...def.shortNames] } : {}),
      },
      scope: 'Namespaced',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}
