// How listings and single objects print with -o json|yaml: a listing keeps one shape whatever its size.
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { printObject, printObjects } from './common.js';

const obj = (name: string) => ({ apiVersion: 'okra.mumo.co/v1alpha1', kind: 'Cell', metadata: { name } });
const row = (o: ReturnType<typeof obj>): string[] => [o.metadata.name];

function printed(print: () => void): string {
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    print();
    return write.mock.calls.map(([chunk]) => String(chunk)).join('');
  } finally {
    write.mockRestore();
  }
}

describe('printObjects', () => {
  it.each([0, 1, 2])('prints a List of %i item(s) with -o json and -o yaml', (n) => {
    const items = Array.from({ length: n }, (_, i) => obj(`c${i}`));
    const want = { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
    expect(JSON.parse(printed(() => { printObjects({ output: 'json' }, items, ['name'], row); }))).toEqual(want);
    expect(parse(printed(() => { printObjects({ output: 'yaml' }, items, ['name'], row); }))).toEqual(want);
  });

  it('prints a table, or a note when there is nothing', () => {
    expect(printed(() => { printObjects({ output: 'table' }, [obj('web')], ['name'], row); })).toBe('NAME\nweb\n');
    expect(printed(() => { printObjects({ output: 'table' }, [], ['name'], row); })).toBe('No resources found.\n');
  });
});

describe('printObject', () => {
  it.each<'json' | 'yaml'>(['json', 'yaml'])('prints the object itself with -o %s', (output) => {
    const text = printed(() => { printObject({ output }, obj('web'), ['name'], row); });
    expect(output === 'json' ? JSON.parse(text) : parse(text)).toEqual(obj('web'));
  });

  it('prints a one-row table', () => {
    expect(printed(() => { printObject({ output: 'table' }, obj('web'), ['name'], row); })).toBe('NAME\nweb\n');
  });
});
