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

/** Thrown by waitFor when the process it waits on has exited: it will never become ready. */
export class ProcessExitedError extends Error {}

/**
 * Polls `check` until it returns true or `timeoutMs` passes; `describe` names what is awaited. With
 * `proc`, fails at once when that process exits (a check that throws only counts as "not yet").
 */
export async function waitFor(describe: string, check: () => Promise<boolean>, timeoutMs = 60_000, proc?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc?.hasExited) throw new ProcessExitedError(`${proc.name} exited while waiting for ${describe}; see ${proc.logFile}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe}`);
}

const START_ATTEMPTS = 3;

/**
 * Starts a process on `count` free ports and waits until `ready`. A port freePort() found can be taken
 * before the process binds it (by an outgoing connection's ephemeral port, or another stack starting at
 * the same time); the process then exits at once ("address already in use"), and is started again on new
 * ports, up to three times.
 */
export async function startOnFreePorts(
  count: number,
  start: (ports: number[]) => { proc: ManagedProcess; describe: string; ready: () => Promise<boolean>; timeoutMs?: number },
): Promise<{ proc: ManagedProcess; ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    const { proc, describe, ready, timeoutMs } = start(ports);
    try {
      await waitFor(describe, ready, timeoutMs, proc);
      return { proc, ports };
    } catch (err) {
      if (!(err instanceof ProcessExitedError) || attempt >= START_ATTEMPTS) throw err;
    }
  }
}
