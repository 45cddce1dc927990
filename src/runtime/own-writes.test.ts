import { describe, expect, it } from 'vitest';
import { OwnWrites } from './own-writes.js';

const obj = (rv: string, status: object, extra: { generation?: number; labels?: Record<string, string> } = {}) => ({
  metadata: { resourceVersion: rv, generation: extra.generation ?? 1, labels: extra.labels ?? {} },
  status,
});

describe('OwnWrites', () => {
  it('recognises the echo of our own status write and nothing else', () => {
    const writes = new OwnWrites();
    writes.record('ns/a', '10', { phase: 'Progressing' });
    const before = obj('9', { phase: 'Pending' });
    expect(writes.isEcho('ns/a', obj('10', { phase: 'Progressing' }), before)).toBe(true);
    // okractl patched a status field after us:
    expect(writes.isEcho('ns/a', obj('11', { phase: 'Progressing', promoteStep: 1 }), obj('10', { phase: 'Progressing' }))).toBe(false);
    // someone changed the spec (generation) or labels in the same version chain:
    expect(writes.isEcho('ns/a', obj('10', { phase: 'Progressing' }, { generation: 2 }), before)).toBe(false);
    expect(writes.isEcho('ns/a', obj('10', { phase: 'Progressing' }, { labels: { x: 'y' } }), before)).toBe(false);
    expect(writes.isEcho('ns/b', obj('10', { phase: 'Progressing' }), before)).toBe(false);
  });

  it('tells whether a cached version is the one we wrote', () => {
    const writes = new OwnWrites();
    writes.record('ns/a', '10', {});
    expect(writes.isOwnVersion('ns/a', '10')).toBe(true);
    expect(writes.isOwnVersion('ns/a', '9')).toBe(false);
    writes.forget('ns/a');
    expect(writes.isOwnVersion('ns/a', '10')).toBe(false);
  });
});
