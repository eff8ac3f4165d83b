/**
 * A unary gRPC call to one etcd member over our own HTTP/2 client (h2/h2-connection.ts) — one
 * connection per member, one stream per call, the message framed as gRPC requires (1 flag byte,
 * 4 length bytes, the protobuf). It replaced node:http2 for the store's hot calls (Range, Txn):
 * node's per-stream objects, header objects and async-resource binding cost about as much API
 * server CPU per create as the rest of the etcd path (bench ha, test/bench/ha.bench.ts), and
 * node:http2 had replaced @grpc/grpc-js (about 0.5 ms per call in its channel machinery).
 *
 * Failures come back as `EtcdRpcError`: a gRPC status from etcd (code + message, e.g. 14
 * "etcdserver: no leader"), or `unreachable` when the member could not be asked — with `sent`
 * false when the request certainly was not processed (no connection, refused, or above a GOAWAY's
 * last stream), so even a write can safely be made again on another member.
 */
import { H2Connection, type H2Stream, type H2StreamHandler } from './h2/h2-connection.js';
import { encodeHeaders, type HeaderList } from './h2/hpack.js';

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

const GRPC_TIMEOUT_NAME = Buffer.from('grpc-timeout', 'latin1');
const EMPTY = Buffer.alloc(0);

/** Bytes before each gRPC message: the compressed flag and the length (big-endian uint32). */
export const GRPC_PREFIX = 5;

/** A call's deadline passed: the stream is cancelled, the caller gets DEADLINE_EXCEEDED. */
function timedOut(call: UnaryCall, timeoutMs: number): void {
  call.cancel();
  call.finish(new EtcdRpcError(`etcd ${call.url}: ${call.path} timed out after ${timeoutMs} ms`, 4, call.stream !== undefined && call.stream.id !== 0));
}

/** A connection to one member (opened on first use and again after it closes). */
export class GrpcMember {
  private conn: H2Connection | undefined;
  private readonly parsed: URL;
  /**
   * Per path: the request header block without grpc-timeout (HPACK literals, stateless), and the
   * last whole block made from it with its grpc-timeout value.
   */
  private readonly blocks = new Map<string, { fixed: Buffer; timeout: string; block: Buffer }>();

  constructor(
    readonly url: string,
    private readonly tls?: MemberTls,
  ) {
    this.parsed = new URL(url);
  }

  private connection(): H2Connection {
    if (this.conn?.usable) return this.conn;
    const c = new H2Connection(this.parsed, this.tls, (retired) => {
      if (this.conn === retired) this.conn = undefined;
    });
    this.conn = c;
    return c;
  }

  private headerBlock(path: string, timeoutMs: number): Buffer {
    let blocks = this.blocks.get(path);
    if (!blocks) {
      const fields: HeaderList = [
        [':method', 'POST'],
        [':scheme', this.parsed.protocol === 'https:' ? 'https' : 'http'],
        [':path', path],
        [':authority', this.parsed.host],
        ['content-type', 'application/grpc'],
        ['te', 'trailers'],
      ];
      blocks = { fixed: encodeHeaders(fields), timeout: '', block: EMPTY };
      this.blocks.set(path, blocks);
    }
    // Most calls carry the whole request timeout: the last block is used again (h2 only reads it).
    const value = `${Math.max(1, Math.ceil(timeoutMs))}m`;
    if (value === blocks.timeout) return blocks.block;
    // grpc-timeout as a literal without indexing, new name (RFC 7541 §6.2.2): 0x00, name, value.
    const fixed = blocks.fixed;
    const block = Buffer.allocUnsafe(fixed.length + 2 + GRPC_TIMEOUT_NAME.length + 1 + value.length);
    fixed.copy(block, 0);
    let at = fixed.length;
    block[at++] = 0x00;
    block[at++] = GRPC_TIMEOUT_NAME.length;
    at += GRPC_TIMEOUT_NAME.copy(block, at);
    block[at++] = value.length;
    block.write(value, at, 'latin1');
    blocks.timeout = value;
    blocks.block = block;
    return block;
  }

  /**
   * Calls `path` (`/etcdserverpb.KV/Txn`) with the encoded request; resolves with the encoded
   * response message. Gives up after `timeoutMs` (the stream is cancelled; etcd also gets the
   * deadline as grpc-timeout).
   */
  unary(path: string, message: Buffer, timeoutMs: number): Promise<Buffer> {
    const framed = Buffer.allocUnsafe(GRPC_PREFIX + message.length);
    message.copy(framed, GRPC_PREFIX);
    return this.call(path, framed, timeoutMs);
  }

  /**
   * `unary` for a message encoded after `GRPC_PREFIX` free bytes (etcd-proto.ts's `room`), which
   * this fills in: the request goes out without copying the message into a frame of its own.
   */
  call(path: string, framed: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const conn = this.connection();
      framed[0] = 0;
      framed.writeUInt32BE(framed.length - GRPC_PREFIX, 1);
      const call = new UnaryCall(this.url, path, resolve, reject, conn);
      call.stream = conn.request(this.headerBlock(path, timeoutMs), framed, call);
      call.timer = setTimeout(timedOut, timeoutMs, call, timeoutMs);
    });
  }

  close(): void {
    const c = this.conn;
    this.conn = undefined;
    c?.destroy('etcd client closed');
  }
}

/** One call's response: headers, the message, the trailers' grpc-status. */
class UnaryCall implements H2StreamHandler {
  timer: NodeJS.Timeout | undefined;
  stream: H2Stream | undefined;
  private headersSeen = false;
  private status: string | undefined;
  private grpcMessage = '';
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  constructor(
    readonly url: string,
    readonly path: string,
    private readonly resolve: (b: Buffer) => void,
    private readonly reject: (e: EtcdRpcError) => void,
    private readonly conn: H2Connection,
  ) {}

  /** Abandons the stream (timed out, or an answer that is not gRPC: nothing more to wait for). */
  cancel(): void {
    if (this.stream) this.conn.cancel(this.stream);
  }

  finish(err: EtcdRpcError | undefined, body?: Buffer): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (err) this.reject(err);
    else this.resolve(body!);
  }

  onHeaders(fields: HeaderList): void {
    if (!this.headersSeen) {
      this.headersSeen = true;
      const code = fields.find((f) => f[0] === ':status')?.[1];
      if (code !== '200') {
        this.cancel();
        this.finish(new EtcdRpcError(`etcd ${this.url}: HTTP ${String(code)} for ${this.path}`, 14, true));
        return;
      }
    }
    for (const [name, value] of fields) {
      if (name === 'grpc-status') this.status = value;
      else if (name === 'grpc-message') this.grpcMessage = safeDecode(value);
    }
  }

  onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onEnd(): void {
    const status = this.status;
    if (status === undefined) {
      this.finish(new EtcdRpcError(`etcd ${this.url}: stream closed without a status`, -1, true));
      return;
    }
    if (status !== '0') {
      this.finish(new EtcdRpcError(this.grpcMessage || `gRPC status ${status}`, Number(status), true));
      return;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    if (all.length < 5) {
      this.finish(new EtcdRpcError(`etcd ${this.url}: empty response to ${this.path}`, 13, true));
      return;
    }
    if (all[0] !== 0) {
      this.finish(new EtcdRpcError(`etcd ${this.url}: compressed response to ${this.path}`, 13, true));
      return;
    }
    const len = all.readUInt32BE(1);
    this.finish(undefined, all.subarray(5, 5 + len));
  }

  onFail(reason: string, sent: boolean): void {
    this.finish(new EtcdRpcError(`etcd ${this.url}: ${reason}`, -1, sent));
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
