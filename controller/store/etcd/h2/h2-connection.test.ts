/**
 * The unary gRPC client (etcd-grpc-member.ts on h2-connection.ts) against a node:http2 server
 * (nghttp2: Huffman-coded, dynamically indexed headers): answers, gRPC errors with their message,
 * flow control both ways beyond the default windows, the peer's concurrency limit, timeouts
 * cancelling the stream, RST_STREAM and GOAWAY with the right `sent` flag, PING acks, lost and refused
 * connections, and a new connection after the old one closed.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdRpcError, GrpcMember } from '../etcd-grpc-member.js';

const servers: http2.Http2Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer, session: http2.ServerHttp2Session) => void;

/** A node:http2 server calling `handler` with each request's whole body. */
async function serve(handler: Handler, settings: http2.Settings = {}): Promise<{ url: string; server: http2.Http2Server; sessions: http2.ServerHttp2Session[] }> {
  const server = http2.createServer({ settings, maxSessionMemory: 200 });
  const sessions: http2.ServerHttp2Session[] = [];
  server.on('session', (s) => sessions.push(s));
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => handler(stream, headers, Buffer.concat(chunks), stream.session as http2.ServerHttp2Session));
    stream.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, sessions };
}

/** A gRPC message: flag 0, 4-byte length, the bytes. */
function grpcFrame(msg: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(msg.length, 1);
  return Buffer.concat([prefix, msg]);
}

/** Answers with the request's message reversed (or `reply`), status 0, in headers + data + trailers. */
function answer(stream: http2.ServerHttp2Stream, body: Buffer, reply?: Buffer): void {
  const msg = reply ?? Buffer.from(body.subarray(5)).reverse();
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': '' }));
  stream.end(grpcFrame(msg));
}

const rpcError = async (p: Promise<unknown>): Promise<EtcdRpcError> => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof EtcdRpcError, String(err));
    return err;
  }
  assert.fail('the call succeeded');
};

test('unary calls: the request headers etcd expects, answers in order under concurrency, large bodies both ways', async () => {
  const seen: http2.IncomingHttpHeaders[] = [];
  const { url } = await serve((stream, headers, body) => {
    seen.push(headers);
    answer(stream, body, headers['x-big'] ? Buffer.alloc(10 << 20, 7) : undefined);
  });
  const m = new GrpcMember(url);
  const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => m.unary('/etcdserverpb.KV/Range', Buffer.from(`abc-${i}`), 5000)));
  replies.forEach((r, i) => assert.equal(r.toString(), `abc-${i}`.split('').reverse().join('')));
  assert.equal(seen[0]![':method'], 'POST');
  assert.equal(seen[0]![':path'], '/etcdserverpb.KV/Range');
  assert.equal(seen[0]!['content-type'], 'application/grpc');
  assert.equal(seen[0]!.te, 'trailers');
  assert.equal(seen[0]!['grpc-timeout'], '5000m');
  // 3 MB up: beyond the peer's 64 KB default windows, so sends wait for its WINDOW_UPDATEs.
  const big = Buffer.alloc(3 << 20);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  const back = await m.unary('/etcdserverpb.KV/Txn', big, 10_000);
  assert.ok(back.equals(Buffer.from(big).reverse()));
  m.close();
});

test('a response larger than our stream and connection windows arrives whole (we give the windows back)', async () => {
  const reply = Buffer.alloc(10 << 20);
  for (let i = 0; i < reply.length; i += 4096) reply[i] = (i / 4096) % 256;
  const { url } = await serve((stream, _h, body) => answer(stream, body, reply));
  const m = new GrpcMember(url);
  const [a, b] = await Promise.all([m.unary('/x/Range', Buffer.from('a'), 20_000), m.unary('/x/Range', Buffer.from('b'), 20_000)]);
  assert.ok(a.equals(reply));
  assert.ok(b.equals(reply));
  m.close();
});

