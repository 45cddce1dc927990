// okractl's program: its name follows the binary (kubectl plugin or not), and `get` knows every alias.
import { describe, expect, it } from 'vitest';
import type { Cell } from '../../api/v1alpha1/cell.js';
import { LISTABLES, listableOf } from './get.js';
import { okractlProgram, programName } from './program.js';

describe('programName', () => {
  it.each([
    ['/usr/local/bin/kubectl-okra', 'kubectl okra'],
    ['/app/node_modules/.bin/okractl', 'okractl'],
    ['/app/dist/src/cli/okractl.js', 'okractl'],
    ['/work/src/cli/okractl.ts', 'okractl'],
    [undefined, 'okractl'],
  ])('%s → %s', (argv1, want) => {
    expect(programName(argv1)).toBe(want);
  });

  it('puts the name in every usage line', () => {
    const program = okractlProgram('kubectl okra');
    expect(program.helpInformation()).toContain('Usage: kubectl okra [options] [command]');
    const get = program.commands.find((c) => c.name() === 'get');
    expect(get?.helpInformation()).toContain('Usage: kubectl okra get [options] <resource> [name]');
  });
});

describe('get resources', () => {
  it.each([
    ['cells', 'Cell'],
    ['cell', 'Cell'],
    ['Cells', 'Cell'],
    ['cells.okra.mumo.co', 'Cell'],
    ['cs', 'ClusterSet'],
    ['clusterset', 'ClusterSet'],
    ['awstargetgroupsets', 'AWSTargetGroupSet'],
    ['tgs', 'AWSTargetGroupSet'],
    ['tg', 'AWSTargetGroup'],
    ['awstargetgroup', 'AWSTargetGroup'],
    ['vbl', 'VersionBlocklist'],
  ])('%s → %s', (name, kind) => {
    expect(listableOf(name)?.type.kind).toBe(kind);
  });

  it('knows no other resources', () => {
    expect(listableOf('pods')).toBeUndefined();
  });

  it('gives each row as many cells as the table has headers', () => {
    const cell: Cell = { metadata: { name: 'web', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { ingress: {} } };
    const cellKind = LISTABLES.find((l) => l.type.kind === 'Cell');
    expect(cellKind?.row(cell, Date.parse('2026-01-01T00:00:30Z'))).toEqual(['web', '', '', '', '', '-', '30s']);
    const rows = LISTABLES.map((l) => [l, l.row({ metadata: {}, spec: { items: [], arn: 'a' } } as never, 0)] as const);
    for (const [l, row] of rows) expect(row).toHaveLength(l.headers.length);
  });
});
