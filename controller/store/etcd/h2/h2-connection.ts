/**
 * A minimal HTTP/2 client connection (RFC 9113) for unary requests — one request message, one
 * response — on a plain `net` or `tls` socket. It exists because node:http2's per-stream machinery
 * (stream objects, header objects, async resources) cost the etcd path about as much CPU as the
 * rest of a create; this keeps only what a unary call needs:
 *
 * - preface, SETTINGS (ours: no push, large windows) and SETTINGS ACK both ways, PING ack (held up
 *   to `PING_ACK_DELAY_MS` and written together: ping-acks.ts);
 * - HEADERS (+ CONTINUATION when the block is larger than a frame) and DATA, split to the peer's
 *   SETTINGS_MAX_FRAME_SIZE;
 * - flow control both ways, per stream and per connection: our sends wait for the peer's
 *   windows (WINDOW_UPDATE, SETTINGS_INITIAL_WINDOW_SIZE changes); what we receive is given back
 *   with WINDOW_UPDATE as it is consumed;
 * - SETTINGS_MAX_CONCURRENT_STREAMS: requests beyond it wait in order;
 * - RST_STREAM from the peer ends that stream; GOAWAY ends streams above its last-stream-id as
 *   never processed (safe to send again), lets the others finish and takes no new ones;
 * - any protocol error ends the connection with GOAWAY.
 *
 * Requests wait until the socket is connected (and TLS negotiated `h2`) before any of their bytes
 * are written, so a stream knows exactly whether it left this process (`written`).
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  CANCEL,
  COMPRESSION_ERROR,
  CONTINUATION,
  DATA,
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  FLAG_ACK,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FLAG_PADDED,
  FLAG_PRIORITY,
  FLOW_CONTROL_ERROR,
  FRAME_SIZE_ERROR,
  GOAWAY,
  HEADERS,
  MAX_WINDOW,
  NO_ERROR,
  PING,
  PREFACE,
  PROTOCOL_ERROR,
  PUSH_PROMISE,
  REFUSED_STREAM,
  RST_STREAM,
  SETTINGS,
  SETTINGS_ENABLE_PUSH,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SETTINGS_MAX_CONCURRENT_STREAMS,
  SETTINGS_MAX_FRAME_SIZE,
  WINDOW_UPDATE,
  frame,
  goawayPayload,
  putFrameHeader,
  settingsPayload,
  u32,
} from './frames.js';
import { HpackDecoder, type HeaderList } from './hpack.js';
import { PingAcks } from './ping-acks.js';

export interface H2Tls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** What a stream's owner is told. Exactly one of onEnd / onFail ends a stream, once. */
export interface H2StreamHandler {
  /** A complete header block: the response headers, then (if any) the trailers. */
  onHeaders(fields: HeaderList): void;
  onData(chunk: Buffer): void;
  /** The peer ended the stream (END_STREAM). */
  onEnd(): void;
  /**
   * The stream ended without a complete response: reset by the peer, refused by GOAWAY, or the
   * connection was lost. `sent`: false only when the request certainly was not processed (never
   * written, or above a GOAWAY's last-stream-id, or REFUSED_STREAM).
   */
  onFail(reason: string, sent: boolean): void;
}

export interface H2Stream {
  readonly handler: H2StreamHandler;
  /** 0 until its HEADERS are written. */
  id: number;
  headerBlock: Buffer;
  /** The request body not yet sent (flow control), and how much of it was. */
  body: Buffer;
  bodySent: number;
  sendWindow: number;
  /** Received DATA octets not yet given back with WINDOW_UPDATE. */
  recvUnacked: number;
  done: boolean;
}

/** Our receive windows: large, so a big Range response is not throttled by round trips. */
const STREAM_WINDOW = 4 << 20;
const CONNECTION_WINDOW = 8 << 20;
const MAX_STREAM_ID = 2 ** 31 - 1;
/** How long a PING's ACK may wait (ping-acks.ts: fewer bandwidth-estimation PINGs from grpc-go). */
export const PING_ACK_DELAY_MS = 10;

