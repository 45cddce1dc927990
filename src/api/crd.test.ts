import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { buildCrd, schemaOf, toStructural, type JsonSchema } from './crd.js';
import { renderCrdFiles } from './crd-files.js';
import { renderCrdReference } from './crd-reference.js';
import { intOrString } from './schema.js';
import { okraCrds } from './v1alpha1/crds.js';

/** Paths of every property below spec and status that has no description. */
function undocumented(node: JsonSchema, path: string): string[] {
  const missing: string[] = [];
  const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, child] of Object.entries(properties)) {
    const childPath = `${path}.${name}`;
    if (typeof child.description !== 'string' || child.description === '') missing.push(childPath);
    missing.push(...undocumented(child, childPath));
  }
  if (typeof node.items === 'object' && node.items !== null) missing.push(...undocumented(node.items as JsonSchema, `${path}[]`));
  if (typeof node.additionalProperties === 'object' && node.additionalProperties !== null) {
    missing.push(...undocumented(node.additionalProperties as JsonSchema, `${path}{}`));
  }
  return missing;
}

function rootSchema(crd: JsonSchema): JsonSchema {
  const spec = crd.spec as { versions: { schema: { openAPIV3Schema: JsonSchema } }[] };
  return spec.versions[0]!.schema.openAPIV3Schema;
}

describe('generated CRDs', () => {
  it.each(okraCrds.map((d) => [d.type.kind, d] as const))('%s documents every field', (_kind, def) => {
    const root = rootSchema(buildCrd(def));
    const props = root.properties as Record<string, JsonSchema>;
    expect(undocumented(props.spec!, 'spec')).toEqual([]);
    expect(undocumented(props.status!, 'status')).toEqual([]);
  });

  it('the description check flags a field without one', () => {
    const schema = schemaOf(z.object({ a: z.object({ b: z.string() }).describe('has one') }));
    expect(undocumented(schema, 'spec')).toEqual(['spec.a.b']);
  });

  it('are committed and match the schemas (run npm run gen:crds after changing src/api)', () => {
    for (const dir of ['crds', join('charts', 'okra', 'crds')]) {
      for (const [file, content] of renderCrdFiles()) {
        const path = join(import.meta.dirname, '..', '..', dir, file);
        expect(existsSync(path), `${path} exists`).toBe(true);
        expect(readFileSync(path, 'utf8'), `${path} is current`).toBe(content);
      }
    }
  });

  it('docs/crd-reference.md is committed and matches the schemas', () => {
    const path = join(import.meta.dirname, '..', '..', 'docs', 'crd-reference.md');
    expect(readFileSync(path, 'utf8')).toBe(renderCrdReference());
  });

  it('the reference lists every field with its description', () => {
    const reference = renderCrdReference();
    expect(reference).toContain('| `spec.updateStrategy.canary.steps[].setWeight` |');
    expect(reference).toContain('| `status.stableVersion` | string | The last version whose rollout completed. |');
    expect(reference).toMatch(/### VersionBlocklist/);
  });

  it('marks int-or-string fields and keeps their description', () => {
    expect(schemaOf(z.object({ d: intOrString('wait') })).properties).toEqual({
      d: { description: 'wait', 'x-kubernetes-int-or-string': true },
    });
  });

  it('turns loose objects into preserved unknown fields and drops additionalProperties:false', () => {
    expect(toStructural({ type: 'object', additionalProperties: {} })).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(toStructural({ type: 'object', additionalProperties: false })).toEqual({ type: 'object' });
  });

  it('refuses unions that a structural schema cannot express', () => {
    expect(() => schemaOf(z.object({ u: z.union([z.string(), z.object({ a: z.string() })]) }))).toThrow(/anyOf/);
  });
});