test('gRPC errors carry the status code and the decoded message, from trailers, a trailers-only answer and a block in CONTINUATION frames; a non-gRPC answer is cancelled', async () => {
  const httpOpenResets: number[] = [];
  const { url } = await serve((stream, headers) => {
    if (headers[':path'] === '/only') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14', 'grpc-message': 'etcdserver%3A no leader' }, { endStream: true });
      return;
    }
    if (headers[':path'] === '/long') {
      // A header block beyond one 16 KB frame: HEADERS + CONTINUATION.
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '3', 'grpc-message': 'x'.repeat(40_000) }, { endStream: true });
      return;
    }
    if (headers[':path'] === '/http') {
      stream.respond({ ':status': 503 }, { endStream: true });
      return;
    }
    if (headers[':path'] === '/http-open') {
      // Not gRPC and never ended: the client gives up on the stream at once.
      stream.respond({ ':status': 502 });
      stream.on('close', () => httpOpenResets.push(stream.rstCode));
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '9', 'grpc-message': 'etcdserver: mvcc: required revision has been compacted' }));
    stream.end();
  });
  const m = new GrpcMember(url);
  // Several times over: the server's encoder indexes the fields, later answers refer to its table.
  for (let i = 0; i < 3; i++) {
    const e = await rpcError(m.unary('/x', Buffer.alloc(1), 5000));
    assert.equal(e.grpcCode, 9);
    assert.equal(e.message, 'etcdserver: mvcc: required revision has been compacted');
    const only = await rpcError(m.unary('/only', Buffer.alloc(1), 5000));
    assert.equal(only.grpcCode, 14);
    assert.equal(only.message, 'etcdserver: no leader');
    const h = await rpcError(m.unary('/http', Buffer.alloc(1), 5000));
    assert.equal(h.grpcCode, 14);
    assert.match(h.message, /HTTP 503/);
    const open = await rpcError(m.unary('/http-open', Buffer.alloc(1), 5000));
    assert.match(open.message, /HTTP 502/);
    const long = await rpcError(m.unary('/long', Buffer.alloc(1), 5000));
    assert.equal(long.grpcCode, 3);
    assert.equal(long.message, 'x'.repeat(40_000));
  }
  const deadline = Date.now() + 2000;
  while (httpOpenResets.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(httpOpenResets, [http2.constants.NGHTTP2_CANCEL, http2.constants.NGHTTP2_CANCEL, http2.constants.NGHTTP2_CANCEL]);
  m.close();
});

test("the peer's SETTINGS_MAX_CONCURRENT_STREAMS holds: extra calls wait for a free stream", async () => {
  let active = 0;
  let most = 0;
  const { url } = await serve(
    (stream, _h, body) => {
      active++;
      most = Math.max(most, active);
      setTimeout(() => {
        active--;
        answer(stream, body);
      }, 5);
    },
    { maxConcurrentStreams: 2 },
  );
  const m = new GrpcMember(url);
  // Let the SETTINGS arrive first (before it the default, unlimited, applies).
  await m.unary('/x', Buffer.from('warm'), 5000);
  const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => m.unary('/x', Buffer.from(String(i)), 5000)));
  assert.deepEqual(replies.map((r) => r.toString()), Array.from({ length: 12 }, (_, i) => String(i).split('').reverse().join('')));
  assert.equal(most, 2, 'two streams at once, never more');
  m.close();
});

