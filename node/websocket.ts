/**
 * The server side of RFC 6455 (WebSocket), as much as the remotecommand protocol needs: the
 * opening handshake with subprotocol choice, masked client frames (fragmented messages joined),
 * unmasked server frames, ping → pong, and the close handshake. No extensions (a client's
 * `permessage-deflate` offer is declined by not answering it).
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Largest message accepted from a client (stdin chunks and resize events are small). */
const MAX_MESSAGE = 16 << 20;

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Refuses an upgrade with a plain HTTP answer. */
export function refuseUpgrade(socket: Duplex, code: number, reason: string, body: string, contentType = 'text/plain'): void {
  const text = Buffer.from(body);
  socket.end(`HTTP/1.1 ${code} ${reason}\r\ncontent-type: ${contentType}\r\ncontent-length: ${text.length}\r\nconnection: close\r\n\r\n${text.toString()}`);
}

export interface WebSocketHandlers {
  /** A complete binary or text message. */
  onMessage(data: Buffer, binary: boolean): void;
  /** The connection ended (close frame, error, or the peer went away); called once. */
  onClose(): void;
}

export interface WebSocketConnection {
  protocol: string;
  /** Sends a binary message; false when the socket's buffer is full (wait for `onDrain`). */
  send(data: Buffer): boolean;
  /** Calls `cb` once the socket's buffer has drained. */
  onDrain(cb: () => void): void;
  /** Sends a close frame (1000) and ends the connection. */
  close(code?: number): void;
}

/**
 * Completes the opening handshake of `req` choosing the first of the client's subprotocols that
 * `protocols` lists; refuses (400) a request that is no version-13 WebSocket upgrade or offers none
 * of them. Returns undefined when refused.
 */
export function acceptWebSocket(req: http.IncomingMessage, socket: Duplex, head: Buffer, protocols: readonly string[], h: WebSocketHandlers): WebSocketConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
    refuseUpgrade(socket, 400, 'Bad Request', 'a WebSocket (version 13) upgrade is required\n');
    return undefined;
  }
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const protocol = offered.find((p) => protocols.includes(p));
  if (!protocol) {
    refuseUpgrade(socket, 400, 'Bad Request', `none of the offered subprotocols (${offered.join(', ') || 'none'}) is supported: ${protocols.join(', ')}\n`);
    return undefined;
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`);

  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    h.onClose();
  };
  const sendFrame = (opcode: number, payload: Buffer): boolean => {
    if (socket.destroyed || !socket.writable) return true;
    return socket.write(frame(opcode, payload));
  };
  const conn: WebSocketConnection = {
    protocol,
    send: (data) => sendFrame(OPCODE.binary, data),
    onDrain: (cb) => {
      socket.once('drain', cb);
    },
    close: (code = 1000) => {
      const p = Buffer.alloc(2);
      p.writeUInt16BE(code);
      sendFrame(OPCODE.close, p);
      socket.end();
      finish();
    },
  };

  let buf: Buffer = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0);
  let parts: Buffer[] = [];
  let partsLen = 0;
  let partsBinary = true;
  const parse = () => {
    for (;;) {
      const f = readFrame(buf);
      if (f === 'incomplete') return;
      if (f === 'invalid') {
        conn.close(1002);
        socket.destroy();
        return;
      }
      buf = buf.subarray(f.size);
      if (f.opcode === OPCODE.ping) sendFrame(OPCODE.pong, f.payload);
      else if (f.opcode === OPCODE.pong) continue;
      else if (f.opcode === OPCODE.close) {
        conn.close(1000);
        return;
      } else {
        if (f.opcode !== OPCODE.continuation) {
          parts = [];
          partsLen = 0;
          partsBinary = f.opcode === OPCODE.binary;
        }
        parts.push(f.payload);
        partsLen += f.payload.length;
        if (partsLen > MAX_MESSAGE) {
          conn.close(1009);
          socket.destroy();
          return;
        }
        if (f.fin) {
          const msg = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
          parts = [];
          partsLen = 0;
          h.onMessage(msg, partsBinary);
        }
      }
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    parse();
  });
  socket.on('error', () => {
    socket.destroy();
    finish();
  });
  socket.on('close', finish);
  socket.on('end', finish);
  if (buf.length > 0) queueMicrotask(parse);
  return conn;
}

/** An unmasked server frame (FIN set). */
export function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const headLen = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const head = Buffer.alloc(headLen);
  head[0] = 0x80 | opcode;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/** One frame from the front of `b`: a masked client frame (unmasked frames are invalid from a client). */
export function readFrame(b: Buffer): { fin: boolean; opcode: number; payload: Buffer; size: number } | 'incomplete' | 'invalid' {
  if (b.length < 2) return 'incomplete';
  const fin = (b[0]! & 0x80) !== 0;
  if ((b[0]! & 0x70) !== 0) return 'invalid';
  const opcode = b[0]! & 0x0f;
  if (![0, 1, 2, 8, 9, 10].includes(opcode)) return 'invalid';
  const masked = (b[1]! & 0x80) !== 0;
  if (!masked) return 'invalid';
  let len = b[1]! & 0x7f;
  let off = 2;
  if (len === 126) {
    if (b.length < 4) return 'incomplete';
    len = b.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (b.length < 10) return 'incomplete';
    const big = b.readBigUInt64BE(2);
    if (big > BigInt(MAX_MESSAGE)) return 'invalid';
    len = Number(big);
    off = 10;
  }
  if (opcode >= 8 && (len > 125 || !fin)) return 'invalid';
  if (b.length < off + 4 + len) return 'incomplete';
  const mask = b.subarray(off, off + 4);
  const payload = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) payload[i] = b[off + 4 + i]! ^ mask[i & 3]!;
  return { fin, opcode, payload, size: off + 4 + len };
}
