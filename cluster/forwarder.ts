/**
 * The loopback API forwarder: a TCP listener on 127.0.0.1 in the machine's own namespace that
 * pipes each connection to the API server's unix socket. kubectl on the machine reaches a server
 * living in the control-plane namespace this way, without any address or route being added to
 * the machine's namespace.
 */
import net from 'node:net';

export interface Forwarder {
  port: number;
  close(): Promise<void>;
}

export function startForwarder(o: { host: string; port: number; socket: string; onError?: (err: Error) => void }): Promise<Forwarder> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ path: o.socket });
    sockets.add(client).add(upstream);
    const drop = (err?: Error) => {
      if (err && o.onError) o.onError(err);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', () => sockets.delete(client));
    upstream.on('error', drop).on('close', () => sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Asks the kernel for a free loopback port (bound and released at once). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