test('a timeout rejects with DEADLINE_EXCEEDED (sent) and cancels the stream with RST_STREAM CANCEL', async () => {
  const resets: number[] = [];
  const { url } = await serve((stream) => {
    stream.on('close', () => resets.push(stream.rstCode));
  });
  const m = new GrpcMember(url);
  const e = await rpcError(m.unary('/slow', Buffer.from('x'), 200));
  assert.equal(e.grpcCode, 4);
  assert.equal(e.sent, true);
  const deadline = Date.now() + 2000;
  while (resets.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(resets, [http2.constants.NGHTTP2_CANCEL]);
  m.close();
});

test('RST_STREAM from the server: REFUSED_STREAM is not sent, any other code may have been', async () => {
  const { url } = await serve((stream, headers) => {
    stream.close(headers[':path'] === '/refuse' ? http2.constants.NGHTTP2_REFUSED_STREAM : http2.constants.NGHTTP2_INTERNAL_ERROR);
  });
  const m = new GrpcMember(url);
  const refused = await rpcError(m.unary('/refuse', Buffer.from('x'), 5000));
  assert.equal(refused.unreachable, true);
  assert.equal(refused.sent, false);
  const reset = await rpcError(m.unary('/reset', Buffer.from('x'), 5000));
  assert.equal(reset.unreachable, true);
  assert.equal(reset.sent, true);
  m.close();
});

test('GOAWAY: streams above its last-stream-id fail as not sent, older ones complete, the next call opens a new connection; PING is answered', async () => {
  const held: { stream: http2.ServerHttp2Stream; body: Buffer }[] = [];
  const { url, sessions } = await serve((stream, _h, body) => {
    if (sessions.length > 1) answer(stream, body);
    else held.push({ stream, body });
  });
  const m = new GrpcMember(url);
  const first = m.unary('/a', Buffer.from('one'), 5000);
  const second = m.unary('/b', Buffer.from('two'), 5000);
  while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
  const pinged = await new Promise<boolean>((r) => sessions[0]!.ping((err) => r(!err)));
  assert.ok(pinged, 'the client answers PING');
  sessions[0]!.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
  const refused = await rpcError(second);
  assert.equal(refused.unreachable, true);
  assert.equal(refused.sent, false);
  answer(held[0]!.stream, held[0]!.body);
  assert.equal((await first).toString(), 'eno');
  assert.equal((await m.unary('/c', Buffer.from('three'), 5000)).toString(), 'eerht');
  assert.equal(sessions.length, 2);
  m.close();
});

test('every PING is answered with an ACK carrying its payload, also several at once (acks are held briefly: ping-acks.ts)', async () => {
  const { url, sessions } = await serve((stream, _h, body) => answer(stream, body));
  const m = new GrpcMember(url);
  assert.equal((await m.unary('/a', Buffer.from('one'), 5000)).toString(), 'eno');
  const ping = (payload: string) =>
    new Promise<string>((resolve, reject) => {
      sessions[0]!.ping(Buffer.from(payload), (err, _ms, back) => (err ? reject(err) : resolve(back.toString('latin1'))));
    });
  assert.deepEqual(await Promise.all([ping('pingpin1'), ping('pingpin2'), ping('pingpin3')]), ['pingpin1', 'pingpin2', 'pingpin3']);
  // Calls go on as before on the same connection.
  assert.equal((await m.unary('/b', Buffer.from('two'), 5000)).toString(), 'owt');
  assert.equal(sessions.length, 1);
  m.close();
});

test('a lost connection fails its calls as sent; a refused one as not sent; the next call reconnects', async () => {
  let drop = true;
  const { url, sessions } = await serve((stream, _h, body, session) => {
    if (drop) session.destroy();
    else answer(stream, body);
  });
  const m = new GrpcMember(url);
  const lost = await rpcError(m.unary('/x', Buffer.from('x'), 5000));
  assert.equal(lost.unreachable, true);
  assert.equal(lost.sent, true);
  drop = false;
  assert.equal((await m.unary('/x', Buffer.from('ab'), 5000)).toString(), 'ba');
  assert.equal(sessions.length, 2);
  m.close();

  const gone = await serve(() => undefined);
  await new Promise<void>((r) => gone.server.close(() => r()));
  const n = new GrpcMember(gone.url);
  const refused = await rpcError(n.unary('/x', Buffer.from('x'), 5000));
  assert.equal(refused.unreachable, true);
  assert.equal(refused.sent, false);
  n.close();
});
