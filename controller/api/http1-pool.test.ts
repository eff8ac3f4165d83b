/**
 * Http1Pool against real node:http / node:https servers on loopback: keep-alive reuse, the
 * socket limit, answers that close the connection, timeouts, refused connections, aborted
 * streams, and TLS verification with a client certificate and session resumption.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import { issueCertificate, ensurePki } from '../auth/pki.js';
import { headerLines, Http1Error, Http1Pool, type Http1Exchange } from './http1-pool.js';

const dir = mkdtempSync(join(tmpdir(), 'sx-http1-pool-'));
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: net.Socket;
}

/** Starts `server` on loopback; returns its base URL and what it received. */
async function serve(server: http.Server, handler: (s: Seen, res: http.ServerResponse) => void): Promise<{ url: URL; seen: Seen[] }> {
  const seen: Seen[] = [];
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), socket: req.socket };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const scheme = server instanceof https.Server ? 'https' : 'http';
  return { url: new URL(`${scheme}://127.0.0.1:${(server.address() as net.AddressInfo).port}`), seen };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One exchange as a promise (rejects with the Http1Error). */
function send(pool: Http1Pool, x: Partial<Http1Exchange> & { target: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let head: Answer = { status: 0, headers: {}, body: '' };
    const pieces: Buffer[] = [];
    pool.send({
      method: 'GET', headers: '', timeoutMs: 5000, ...x,
      onHead: (h) => (head = { ...h, body: '' }),
      onBody: (p) => pieces.push(p),
      onDone: () => resolve({ ...head, body: Buffer.concat(pieces).toString('utf8') }),
      onError: reject,
    });
  });
}

const noTls = { rejectUnauthorized: true };

test('http1 pool: requests reuse one keep-alive connection, carry headers and a UTF-8 body with its length', async () => {
  const { url, seen } = await serve(http.createServer(), (s, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ echo: s.body }));
  });
  const pool = new Http1Pool(url, noTls);
  cleanups.push(() => pool.close());
  const body = JSON.stringify({ name: 'pöd' });
  const a = await send(pool, { method: 'PUT', target: '/api/v1/x?y=1', headers: headerLines({ 'Content-Type': 'application/json', Authorization: 'Bearer t' }), body });
  assert.equal(a.status, 200);
  assert.equal(a.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(a.body), { echo: body });
  const b = await send(pool, { target: '/b' });
  assert.equal(b.status, 200);
  assert.equal(seen.length, 2);
  assert.equal(seen[0]!.method, 'PUT');
  assert.equal(seen[0]!.url, '/api/v1/x?y=1');
  assert.equal(seen[0]!.headers.authorization, 'Bearer t');
  assert.equal(seen[0]!.headers.host, url.host);
  assert.equal(seen[0]!.headers['content-length'], String(Buffer.byteLength(body)));
  assert.equal(seen[0]!.socket, seen[1]!.socket, 'the second request reused the connection');
});

test('http1 pool: at most maxSockets connections, the rest wait their turn', async () => {
  const held: http.ServerResponse[] = [];
  const { url, seen } = await serve(http.createServer(), (_s, res) => {
    held.push(res);
    if (held.length === 2) for (const r of held.splice(0)) r.end('ok');
  });
  const pool = new Http1Pool(url, noTls, 2);
  cleanups.push(() => pool.close());
  const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => send(pool, { target: `/${i}` })));
  assert.deepEqual(answers.map((a) => a.body), Array(6).fill('ok'));
  assert.equal(new Set(seen.map((s) => s.socket)).size, 2);
});

test('http1 pool: chunked answers and answers that close the connection; the next request opens a new one', async () => {
  const { url, seen } = await serve(http.createServer(), (s, res) => {
    if (s.url === '/close') {
      res.setHeader('Connection', 'close');
      res.end('bye');
      return;
    }
    res.write('part one, ');
    setTimeout(() => res.end('part two'), 10);
  });
  const pool = new Http1Pool(url, noTls);
  cleanups.push(() => pool.close());
  assert.equal((await send(pool, { target: '/chunked' })).body, 'part one, part two');
  assert.equal((await send(pool, { target: '/close' })).body, 'bye');
  assert.equal((await send(pool, { target: '/again' })).body, 'part one, part two');
  assert.equal(seen[0]!.socket, seen[1]!.socket);
  assert.notEqual(seen[1]!.socket, seen[2]!.socket);
});

test('http1 pool: a silent server times out, a refused connection is not connected, a cut answer is a hang-up', async () => {
  const { url } = await serve(http.createServer(), (s, res) => {
    if (s.url === '/cut') {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('partial');
      setTimeout(() => s.socket.destroy(), 10);
    }
    // '/silent': never answered
  });
  const pool = new Http1Pool(url, noTls);
  cleanups.push(() => pool.close());
  await assert.rejects(send(pool, { target: '/silent', timeoutMs: 100 }), (err: unknown) => err instanceof Http1Error && err.code === 'ETIMEDOUT' && err.connected && /timed out after 100 ms/.test(err.message));
  await assert.rejects(send(pool, { target: '/cut' }), (err: unknown) => err instanceof Http1Error && err.connected && /socket hang up/.test(err.message));
  const dead = new Http1Pool(new URL('http://127.0.0.1:1'), noTls);
  await assert.rejects(send(dead, { target: '/' }), (err: unknown) => err instanceof Http1Error && err.code === 'ECONNREFUSED' && !err.connected);
  assert.throws(() => headerLines({ 'X-Bad': 'a\r\nInjected: yes' }), TypeError);
});