export class H2Connection {
  private readonly socket: net.Socket;
  private state: 'connecting' | 'open' | 'draining' | 'closed' = 'connecting';
  private readonly streams = new Map<number, H2Stream>();
  /** Streams waiting for the connection or for a concurrency slot, in order. */
  private readonly waiting: H2Stream[] = [];
  private nextId = 1;
  private readonly decoder = new HpackDecoder();
  private rest: Buffer | undefined;
  /** A header block spread over HEADERS + CONTINUATION frames, until END_HEADERS. */
  private partial: { stream: number; fragments: Buffer[]; endStream: boolean } | undefined;
  // The peer's settings (defaults until its SETTINGS frame arrives).
  private peerMaxStreams = Infinity;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private connSendWindow = DEFAULT_WINDOW;
  private connRecvUnacked = 0;
  private error: string | undefined;
  private readonly pingAcks: PingAcks;

  constructor(
    url: URL,
    tlsOptions: H2Tls | undefined,
    /** Called once when the connection takes no new streams (GOAWAY, error, closed). */
    private readonly onRetired: (c: H2Connection) => void,
  ) {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const https = url.protocol === 'https:';
    const port = Number(url.port) || (https ? 443 : 80);
    if (https) {
      const t = tlsOptions;
      this.socket = tls.connect({
        host,
        port,
        ALPNProtocols: ['h2'],
        ...(net.isIP(host) === 0 ? { servername: host } : {}),
        ...(t ? { ca: t.ca, ...(t.cert ? { cert: t.cert } : {}), ...(t.key ? { key: t.key } : {}) } : {}),
      });
      this.socket.once('secureConnect', () => {
        const alpn = (this.socket as tls.TLSSocket).alpnProtocol;
        if (alpn !== 'h2') this.destroy(`the server did not negotiate h2 (ALPN ${String(alpn)})`);
        else this.onConnected();
      });
    } else {
      this.socket = net.connect({ host, port });
      this.socket.once('connect', () => this.onConnected());
    }
    this.socket.setNoDelay(true);
    this.pingAcks = new PingAcks((acks) => {
      if (this.state === 'open' || this.state === 'draining') this.socket.write(acks);
    }, PING_ACK_DELAY_MS);
    // The connection never keeps the process alive; a pending call's timer does.
    this.socket.unref();
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: Error) => {
      this.error ??= err.message;
    });
    this.socket.on('close', () => this.onSocketClosed());
  }

  /** Whether new streams can be opened here. */
  get usable(): boolean {
    return this.state === 'connecting' || this.state === 'open';
  }

  /** Starts a request: `headerBlock` (HPACK) then `body`, ending the stream. */
  request(headerBlock: Buffer, body: Buffer, handler: H2StreamHandler): H2Stream {
    const s: H2Stream = { handler, id: 0, headerBlock, body, bodySent: 0, sendWindow: 0, recvUnacked: 0, done: false };
    if (!this.usable) {
      s.done = true;
      queueMicrotask(() => handler.onFail(this.error ?? 'connection closed', false));
      return s;
    }
    this.waiting.push(s);
    if (this.state === 'open') this.pump();
    return s;
  }

  /** Abandons a stream (timeout): RST_STREAM CANCEL if it was started; the handler is not called. */
  cancel(s: H2Stream): void {
    if (s.done) return;
    s.done = true;
    if (s.id === 0) {
      const i = this.waiting.indexOf(s);
      if (i >= 0) this.waiting.splice(i, 1);
      return;
    }
    this.streams.delete(s.id);
    if (this.state === 'open' || this.state === 'draining') this.socket.write(frame(RST_STREAM, 0, s.id, u32(CANCEL)));
    this.afterStreamEnd();
  }

  /** Closes the connection now; open streams fail (sent when written). */
  destroy(reason = 'connection closed'): void {
    this.error ??= reason;
    this.retire();
    this.socket.destroy();
  }

  private onConnected(): void {
    if (this.state !== 'connecting') return;
    this.state = 'open';
    const settings = settingsPayload([
      [SETTINGS_ENABLE_PUSH, 0],
      [SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW],
    ]);
    this.socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, settings), frame(WINDOW_UPDATE, 0, 0, u32(CONNECTION_WINDOW - DEFAULT_WINDOW))]));
    this.pump();
  }

  private retire(): void {
    if (this.state === 'closed' || this.state === 'draining') return;
    this.state = this.state === 'open' ? 'draining' : 'closed';
    this.onRetired(this);
  }

  private onSocketClosed(): void {
    this.pingAcks.close();
    this.retire();
    this.state = 'closed';
    const reason = this.error ?? 'connection closed';
    const open = [...this.streams.values()];
    this.streams.clear();
    const queued = this.waiting.splice(0);
    for (const s of open) this.fail(s, reason, true);
    for (const s of queued) this.fail(s, reason, false);
  }

  private fail(s: H2Stream, reason: string, sent: boolean): void {
    if (s.done) return;
    s.done = true;
    s.handler.onFail(reason, sent);
  }

  /** Protocol error: GOAWAY with `code`, then the socket is closed (every stream fails). */
  private connectionError(code: number, reason: string): void {
    this.error ??= `HTTP/2 protocol error: ${reason}`;
    if (!this.socket.destroyed) this.socket.end(frame(GOAWAY, 0, 0, goawayPayload(0, code)));
    this.retire();
    this.socket.destroy();
  }

  /** Starts waiting streams while the peer allows more, and sends what flow control allows. */
  private pump(): void {
    if (this.state !== 'open') return;
    const out: Buffer[] = [];
    while (this.waiting.length > 0 && this.streams.size < this.peerMaxStreams) {
      if (this.nextId > MAX_STREAM_ID) {
        // Stream ids used up: this connection takes no more; the owner opens another.
        this.retire();
        break;
      }
      const s = this.waiting.shift()!;
      s.id = this.nextId;
      this.nextId += 2;
      s.sendWindow = this.peerInitialWindow;
      this.streams.set(s.id, s);
      if (!this.startWhole(s, out)) {
        out.push(this.headersFrames(s));
        this.sendBody(s, out);
      }
    }
    for (const s of this.streams.values()) if (s.bodySent < s.body.length) this.sendBody(s, out);
    if (out.length === 1) this.socket.write(out[0]!);
    else if (out.length > 1) this.socket.write(Buffer.concat(out));
    if (!this.usable && this.streams.size === 0) this.socket.destroy();
  }

  /**
   * A request whose header block fits one frame and whose whole body the windows and the frame
   * size allow now (every store call): HEADERS and the one DATA frame in one buffer.
   */
  private startWhole(s: H2Stream, out: Buffer[]): boolean {
    const block = s.headerBlock;
    const n = s.body.length;
    if (n === 0 || block.length > this.peerMaxFrame || n > this.peerMaxFrame || n > this.connSendWindow || n > s.sendWindow) return false;
    const buf = Buffer.allocUnsafe(18 + block.length + n);
    let at = putFrameHeader(buf, 0, block.length, HEADERS, FLAG_END_HEADERS, s.id);
    at += block.copy(buf, at);
    at = putFrameHeader(buf, at, n, DATA, FLAG_END_STREAM, s.id);
    s.body.copy(buf, at);
    out.push(buf);
    s.bodySent = n;
    s.sendWindow -= n;
    this.connSendWindow -= n;
    return true;
  }

  private headersFrames(s: H2Stream): Buffer {
    const block = s.headerBlock;
    const endStream = s.body.length === 0 ? FLAG_END_STREAM : 0;
    if (block.length <= this.peerMaxFrame) {
      const buf = Buffer.allocUnsafe(9 + block.length);
      putFrameHeader(buf, 0, block.length, HEADERS, FLAG_END_HEADERS | endStream, s.id);
      block.copy(buf, 9);
      return buf;
    }
    const parts: Buffer[] = [];
    for (let at = 0; at < block.length; at += this.peerMaxFrame) {
      const piece = block.subarray(at, at + this.peerMaxFrame);
      const last = at + this.peerMaxFrame >= block.length;
      parts.push(frame(at === 0 ? HEADERS : CONTINUATION, (last ? FLAG_END_HEADERS : 0) | (at === 0 ? endStream : 0), s.id, piece));
    }
    return Buffer.concat(parts);
  }

  /** DATA frames for as much of the body as both windows allow. */
  private sendBody(s: H2Stream, out: Buffer[]): void {
    while (s.bodySent < s.body.length) {
      const n = Math.min(s.body.length - s.bodySent, this.connSendWindow, s.sendWindow, this.peerMaxFrame);
      if (n <= 0) return;
      const last = s.bodySent + n === s.body.length;
      const buf = Buffer.allocUnsafe(9 + n);
      putFrameHeader(buf, 0, n, DATA, last ? FLAG_END_STREAM : 0, s.id);
      s.body.copy(buf, 9, s.bodySent, s.bodySent + n);
      out.push(buf);
      s.bodySent += n;
      s.sendWindow -= n;
      this.connSendWindow -= n;
    }
  }

  private onData(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let pos = 0;
    while (buf.length - pos >= 9) {
      const len = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      if (len > DEFAULT_MAX_FRAME) return this.connectionError(FRAME_SIZE_ERROR, `frame of ${len} octets`);
      if (buf.length - pos < 9 + len) break;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      const id = buf.readUInt32BE(pos + 5) & 0x7fffffff;
      const payload = buf.subarray(pos + 9, pos + 9 + len);
      pos += 9 + len;
      this.onFrame(type, flags, id, payload);
      if (this.state === 'closed' || this.socket.destroyed) return;
    }
    if (pos < buf.length) this.rest = buf.subarray(pos);
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.partial && type !== CONTINUATION) return this.connectionError(PROTOCOL_ERROR, 'header block interrupted');
    switch (type) {
      case DATA:
        return this.onDataFrame(flags, id, payload);
      case HEADERS:
        return this.onHeadersFrame(flags, id, payload);
      case CONTINUATION: {
        const p = this.partial;
        if (!p || p.stream !== id) return this.connectionError(PROTOCOL_ERROR, 'unexpected CONTINUATION');
        p.fragments.push(payload);
        if (flags & FLAG_END_HEADERS) {
          this.partial = undefined;
          this.headerBlockDone(id, Buffer.concat(p.fragments), p.endStream);
        }
        return;
      }
      case RST_STREAM: {
        if (id === 0 || payload.length !== 4) return this.connectionError(PROTOCOL_ERROR, 'bad RST_STREAM');
        const s = this.streams.get(id);
        if (!s) return;
        this.streams.delete(id);
        const code = payload.readUInt32BE(0);
        this.fail(s, `stream reset by the server (HTTP/2 error ${code})`, code !== REFUSED_STREAM);
        return this.afterStreamEnd();
      }
      case SETTINGS:
        return this.onSettings(flags, id, payload);
      case PING:
        if (id !== 0 || payload.length !== 8) return this.connectionError(PROTOCOL_ERROR, 'bad PING');
        if ((flags & FLAG_ACK) === 0) this.pingAcks.add(payload);
        return;
      case GOAWAY:
        return this.onGoaway(id, payload);
      case WINDOW_UPDATE: {
        if (payload.length !== 4) return this.connectionError(FRAME_SIZE_ERROR, 'bad WINDOW_UPDATE');
        const inc = payload.readUInt32BE(0) & 0x7fffffff;
        if (id === 0) {
          if (inc === 0) return this.connectionError(PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
          this.connSendWindow += inc;
          if (this.connSendWindow > MAX_WINDOW) return this.connectionError(FLOW_CONTROL_ERROR, 'connection window overflow');
        } else {
          const s = this.streams.get(id);
          if (!s || inc === 0) return;
          s.sendWindow += inc;
        }
        return this.pump();
      }
      case PUSH_PROMISE:
        return this.connectionError(PROTOCOL_ERROR, 'PUSH_PROMISE with push disabled');
      default:
        // PRIORITY and unknown types are ignored (RFC 9113 §4.1, §5.5).
        return;
    }
  }

  private onDataFrame(flags: number, id: number, payload: Buffer): void {
    if (id === 0) return this.connectionError(PROTOCOL_ERROR, 'DATA on stream 0');
    // Flow control counts the whole payload, padding included, also for streams we dropped.
    this.connRecvUnacked += payload.length;
    if (this.connRecvUnacked >= CONNECTION_WINDOW / 2) {
      this.socket.write(frame(WINDOW_UPDATE, 0, 0, u32(this.connRecvUnacked)));
      this.connRecvUnacked = 0;
    }
    const data = stripPadding(flags, payload);
    if (data === undefined) return this.connectionError(PROTOCOL_ERROR, 'bad DATA padding');
    const s = this.streams.get(id);
    if (!s) return;
    const end = (flags & FLAG_END_STREAM) !== 0;
    if (data.length > 0) s.handler.onData(data);
    if (end) return this.endStream(s);
    s.recvUnacked += payload.length;
    if (s.recvUnacked >= STREAM_WINDOW / 2) {
      this.socket.write(frame(WINDOW_UPDATE, 0, id, u32(s.recvUnacked)));
      s.recvUnacked = 0;
    }
  }

  private onHeadersFrame(flags: number, id: number, payload: Buffer): void {
    if (id === 0) return this.connectionError(PROTOCOL_ERROR, 'HEADERS on stream 0');
    let fragment = stripPadding(flags, payload);
    if (fragment === undefined) return this.connectionError(PROTOCOL_ERROR, 'bad HEADERS padding');
    if (flags & FLAG_PRIORITY) {
      if (fragment.length < 5) return this.connectionError(PROTOCOL_ERROR, 'bad HEADERS priority');
      fragment = fragment.subarray(5);
    }
    const endStream = (flags & FLAG_END_STREAM) !== 0;
    if (flags & FLAG_END_HEADERS) this.headerBlockDone(id, fragment, endStream);
    else this.partial = { stream: id, fragments: [Buffer.from(fragment)], endStream };
  }

  private headerBlockDone(id: number, block: Buffer, endStream: boolean): void {
    // Decoded even for streams we dropped: the dynamic table must stay in step with the peer's.
    let fields: HeaderList;
    try {
      fields = this.decoder.decode(block);
    } catch (err) {
      return this.connectionError(COMPRESSION_ERROR, (err as Error).message);
    }
    const s = this.streams.get(id);
    if (!s) return;
    s.handler.onHeaders(fields);
    if (endStream && !s.done) this.endStream(s);
  }

  private endStream(s: H2Stream): void {
    this.streams.delete(s.id);
    // The peer answered before taking all of the body (an early error): stop sending it.
    if (s.bodySent < s.body.length) this.socket.write(frame(RST_STREAM, 0, s.id, u32(NO_ERROR)));
    if (!s.done) {
      s.done = true;
      s.handler.onEnd();
    }
    this.afterStreamEnd();
  }

  /** A slot may be free: start a waiting stream; a draining connection closes when empty. */
  private afterStreamEnd(): void {
    if (this.state === 'draining' && this.streams.size === 0) {
      this.socket.destroy();
      return;
    }
    if (this.waiting.length > 0) this.pump();
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) return this.connectionError(PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & FLAG_ACK) return;
    if (payload.length % 6 !== 0) return this.connectionError(FRAME_SIZE_ERROR, 'bad SETTINGS length');
    for (let at = 0; at < payload.length; at += 6) {
      const key = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (key === SETTINGS_MAX_CONCURRENT_STREAMS) this.peerMaxStreams = value;
      else if (key === SETTINGS_INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) return this.connectionError(FLOW_CONTROL_ERROR, 'initial window too large');
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const s of this.streams.values()) s.sendWindow += delta;
      } else if (key === SETTINGS_MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 2 ** 24 - 1) return this.connectionError(PROTOCOL_ERROR, 'bad max frame size');
        this.peerMaxFrame = value;
      }
      // HEADER_TABLE_SIZE: we never index, so the peer's table size does not matter to us.
    }
    this.socket.write(frame(SETTINGS, FLAG_ACK, 0, undefined));
    this.pump();
  }

  private onGoaway(id: number, payload: Buffer): void {
    if (id !== 0 || payload.length < 8) return this.connectionError(PROTOCOL_ERROR, 'bad GOAWAY');
    const last = payload.readUInt32BE(0) & 0x7fffffff;
    const code = payload.readUInt32BE(4);
    this.error ??= `server going away (HTTP/2 error ${code})`;
    this.retire();
    // Streams above `last` were not and will not be processed; the others may still complete.
    for (const [sid, s] of this.streams) {
      if (sid > last) {
        this.streams.delete(sid);
        this.fail(s, `server going away (HTTP/2 error ${code}) before processing the request`, false);
      }
    }
    for (const s of this.waiting.splice(0)) this.fail(s, 'server going away before the request was sent', false);
    if (this.streams.size === 0) this.socket.destroy();
  }
}

/** The payload without its padding (PADDED flag); undefined when the padding is malformed. */
function stripPadding(flags: number, payload: Buffer): Buffer | undefined {
  if ((flags & FLAG_PADDED) === 0) return payload;
  if (payload.length < 1) return undefined;
  const pad = payload[0]!;
  if (pad > payload.length - 1) return undefined;
  return payload.subarray(1, payload.length - pad);
}
