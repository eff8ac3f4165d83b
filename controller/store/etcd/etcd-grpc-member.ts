/**
 * A unary gRPC call to one etcd member over node:http2 — one HTTP/2 connection per member, one
 * stream per call, the message framed as gRPC requires (1 flag byte, 4 length bytes, the
 * protobuf). This replaces @grpc/grpc-js for the store's hot calls (Range, Txn): grpc-js cost about
 * 0.5 ms of API-server CPU per call, most of it in its channel, call and interceptor machinery,
 * not in the bytes.
 *
 * Failures come back as `EtcdRpcError`: a gRPC status from etcd (code + message, e.g. 14
 * "etcdserver: no leader"), or `unreachable` when the member could not be asked — with `sent`
 * false when the request never left this process (no connection), so even a write can safely be
 * made again on another member.
 */
import http2 from 'node:http2';

export interface MemberTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export class EtcdRpcError extends Error {
  constructor(
    message: string,
    /** The gRPC status code (14 = UNAVAILABLE, 4 = DEADLINE_EXCEEDED, ...); -1 when the member did not answer. */
    readonly grpcCode: number,
    /** Whether the request may have reached the member (false: it certainly did not). */
    readonly sent: boolean,
  ) {
    super(message);
    this.name = 'EtcdRpcError';
  }

  /** The member did not answer (connection refused or lost), as opposed to a status from etcd. */
  get unreachable(): boolean {
    return this.grpcCode === -1;
  }
}

const { HTTP2_HEADER_STATUS } = http2.constants;

/** A connection to one member (opened on first use and again after it closes). */
export class GrpcMember {
  private session: http2.ClientHttp2Session | undefined;
  private connected = false;

  constructor(
    readonly url: string,
    private readonly tls?: MemberTls,
  ) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    this.connected = false;
    const s = http2.connect(this.url, {
      ...(this.tls ? { ca: this.tls.ca, ...(this.tls.cert ? { cert: this.tls.cert } : {}), ...(this.tls.key ? { key: this.tls.key } : {}) } : {}),
      settings: { initialWindowSize: 4 << 20 },
    });
    s.on('connect', () => {
      if (this.session === s) this.connected = true;
      if (!s.destroyed) s.setLocalWindowSize(8 << 20);
    });
    // Errors reach each pending stream too; the session is dropped and the next call reconnects.
    s.on('error', () => undefined);
    const drop = () => {
      if (this.session === s) {
        this.session = undefined;
        this.connected = false;
      }
    };
    s.on('close', drop);
    s.on('goaway', () => {
      drop();
      s.close();
    });
    // The connection never keeps the process alive; a pending call's timer does.
    s.unref();
    this.session = s;
    return s;
  }

  /**
   * Calls `path` (`/etcdserverpb.KV/Txn`) with the encoded request; resolves with the encoded
   * response message. Gives up after `timeoutMs` (the stream is cancelled; etcd also gets the
   * deadline as grpc-timeout).
   */
  unary(path: string, message: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let session: http2.ClientHttp2Session;
      try {
        session = this.connect();
      } catch (err) {
        reject(new EtcdRpcError(`etcd ${this.url}: ${(err as Error).message}`, -1, false));
        return;
      }
      const wasConnected = this.connected;
      const frame = Buffer.allocUnsafe(5 + message.length);
      frame[0] = 0;
      frame.writeUInt32BE(message.length, 1);
      message.copy(frame, 5);
      let req: http2.ClientHttp2Stream;
      try {
        req = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
        });
      } catch (err) {
        // The session died between connect() and here (its close event not handled yet).
        if (this.session === session) this.session = undefined;
        reject(new EtcdRpcError(`etcd ${this.url}: ${(err as Error).message}`, -1, false));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let status: string | undefined;
      let grpcMessage = '';
      let settled = false;
      const finish = (err: EtcdRpcError | undefined, body?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(body!);
      };
      const timer = setTimeout(() => {
        if (!req.destroyed) req.close(http2.constants.NGHTTP2_CANCEL);
        finish(new EtcdRpcError(`etcd ${this.url}: ${path} timed out after ${timeoutMs} ms`, 4, true));
      }, timeoutMs);
      const takeStatus = (headers: http2.IncomingHttpHeaders) => {
        const st = headers['grpc-status'];
        if (typeof st === 'string') {
          status = st;
          const m = headers['grpc-message'];
          if (typeof m === 'string') grpcMessage = safeDecode(m);
        }
      };
      req.on('response', (headers) => {
        const code = headers[HTTP2_HEADER_STATUS];
        if (Number(code) !== 200) {
          if (!req.destroyed) req.close(http2.constants.NGHTTP2_CANCEL);
          finish(new EtcdRpcError(`etcd ${this.url}: HTTP ${String(code)} for ${path}`, 14, true));
          return;
        }
        takeStatus(headers);
      });
      req.on('trailers', takeStatus);
      req.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
      });
      req.on('error', (err: Error) => {
        finish(new EtcdRpcError(`etcd ${this.url}: ${err.message}`, -1, wasConnected || this.connected));
      });
      req.on('close', () => {
        if (status === undefined) {
          finish(new EtcdRpcError(`etcd ${this.url}: stream closed without a status (${req.rstCode ?? 0})`, -1, wasConnected || this.connected));
          return;
        }
        if (status !== '0') {
          finish(new EtcdRpcError(grpcMessage || `gRPC status ${status}`, Number(status), true));
          return;
        }
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        if (all.length < 5) {
          finish(new EtcdRpcError(`etcd ${this.url}: empty response to ${path}`, 13, true));
          return;
        }
        if (all[0] !== 0) {
          finish(new EtcdRpcError(`etcd ${this.url}: compressed response to ${path}`, 13, true));
          return;
        }
        const len = all.readUInt32BE(1);
        finish(undefined, all.subarray(5, 5 + len));
      });
      req.end(frame);
    });
  }

  close(): void {
    const s = this.session;
    this.session = undefined;
    s?.destroy();
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
