/**
 * The cluster's one client address: a TCP balancer in front of the server processes' frontends, as a load balancer
 * is in production. The SDK connects to one address; the frontends are stateless, so any live one will do. Each new
 * connection goes to the next frontend in turn, skipping one that refuses; a connection to a process that dies is
 * cut, and the client's reconnect lands on a live one.
 */
import net from 'node:net';

export class FrontendProxy {
  readonly stats = { connections: 0, refused: 0 };
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private next = 0;

  constructor(private readonly backends: () => number[]) {}

  get port(): number {
    return (this.server?.address() as net.AddressInfo | null)?.port ?? 0;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private accept(client: net.Socket): void {
    this.stats.connections++;
    this.track(client);
    client.on('error', () => undefined);
    client.pause();
    const ports = this.backends();
    const tryFrom = (i: number): void => {
      if (client.destroyed) return;
      if (i >= ports.length) {
        client.destroy(); // no frontend answers: the client sees a dropped connection and retries
        return;
      }
      const port = ports[(this.next + i) % ports.length];
      const upstream = net.connect({ port, host: '127.0.0.1' });
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        this.next = (this.next + i + 1) % Math.max(1, ports.length);
        this.track(upstream);
        client.on('error', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        upstream.setNoDelay(true);
        client.setNoDelay(true);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        if (connected) {
          client.destroy();
          return;
        }
        this.stats.refused++;
        tryFrom(i + 1);
      });
    };
    tryFrom(0);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
