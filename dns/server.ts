/**
 * UDP and TCP listeners on one port, feeding the plugin chain. UDP answers are limited to 512
 * bytes without EDNS, or to the client's advertised size with it (beyond it, as many whole
 * records as fit and TC set, so clients retry over TCP — see truncate.ts). TCP is length-prefixed (RFC 1035 4.2.2), pipelined (answers are written as they are
 * ready, RFC 7766), idle connections close, and the connection count is bounded. Undecodable
 * packets are answered FORMERR when their header is readable and dropped otherwise.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { ADVERTISED_UDP_SIZE, MalformedMessage, PLAIN_UDP_LIMIT, decodeMessage, encodeMessage } from './codec.js';
import { Rcode, replyTo, type DnsMessage } from './message.js';
import { encodeWithin, tryEncode } from './truncate.js';
import { buildChain, normalizeName, type DnsRequest, type Next, type Observation, type Plugin, type Reply } from './chain.js';
import { PacketCache, keyName, parseQueryKey, patchResponse } from './packet-cache.js';
import type { Logger } from '../daemon/logger.js';
import { startUdpThreads, type Respond, type UdpThreads } from './udp-threads.js';

export interface DnsServerOptions {
  host: string;
  port: number;
  plugins: Plugin[];
  log: Logger;
  /** Encoded-response cache for stable answers; omit to disable the fast path. */
  packetCache?: PacketCache;
  maxTcpConnections?: number;
  tcpIdleMs?: number;
  /**
   * UDP worker threads (udp-threads.ts): 0 or absent, the main thread receives UDP itself; N, N
   * threads share the UDP socket and answer from their packet caches, passing the rest here.
   * Needs `packetCache`.
   */
  udpThreads?: number;
  /**
   * Test seam: awaited with the port once UDP is bound, before TCP listens on it
   * (server-listen.test.ts takes that port for TCP here to force a collision).
   */
  beforeTcpListen?: (port: number) => Promise<void>;
}

export interface DnsServer {
  host: string;
  port: number;
  /** Resolves once every answer so far reached the observers (UDP threads batch theirs). */
  flushObservations(): Promise<void>;
  close(): Promise<void>;
}

const BADVERS = 16;
const UDP_RECV_BUFFER = 4 * 1024 * 1024;
/** Kernel-chosen UDP ports tried (listening on port 0) before giving up when each is taken for TCP. */
const PORT_ZERO_ATTEMPTS = 20;

