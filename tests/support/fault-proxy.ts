import { once } from 'node:events';
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy between the SDK and the local engine that misbehaves on demand, to fail DynamoDB at the network
 * level without touching the SDK. `pass` forwards; `cut` forwards the request but kills the connection before
 * the answer (the write may have happened: an ambiguous failure); `stop()` closes the port (refused), as a
 * stopped engine would, and `start()` opens it again on the same port.
 */
export class FaultProxy {
  mode: 'pass' | 'cut' = 'pass';
  private server = createServer((client) => this.connect(client));
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(private readonly upstream: { host: string; port: number }) {}

  /** Listens on 127.0.0.1 (a free port the first time, the same port after a stop). */
  async start(): Promise<void> {
    this.server = createServer((client) => this.connect(client));
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Closes the port and every open connection: new attempts are refused, requests in flight are reset. */
  async stop(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private connect(client: Socket): void {
    const upstream = createConnection(this.upstream);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk) => {
      upstream.write(chunk);
      // The request reaches the engine; the answer never reaches the client.
      if (this.mode === 'cut') setTimeout(() => client.destroy(), 5);
    });
    upstream.on('data', (chunk) => {
      if (this.mode === 'pass') client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
