// Terminal text for okractl's views, pure: optional ANSI colour, columns aligned on visible text (so
// colour never shifts a column), lines cut to the terminal width, and weight bars.

/** A colour or emphasis the views use. */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'blue' | 'cyan';

/** Paints text in a style; the identity when colour is off. */
export type Paint = (style: Style | undefined, text: string) => string;

const ESC = String.fromCharCode(27);
const SGR: Record<Style, string> = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', blue: '34', cyan: '36' };
/** One SGR escape sequence, anchored and global variants. */
const ANSI_AT_START = new RegExp(`^${ESC}\\[[0-9;]*m`);
const ANSI_ALL = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');
const RESET = `${ESC}[0m`;

/** A painter: ANSI SGR sequences when `color`, plain text otherwise. */
export function painter(color: boolean): Paint {
  return (style, text) => (color && style && text !== '' ? `${ESC}[${SGR[style]}m${text}${RESET}` : text);
}

/** Text without ANSI sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_ALL, '');
}

/** Columns the text takes on a terminal (one per code point; the views use no wide characters). */
export function visibleLength(text: string): number {
  return Array.from(stripAnsi(text)).length;
}

/** Cuts a line to `width` visible columns, ending in '…' (colour is reset after a cut). */
export function fit(line: string, width: number | undefined): string {
  if (width === undefined || visibleLength(line) <= width) return line;
  let out = '';
  let visible = 0;
  let i = 0;
  while (i < line.length && visible < width - 1) {
    const escape = ANSI_AT_START.exec(line.slice(i));
    if (escape) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i) ?? 32);
    out += ch;
    i += ch.length;
    visible++;
  }
  return `${out}…${line.includes(ESC) ? RESET : ''}`;
}

/** A table cell: its text and an optional style. */
export type Styled = readonly [text: string, style?: Style | undefined];

/** Aligns rows into columns (widths from the plain text), two spaces apart, each line indented. */
export function grid(rows: readonly (readonly Styled[])[], paint: Paint, indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach(([text], i) => (widths[i] = Math.max(widths[i] ?? 0, Array.from(text).length)));
  return rows.map((row) => {
    const cells = row.map(([text, style], i) => paint(style, i === row.length - 1 ? text : pad(text, widths[i] ?? 0)));
    return `${indent}${cells.join('  ')}`.trimEnd();
  });
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - Array.from(text).length));
}

/** A bar of `width` cells, `percent` of them filled. */
export function bar(percent: number, width: number): { filled: string; empty: string } {
  const full = Math.max(0, Math.min(width, Math.round((percent / 100) * width)));
  return { filled: '█'.repeat(full), empty: '░'.repeat(width - full) };
}
