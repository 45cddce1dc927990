import { describe, expect, it } from 'vitest';
import { objectName } from './shared.js';

describe('objectName', () => {
  it('takes NAME or --name', () => {
    expect(objectName('web', {}, 'Cell')).toBe('web');
    expect(objectName(undefined, { name: 'web' }, 'Cell')).toBe('web');
    expect(objectName('web', { name: 'web' }, 'Cell')).toBe('web');
  });

  it('refuses none, or two different names', () => {
    expect(() => objectName(undefined, {}, 'Cell')).toThrow('missing Cell name: pass NAME (or --name NAME)');
    expect(() => objectName('web', { name: 'api' }, 'Cell')).toThrow('Cell name given twice: web and --name api');
  });
});
