import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Http1ProtocolError, Http1ResponseReader, type Http1Head } from './http1-response.js';

interface Read {
  head?: Http1Head;
  body: string;
  done?: boolean;
  reusable?: boolean;
  used: number;
}

/** Feeds `wire` in the given pieces; returns what the reader saw. */
function read(pieces: Buffer[], noBody = false): Read {
  const out: Read = { body: '', used: 0 };
  const body: Buffer[] = [];
  const r = new Http1ResponseReader(
    {
      head: (h) => (out.head = h),
      body: (p) => body.push(Buffer.from(p)),
      done: (reusable) => {
        out.done = true;
        out.reusable = reusable;
      },
    },
    noBody,
  );
  for (const p of pieces) out.used += r.write(p);
  if (!r.complete) r.end();
  out.body = Buffer.concat(body).toString('utf8');
  return out;
}

/** Every way of cutting `wire` in two, plus one byte at a time. */
function splits(wire: Buffer): Buffer[][] {
  const out: Buffer[][] = [[wire]];
  for (let i = 1; i < wire.length; i++) out.push([wire.subarray(0, i), wire.subarray(i)]);
  out.push([...wire].map((b) => Buffer.from([b])));
  return out;
}

const cases: { name: string; wire: string; status: number; body: string; reusable: boolean; headers?: Record<string, string>; noBody?: boolean }[] = [
  { name: 'content-length', wire: 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a":"é"}', status: 200, body: '{"a":"é"}', reusable: true, headers: { 'content-type': 'application/json', 'content-length': '10' } },
  { name: 'chunked with extensions and trailers', wire: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n', status: 200, body: 'Wikipedia in\r\n\r\nchunks.', reusable: true },
  { name: 'connection: close', wire: 'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno', status: 404, body: 'no', reusable: false },
  { name: 'no length: the body runs to the end of the connection', wire: 'HTTP/1.1 200 OK\r\n\r\nall of it', status: 200, body: 'all of it', reusable: false },
  { name: 'HTTP/1.0 without keep-alive', wire: 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx', status: 200, body: 'x', reusable: false },
  { name: '204 has no body', wire: 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', status: 204, body: '', reusable: true },
  { name: 'an interim 100 is skipped', wire: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}', status: 201, body: '{}', reusable: true },
  { name: 'repeated headers are joined', wire: 'HTTP/1.1 200 OK\r\nWarning: a\r\nwarning: b\r\nContent-Length: 0\r\n\r\n', status: 200, body: '', reusable: true, headers: { warning: 'a, b', 'content-length': '0' } },
  { name: 'a HEAD answer has no body', wire: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', status: 200, body: '', reusable: true, noBody: true },
];

test('http1 response: status, headers, body and reuse, however the bytes are cut', () => {
  for (const c of cases) {
    const wire = Buffer.from(c.wire);
    for (const pieces of splits(wire)) {
      const r = read(pieces, c.noBody);
      const at = `${c.name} (${pieces.map((p) => p.length).join('+')})`;
      assert.equal(r.head?.status, c.status, at);
      assert.equal(r.body, c.body, at);
      assert.equal(r.done, true, at);
      assert.equal(r.reusable, c.reusable, at);
      assert.equal(r.used, wire.length, at);
      if (c.headers) assert.deepEqual(r.head?.headers, c.headers, at);
    }
  }
});

test('http1 response: bytes after a complete answer are not used, a cut answer is not complete', () => {
  const wire = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA');
  const r = read([wire]);
  assert.equal(r.used, wire.length - 5);
  assert.equal(r.body, 'ok');
  const cut = new Http1ResponseReader({ head: () => undefined, body: () => undefined, done: () => assert.fail('not done') });
  cut.write(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  assert.equal(cut.end(), false);
  assert.equal(cut.complete, false);
});

test('http1 response: framing errors are Http1ProtocolError', () => {
  const bad = [
    'HTTP/2 200\r\n\r\n',
    'HTTP/1.1 1e2 Odd\r\n\r\n',
    'HTTP/1.1 2000 Long\r\n\r\n',
    'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n',
    `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(20_000)}`,
  ];
  for (const wire of bad) {
    const r = new Http1ResponseReader({ head: () => undefined, body: () => undefined, done: () => undefined });
    assert.throws(() => r.write(Buffer.from(wire)), Http1ProtocolError, wire.slice(0, 60));
  }
});
