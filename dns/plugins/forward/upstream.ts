/**
 * One upstream resolver: a connected UDP socket (so ICMP port-unreachable fails a query at once
 * instead of after the timeout), query IDs remapped so concurrent client queries cannot collide,
 * a TCP path for clients that asked over TCP, and the failure count health checking uses.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface UpstreamAddress { host: string; port: number }

/** Parses `ADDR[:PORT]` (IPv6 as `[ADDR]:PORT` or bare), port 53 by default. */
export function parseUpstream(text: string): UpstreamAddress {
  const t = text.trim().replace(/^dns:\/\//, '');
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : 53 };
  if (net.isIPv6(t)) return { host: t, port: 53 };
  const m = /^([^:]+)(?::(\d+))?$/.exec(t);
  if (!m || !net.isIP(m[1]!)) throw new Error(`upstream ${JSON.stringify(text)}: must be ADDR[:PORT] with an IP address`);
  const port = m[2] ? Number(m[2]) : 53;
  if (port < 1 || port > 65535) throw new Error(`upstream ${JSON.stringify(text)}: port must be 1-65535`);
  return { host: m[1]!, port };
}

interface Pending { resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; clientId: number }

export class Upstream {
  fails = 0;
  private sock: dgram.Socket | undefined;
  private pending = new Map<number, Pending>();

  constructor(readonly addr: UpstreamAddress) {}

  get name(): string {
    return net.isIPv6(this.addr.host) ? `[${this.addr.host}]:${this.addr.port}` : `${this.addr.host}:${this.addr.port}`;
  }

  private socket(): dgram.Socket {
    if (this.sock) return this.sock;
    const s = dgram.createSocket(net.isIPv6(this.addr.host) ? 'udp6' : 'udp4');
    s.on('message', (buf) => {
      if (buf.length < 12) return;
      const p = this.pending.get(buf.readUInt16BE(0));
      if (!p) return;
      this.pending.delete(buf.readUInt16BE(0));
      clearTimeout(p.timer);
      buf.writeUInt16BE(p.clientId, 0);
      p.resolve(buf);
    });
    s.on('error', (err) => this.failAll(err));
    s.connect(this.addr.port, this.addr.host);
    this.sock = s;
    return s;
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
    this.sock?.close();
    this.sock = undefined;
  }

  /** Sends an encoded query over UDP; resolves with the response (ID restored) or rejects on timeout/error. */
  queryUdp(query: Buffer, timeoutMs: number): Promise<Buffer> {
    const s = this.socket();
    let id = (Math.random() * 0x10000) | 0;
    for (let i = 0; this.pending.has(id) && i < 100; i++) id = (Math.random() * 0x10000) | 0;
    if (this.pending.has(id)) return Promise.reject(new Error('no free query id'));
    const clientId = query.readUInt16BE(0);
    const out = Buffer.from(query);
    out.writeUInt16BE(id, 0);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, clientId });
      const send = () => s.send(out, (err) => {
        if (err && this.pending.get(id)) {
          clearTimeout(timer);
          this.pending.delete(id);
          reject(err);
        }
      });
      try {
        send();
      } catch {
        s.once('connect', send);
      }
    });
  }

  /** One query over a fresh TCP connection. */
  queryTcp(query: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const sock = net.connect({ host: this.addr.host, port: this.addr.port });
      let got = Buffer.alloc(0);
      const done = (err: Error | undefined, buf?: Buffer) => {
        clearTimeout(timer);
        sock.destroy();
        if (err) reject(err);
        else resolve(buf!);
      };
      const timer = setTimeout(() => done(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
      sock.on('connect', () => {
        const frame = Buffer.allocUnsafe(query.length + 2);
        frame.writeUInt16BE(query.length, 0);
        query.copy(frame, 2);
        sock.write(frame);
      });
      sock.on('data', (chunk) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) done(undefined, got.subarray(2, 2 + got.readUInt16BE(0)));
      });
      sock.on('error', (err) => done(err));
      sock.on('close', () => done(new Error('connection closed')));
    });
  }

  close(): void {
    this.failAll(new Error('upstream closed'));
  }
}
