// A TCP proxy that can freeze: from then on it forwards nothing either way and connects nothing new, as
// an API server that hangs (or a network path that silently drops packets) looks to its clients.
import { connect, createServer, type Server, type Socket } from 'node:net';

/** The running proxy. */
export class FreezableTcpProxy {
  private frozen = false;
  private readonly sockets = new Set<Socket>();
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

  /** Stops forwarding: every byte from now on is dropped, and new connections get no answer. */
  freeze(): void {
    this.frozen = true;
  }

  /** Closes the listener and every connection. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => { resolve(); }));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.frozen) return;
    const upstream = this.track(connect(Number(this.target.port), this.target.hostname));
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => { if (!this.frozen) to.write(chunk); });
      from.on('end', () => { to.end(); });
      from.on('error', () => { to.destroy(); });
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
