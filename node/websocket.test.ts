import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { acceptWebSocket, frame, readFrame, type WebSocketConnection } from './websocket.js';

/** A masked client frame. */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | n]) : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, n >> 8, n & 255]);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!))]);
}

/** Reads unmasked server frames from a socket. */
function serverFrames(sock: net.Socket): () => Promise<{ opcode: number; payload: Buffer }> {
  let buf = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    waiting?.();
  });
  return async () => {
    for (;;) {
      if (buf.length >= 2) {
        const n = buf[1]! & 0x7f;
        const off = n === 127 ? 10 : n === 126 ? 4 : 2;
        const len = buf.length < off ? Infinity : n === 127 ? Number(buf.readBigUInt64BE(2)) : n === 126 ? buf.readUInt16BE(2) : n;
        if (buf.length >= off + len) {
          const f = { opcode: buf[0]! & 0x0f, payload: buf.subarray(off, off + len) };
          buf = buf.subarray(off + len);
          return f;
        }
      }
      await new Promise<void>((r) => (waiting = r));
    }
  };
}

describe('websocket (server side)', () => {
  let server: http.Server;
  const messages: Buffer[] = [];
  let conn: WebSocketConnection | undefined;
  before(async () => {
    server = http.createServer();
    server.on('upgrade', (req, socket: net.Socket, head: Buffer) => {
      conn = acceptWebSocket(req, socket, head, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], { onMessage: (m) => messages.push(m), onClose: () => undefined });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const open = async (protocols: string) => {
    const sock = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    sock.write(`GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Protocol: ${protocols}\r\n\r\n`);
    const head = await new Promise<string>((r) => sock.once('data', (d: Buffer) => r(d.toString('latin1'))));
    return { sock, head, accept: createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64') };
  };

  it('completes the handshake with the first supported subprotocol, joins fragments, answers ping and close', async () => {
    const { sock, head, accept } = await open('v6.channel.k8s.io, v4.channel.k8s.io, v5.channel.k8s.io');
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.match(head, new RegExp(`Sec-WebSocket-Accept: ${accept.replace(/[+/=]/g, '\\$&')}\r\n`));
    assert.match(head, /Sec-WebSocket-Protocol: v4\.channel\.k8s\.io\r\n/);
    const next = serverFrames(sock);
    sock.write(Buffer.concat([clientFrame(2, Buffer.from([0, 1, 2]), false), clientFrame(9, Buffer.from('p')), clientFrame(0, Buffer.alloc(300, 7))]));
    assert.deepEqual(await next(), { opcode: 10, payload: Buffer.from('p') });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(messages, [Buffer.concat([Buffer.from([0, 1, 2]), Buffer.alloc(300, 7)])]);
    conn!.send(Buffer.alloc(70_000, 1));
    sock.write(clientFrame(8, Buffer.from([3, 232])));
    const big = await next();
    assert.equal(big.opcode, 2);
    assert.equal(big.payload.length, 70_000);
    assert.equal((await next()).opcode, 8);
    sock.destroy();
  });

  it('refuses an upgrade offering no supported subprotocol', async () => {
    const { sock, head } = await open('v3.channel.k8s.io');
    assert.match(head, /^HTTP\/1\.1 400 /);
    sock.destroy();
  });

  it('frame lengths: 7-bit, 16-bit and 64-bit; unmasked client frames are invalid', () => {
    for (const n of [5, 300, 70_000]) {
      const f = frame(2, Buffer.alloc(n));
      assert.equal(f.length - n, n < 126 ? 2 : n < 65536 ? 4 : 10);
    }
    assert.equal(readFrame(frame(2, Buffer.from('x'))), 'invalid');
    assert.equal(readFrame(clientFrame(2, Buffer.alloc(200)).subarray(0, 100)), 'incomplete');
  });
});
