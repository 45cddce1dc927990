// Terminal text helpers: colour never changes layout, cuts respect visible width.
import { describe, expect, it } from 'vitest';
import { bar, fit, grid, painter, stripAnsi, visibleLength } from './text.js';

describe('text', () => {
  const color = painter(true);
  const plain = painter(false);

  it('paints only with colour on', () => {
    expect(color('red', 'x')).toBe('\u001b[31mx\u001b[0m');
    expect(plain('red', 'x')).toBe('x');
    expect(color(undefined, 'x')).toBe('x');
  });

  it('measures and cuts on visible characters', () => {
    const line = `ab${color('green', 'cdef')}gh`;
    expect(visibleLength(line)).toBe(8);
    expect(fit(line, 8)).toBe(line);
    expect(stripAnsi(fit(line, 5))).toBe('abcd…');
    expect(fit(line, 5).endsWith('\u001b[0m')).toBe(true);
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('abcdef', undefined)).toBe('abcdef');
  });

  it('aligns columns on the text, not the escapes', () => {
    const rows = [
      [['A'], ['B']],
      [['long', 'red'], ['x']],
    ] as const;
    expect(grid(rows, plain)).toEqual(['  A     B', '  long  x']);
    expect(grid(rows, color).map(stripAnsi)).toEqual(['  A     B', '  long  x']);
  });

  it.each([
    [0, 10, '', '░░░░░░░░░░'],
    [50, 10, '█████', '░░░░░'],
    [100, 10, '██████████', ''],
    [33, 20, '███████', '░░░░░░░░░░░░░'],
  ])('bar(%i, %i)', (percent, width, filled, empty) => {
    expect(bar(percent, width)).toEqual({ filled, empty });
  });
});
