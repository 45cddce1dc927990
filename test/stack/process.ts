// Child processes of the local stack. Every process is tracked by pid and ended at teardown; an exit
// hook kills any that are left if the test runner itself goes away.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';

const running = new Set<ManagedProcess>();
process.on('exit', () => {
  for (const p of running) p.killNow();
});

/** A started child process whose output goes to a log file. */
export class ManagedProcess {
  private exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => { resolve(code); }));
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  /** Starts `command args…`, appending stdout and stderr to `logFile`. */
  static start(name: string, command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; logFile: string }): ManagedProcess {
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    const child = spawn(command, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    return new ManagedProcess(name, child, opts.logFile);
  }

  /** The OS process id. */
  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  /** True once the process has exited. */
  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Resolves with the exit code once the process is gone. */
  waitForExit(): Promise<number | null> {
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.hasExited) return;
    process.kill(this.pid, 'SIGTERM');
    const timer = setTimeout(() => { this.killNow(); }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL immediately (crash simulation and last-resort cleanup). */
  killNow(): void {
    if (!this.hasExited) process.kill(this.pid, 'SIGKILL');
  }
}

/** Pids of stack processes still running (teardown asserts this is empty). */
export function runningPids(): number[] {
  return [...running].filter((p) => !p.hasExited).map((p) => p.pid);
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Polls `check` until it returns true or `timeoutMs` passes; `describe` names what is awaited. */
export async function waitFor(describe: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe}`);
}