/** Starts listening and resolves once both sockets are bound. */
export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const chain: Next = buildChain(opts.plugins);
  const observers = opts.plugins.filter((p) => p.observe);
  const needNames = observers.some((p) => p.observesNames);
  const cache = opts.packetCache;
  const family = net.isIPv6(opts.host) ? 6 : 4;
  const maxConns = opts.maxTcpConnections ?? 1000;
  const idleMs = opts.tcpIdleMs ?? 10_000;

  const observe = (o: Observation) => {
    for (const p of observers) {
      try {
        p.observe!(o);
      } catch (err) {
        opts.log.warn('observer failed', { plugin: p.name, error: String(err) });
      }
    }
  };

  /** Answers one query; `respond` is called at most once. */
  const handle = (buf: Buffer, proto: 'udp' | 'tcp', remoteAddress: string, remotePort: number, respond: Respond) => {
    const t0 = performance.now();
    const key = cache ? parseQueryKey(buf) : undefined;
    if (key && cache) {
      const hit = cache.get(buf, key);
      if (hit) {
        const limit = proto === 'tcp' ? 65535 : udpLimit(key.ednsSize);
        let src = hit.full;
        if (src.length > limit) {
          if (hit.truncated?.limit !== limit) hit.truncated = { limit, bytes: encodeWithin(decodeMessage(hit.full), limit) };
          src = hit.truncated.bytes;
        }
        const out = patchResponse(src, buf, key);
        respond(out, { full: hit.full, rcode: hit.rcode });
        if (observers.length > 0) {
          observe({
            qname: needNames ? keyName(buf, key) : '', qtype: buf.readUInt16BE(key.nameEnd), proto, family, remoteAddress, remotePort,
            rcode: hit.rcode, requestSize: buf.length, responseSize: out.length, durationSeconds: (performance.now() - t0) / 1000,
            fast: true, answerCount: out.readUInt16BE(6),
          });
        }
        return;
      }
    }
    let msg: DnsMessage;
    try {
      msg = decodeMessage(buf);
    } catch (err) {
      if (err instanceof MalformedMessage && err.id !== undefined && buf.length >= 12 && (buf[2]! & 0x80) === 0) {
        respond(formErr(err.id, buf));
      } else respond(undefined);
      return;
    }
    if (msg.response) return respond(undefined);
    const finish = (reply: Reply, rcodeOverride?: number) => {
      const out = reply.msg;
      out.id = msg.id;
      out.response = true;
      if (rcodeOverride !== undefined) out.rcode = rcodeOverride;
      if (msg.edns) out.edns = { udpSize: ADVERTISED_UDP_SIZE, version: 0, dnssecOk: false };
      else delete out.edns;
      let bytes: Buffer;
      let full: Buffer | undefined;
      try {
        full = tryEncode(out); // undefined past a DNS message's 64 KB: truncated below, even over TCP
        bytes = encodeWithin(out, proto === 'tcp' ? 65535 : udpLimit(msg.edns?.udpSize), full);
      } catch (err) {
        opts.log.warn('cannot encode response', { qname: msg.questions[0]?.name, error: String(err) });
        const fail = replyTo(msg, Rcode.SERVFAIL);
        if (msg.edns) fail.edns = { udpSize: ADVERTISED_UDP_SIZE, version: 0, dnssecOk: false };
        bytes = encodeMessage(fail);
        out.rcode = Rcode.SERVFAIL;
        reply = { msg: fail };
      }
      // The complete answer is what the packet cache keeps, also when this client got a truncated one.
      const entry = reply.stable && key && cache && full && !out.tc && (full.readUInt16BE(2) & 0x200) === 0 ? { full, rcode: out.rcode } : undefined;
      respond(bytes, entry);
      if (entry && key) cache?.set(buf, key, entry.full, entry.rcode);
      if (observers.length > 0) {
        const q = msg.questions[0];
        observe({
          qname: q?.name ?? '.', qtype: q?.type ?? 0, proto, family, remoteAddress, remotePort, rcode: out.rcode,
          requestSize: buf.length, responseSize: bytes.length, durationSeconds: (performance.now() - t0) / 1000, fast: false,
          answerCount: bytes.readUInt16BE(6),
        });
      }
    };
    if (msg.opcode !== 0) return finish({ msg: replyTo(msg, Rcode.NOTIMP) });
    if (msg.questions.length !== 1) return finish({ msg: replyTo(msg, Rcode.FORMERR) });
    if (msg.edns && msg.edns.version !== 0) return finish({ msg: replyTo(msg) }, BADVERS);
    const question = msg.questions[0]!;
    const req: DnsRequest = { msg, question, qname: normalizeName(question.name), proto, remoteAddress, remotePort };
    let result: Reply | Promise<Reply>;
    try {
      result = chain(req);
    } catch (err) {
      opts.log.error('plugin chain threw', { qname: question.name, error: String(err) });
      return finish({ msg: replyTo(msg, Rcode.SERVFAIL) });
    }
    if (result instanceof Promise) {
      result.then(finish, (err: unknown) => {
        opts.log.error('plugin chain failed', { qname: question.name, error: String(err) });
        finish({ msg: replyTo(msg, Rcode.SERVFAIL) });
      });
    } else finish(result);
  };

  // A deep receive queue (capped by the kernel at net.core.rmem_max) rides out scheduling stalls
  // on a busy node instead of dropping the queries that arrive meanwhile.
  const bindUdp = async (): Promise<UdpListener> => {
    if (opts.udpThreads && opts.udpThreads > 0 && cache) {
      const threads = await startUdpThreads({
        count: opts.udpThreads, host: opts.host, port: opts.port, family, recvBufferSize: UDP_RECV_BUFFER, plainLimit: PLAIN_UDP_LIMIT, log: opts.log,
        cache, needNames, observe, handle: (buf, address, rport, respond) => handle(buf, 'udp', address, rport, respond),
      });
      return { port: threads.port, threads, close: () => threads.close() };
    }
    const sock = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', recvBufferSize: UDP_RECV_BUFFER, lookup: literalLookup });
    sock.on('message', (buf, rinfo) => {
      try {
        handle(buf, 'udp', rinfo.address, rinfo.port, (out) => out && sock.send(out, rinfo.port, rinfo.address));
      } catch (err) {
        opts.log.error('udp handler failed', { error: String(err) });
      }
    });
    sock.on('error', (err) => opts.log.error('udp socket error', { error: String(err) }));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: opts.host, port: opts.port, exclusive: false }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    return { port: sock.address().port, close: () => new Promise<void>((resolve) => sock.close(() => resolve())) };
  };

  const sockets = new Set<net.Socket>();
  const tcp = net.createServer({ noDelay: true }, (sock) => {
    if (sockets.size >= maxConns) {
      sock.destroy();
      return;
    }
    sockets.add(sock);
    sock.setTimeout(idleMs, () => sock.destroy());
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let pending = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msgBuf = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        if (len < 12) {
          sock.destroy();
          return;
        }
        try {
          handle(msgBuf, 'tcp', sock.remoteAddress ?? '', sock.remotePort ?? 0, (out) => {
            if (!out || sock.destroyed) return;
            const frame = Buffer.allocUnsafe(2 + out.length);
            frame.writeUInt16BE(out.length, 0);
            out.copy(frame, 2);
            sock.write(frame);
          });
        } catch (err) {
          opts.log.error('tcp handler failed', { error: String(err) });
        }
      }
    });
  });
  tcp.maxConnections = maxConns + 16;
  const udp = await listenBoth(opts.host, opts.port, bindUdp, async (port) => {
    await opts.beforeTcpListen?.(port);
    await listenTcp(tcp, opts.host, port);
  });
  tcp.on('error', (err) => opts.log.error('tcp server error', { error: String(err) }));

  return {
    host: opts.host,
    port: udp.port,
    flushObservations: async () => udp.threads?.flushObservations(),
    close: async () => {
      // TCP first: with UDP threads, nothing should open a descriptor while they close theirs.
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      await udp.close();
    },
  };
}