test('http1 pool: an aborted dedicated stream calls nothing more and closes its connection', async () => {
  let closed: Promise<void> | undefined;
  const { url } = await serve(http.createServer(), (s, res) => {
    closed = new Promise((r) => s.socket.once('close', () => r()));
    res.writeHead(200);
    res.write('line 1\n');
  });
  const pool = new Http1Pool(url, noTls);
  cleanups.push(() => pool.close());
  const got: string[] = [];
  let after = 0;
  const first = new Promise<void>((resolve) => {
    const h = pool.send({
      method: 'GET', target: '/watch', headers: '', timeoutMs: 5000, dedicated: true,
      onHead: () => undefined,
      onBody: (p) => {
        got.push(p.toString());
        h.abort();
        resolve();
      },
      onDone: () => after++,
      onError: () => after++,
    });
  });
  await first;
  await closed;
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, ['line 1\n']);
  assert.equal(after, 0);
});

test('http1 pool: TLS verifies the server against the CA, presents the client certificate, and resumes the session', async () => {
  const pki = ensurePki(join(dir, 'a'), { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const other = ensurePki(join(dir, 'b'), { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const client = issueCertificate(pki, { commonName: 'alice', usage: 'client' });
  const server = https.createServer({ cert: pki.servingCertPem, key: pki.servingKeyPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: false });
  const { url, seen } = await serve(server, (s, res) => {
    const peer = (s.socket as tls.TLSSocket).getPeerCertificate();
    res.setHeader('Connection', 'close');
    res.end(`${peer.subject?.CN ?? 'none'} resumed=${(s.socket as tls.TLSSocket).isSessionReused()}`);
  });
  const pool = new Http1Pool(url, { ca: pki.caCertPem, cert: client.certPem, key: client.keyPem, rejectUnauthorized: true });
  cleanups.push(() => pool.close());
  assert.equal((await send(pool, { target: '/' })).body, 'alice resumed=false');
  await new Promise((r) => setTimeout(r, 20)); // the session ticket arrives after the first answer
  assert.equal((await send(pool, { target: '/' })).body, 'alice resumed=true');
  const wrong = new Http1Pool(url, { ca: other.caCertPem, rejectUnauthorized: true });
  cleanups.push(() => wrong.close());
  await assert.rejects(send(wrong, { target: '/' }), (err: unknown) => err instanceof Http1Error && err.code !== undefined && /certificate|self.signed/i.test(err.message));
  const named = new Http1Pool(url, { ca: pki.caCertPem, servername: 'not-in-the-cert.example', rejectUnauthorized: true });
  cleanups.push(() => named.close());
  await assert.rejects(send(named, { target: '/' }), (err: unknown) => err instanceof Http1Error && err.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
  const skip = new Http1Pool(url, { ca: other.caCertPem, rejectUnauthorized: false });
  cleanups.push(() => skip.close());
  assert.equal((await send(skip, { target: '/' })).body, 'none resumed=false');
  assert.equal(seen.length, 3);
});

test('http1 pool: an idle connection the server closed is not reused, close() cuts connections but the pool stays usable, an aborted waiting request never starts', async () => {
  const server = http.createServer();
  const held: http.ServerResponse[] = [];
  const { url, seen } = await serve(server, (s, res) => {
    if (s.url === '/hold') held.push(res);
    else res.end(s.url);
  });
  const pool = new Http1Pool(url, noTls, 1);
  cleanups.push(() => pool.close());
  assert.equal((await send(pool, { target: '/one' })).body, '/one');
  seen[0]!.socket.end(); // the server closes the idle connection (as its keep-alive timeout would)
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await send(pool, { target: '/two' })).body, '/two');
  assert.notEqual(seen[0]!.socket, seen[1]!.socket);

  const holding = send(pool, { target: '/hold' });
  const got: string[] = [];
  const waiting = pool.send({
    method: 'GET', target: '/never', headers: '', timeoutMs: 5000,
    onHead: () => got.push('head'), onBody: () => got.push('body'), onDone: () => got.push('done'), onError: () => got.push('error'),
  });
  waiting.abort();
  while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
  pool.close();
  await assert.rejects(holding, (err: unknown) => err instanceof Http1Error && /socket hang up/.test(err.message));
  assert.equal((await send(pool, { target: '/after-close' })).body, '/after-close');
  assert.deepEqual(got, []);
  assert.equal(seen.some((s) => s.url === '/never'), false);
});
