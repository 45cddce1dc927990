// A TCP proxy that can freeze: its connections forward nothing more either way, for good, and new ones get
// no answer, as an API server that hangs (or a network path that silently drops packets) looks to its
// clients. thaw() lets new connections through again; the frozen ones stay dead, as half-open ones do.
import { connect, createServer, type Server, type Socket } from 'node:net';

/** The running proxy. */
export class FreezableTcpProxy {
  private frozen = false;
  private readonly sockets = new Set<Socket>();
  /** Sockets frozen for good: what reaches them is dropped. */
  private readonly dead = new WeakSet<Socket>();
  private readonly server: Server;
  private port = 0;

  private constructor(private readonly target: URL) {
    this.server = createServer((client) => { this.accept(client); });
  }

  /** Starts a proxy on a free loopback port in front of `target` (an http(s) URL). */
  static async start(target: string): Promise<FreezableTcpProxy> {
    const proxy = new FreezableTcpProxy(new URL(target));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    proxy.port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  /** The URL to use instead of the target's (same scheme, so TLS passes through). */
  get url(): string {
    return `${this.target.protocol}//127.0.0.1:${String(this.port)}`;
  }

  /** Stops forwarding: every byte on the open connections is dropped from now on, and new ones get no answer. */
  freeze(): void {
    this.frozen = true;
    for (const socket of this.sockets) this.dead.add(socket);
  }

  /** Lets new connections through again (those open when frozen stay dead). */
  thaw(): void {
    this.frozen = false;
  }

  /** Closes the listener and every connection. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => { resolve(); }));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.frozen) {
      this.dead.add(client);
      return;
    }
    const upstream = this.track(connect(Number(this.target.port), this.target.hostname));
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => { if (!this.dead.has(from)) to.write(chunk); });
      // A dead connection delivers nothing, its end included: the other side just waits.
      from.on('end', () => { if (!this.dead.has(from)) to.end(); });
      from.on('error', () => { if (!this.dead.has(from)) to.destroy(); });
    };
    forward(client, upstream);
    forward(upstream, client);
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    return socket;
  }
}