/** The bound UDP side: a socket of this thread, or the UDP threads sharing one. */
interface UdpListener {
  port: number;
  threads?: UdpThreads;
  close(): Promise<void>;
}

/**
 * Binds UDP, then TCP on the port UDP got. With port 0 the kernel picks a port free for UDP only,
 * and any process may hold it for TCP: then UDP is given back and another port tried, up to
 * PORT_ZERO_ATTEMPTS times. A port the caller chose fails at once, as does any other error.
 */
async function listenBoth(host: string, port: number, bindUdp: () => Promise<UdpListener>, listenTcpOn: (port: number) => Promise<void>): Promise<UdpListener> {
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp();
    try {
      await listenTcpOn(udp.port);
      return udp;
    } catch (err) {
      await udp.close();
      if (port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      if (attempt === PORT_ZERO_ATTEMPTS) {
        throw new Error(`no port on ${host} free for both UDP and TCP: the ${PORT_ZERO_ATTEMPTS} ports the kernel chose for UDP were all taken for TCP (last ${udp.port})`);
      }
    }
  }
}

/** Listens once; a failed listen leaves no listener behind, so the server can be tried again. */
function listenTcp(tcp: net.Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const listening = () => {
      tcp.off('error', failed);
      resolve();
    };
    const failed = (err: Error) => {
      tcp.off('listening', listening);
      reject(err);
    };
    tcp.once('error', failed);
    tcp.once('listening', listening);
    tcp.listen({ host, port, exclusive: false });
  });
}

/**
 * Answers go to the address a query came from, always an IP literal: this lookup hands it straight
 * back instead of dns.lookup, which defers every send by a nextTick (the same in udp-worker.ts;
 * measured there: 14.6 → 12.5 µs of server CPU per query).
 */
const literalLookup = ((address: string, family: number, cb: (err: null, address: string, family: number) => void) => cb(null, address, family)) as unknown as dgram.SocketOptions['lookup'];

/** The largest UDP response allowed: 512 without EDNS, else the requester's size (at least 512). */
export const udpLimit = (ednsSize: number | undefined): number => (ednsSize === undefined ? PLAIN_UDP_LIMIT : Math.max(PLAIN_UDP_LIMIT, ednsSize));

/** FORMERR for a query whose header is readable but whose body is not: header only. */
function formErr(id: number, query: Buffer): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(0x8000 | (query.readUInt16BE(2) & 0x7900) | Rcode.FORMERR, 2);
  return out;
}
