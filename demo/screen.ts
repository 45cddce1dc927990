// The demo's live view: on a terminal the screen is redrawn in place; elsewhere (CI, a pipe) a frame is
// printed only when it changed, so the log reads as the story's key moments.
import type { Writable } from 'node:stream';

/** Where the demo draws. */
export class Screen {
  private lastFrame = '';
  private readonly notes: string[] = [];

  constructor(
    private readonly out: Writable,
    readonly tty: boolean,
  ) {}

  /** Adds a line to the running commentary under the view. */
  note(line: string): void {
    this.notes.push(`${new Date().toISOString().slice(11, 19)}  ${line}`);
    if (!this.tty) this.out.write(`${this.notes.at(-1) ?? ''}\n`);
  }

  /** Shows a frame (plus the commentary on a terminal); unchanged frames are not written again. */
  show(frame: string): void {
    if (this.tty) {
      const full = `${frame}\n\n${this.notes.slice(-8).join('\n')}\n`;
      if (full === this.lastFrame) return;
      this.lastFrame = full;
      this.out.write(`\x1b[H\x1b[2J${full}`);
      return;
    }
    if (frame === this.lastFrame) return;
    this.lastFrame = frame;
    this.out.write(`${'-'.repeat(78)}\n${frame}\n`);
  }

  /** Writes text after the live view (the summary). */
  print(text: string): void {
    this.out.write(`${text}\n`);
  }
}
