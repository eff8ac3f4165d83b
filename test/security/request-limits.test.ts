/**
 * Request limits of a real `sextant server` (secure defaults, small limits by flag): a user who
 * holds `--max-watches-per-user` watch streams gets 429 Status with Retry-After for the next one
 * while other users are unaffected, and a closed stream frees its slot; a stuck client (headers
 * sent, body never finished) gets 504 Status after `--request-timeout` and the server goes on
 * serving everyone else; an oversized body is refused with 413 before it is read.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startSecureServer, type Credential, type SecureServer } from './secure-server.js';

let s: SecureServer;

/** Opens a watch stream; resolves with its status code once headers arrive, and a close(). */
function openWatch(cred: Credential, path = '/api/v1/namespaces/default/pods?watch=true'): Promise<{ code: number; body: () => Promise<string>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, s.url), { method: 'GET', ca: s.ca, cert: cred.cert, key: cred.key, agent: false, headers: { Accept: 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      const ended = new Promise<string>((r) => res.on('end', () => r(text)));
      resolve({ code: res.statusCode ?? 0, body: () => ended, close: () => req.destroy() });
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    req.end();
  });
}

describe('request limits: watch cap (429) and request timeout (504)', { timeout: 120_000 }, () => {
  before(async () => {
    s = await startSecureServer(['--max-watches-per-user', '2', '--request-timeout', '1s']);
  });
  after(async () => s?.cleanup());

  it('a third concurrent watch of one user is 429 TooManyRequests; other users and freed slots are fine', async () => {
    const viewer = s.credential('viewer');
    const w1 = await openWatch(viewer);
    const w2 = await openWatch(viewer);
    try {
      assert.equal(w1.code, 200);
      assert.equal(w2.code, 200);
      const w3 = await openWatch(viewer);
      assert.equal(w3.code, 429);
      const status = JSON.parse(await w3.body()) as { kind: string; reason: string; code: number; message: string };
      assert.deepEqual([status.kind, status.reason, status.code], ['Status', 'TooManyRequests', 429]);
      assert.match(status.message, /too many concurrent watches for user "sextant:viewer" \(limit 2\)/);
      const other = await openWatch(s.credential('dns'), '/api/v1/services?watch=true');
      assert.equal(other.code, 200, 'another user has its own allowance');
      other.close();
      const list = await s.call(viewer, 'GET', '/api/v1/namespaces/default/pods');
      assert.equal(list.code, 200, 'non-watch requests of the capped user still work');
    } finally {
      w1.close();
    }
    let again = await openWatch(viewer);
    for (let i = 0; again.code === 429 && i < 50; i++) {
      // the server frees the slot when it sees the closed socket
      await new Promise((r) => setTimeout(r, 100));
      again = await openWatch(viewer);
    }
    assert.equal(again.code, 200, 'a closed watch frees its slot');
    again.close();
    w2.close();
  });

  it('a client that never finishes its body gets 504 Timeout after --request-timeout; others are served meanwhile', async () => {
    const admin = s.credential('admin');
    const answer = new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = https.request(
        new URL('/api/v1/namespaces/default/services', s.url),
        { method: 'POST', ca: s.ca, cert: admin.cert, key: admin.key, agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': '1000' } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write('{"apiVersion":"v1","kind":"Service","metadata":{"name":"half"},'); // ... and nothing more
    });
    const meanwhile = await s.call(admin, 'GET', '/api/v1/namespaces');
    assert.equal(meanwhile.code, 200);
    const r = await answer;
    assert.equal(r.code, 504, r.body);
    const status = JSON.parse(r.body) as { reason: string; message: string };
    assert.equal(status.reason, 'Timeout');
    assert.match(status.message, /did not complete within 1s/);
    assert.equal((await s.call(admin, 'GET', '/api/v1/namespaces/default/services/half')).code, 404, 'the half-sent object was not stored');
  });

  it('a body over 3 MiB is refused with 413 before it is read', async () => {
    const r = await s.call(s.credential('admin'), 'POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'big', annotations: { x: 'a'.repeat(3 * 1024 * 1024 + 10) } }, spec: { ports: [{ port: 80 }] } });
    assert.equal(r.code, 413, r.body.slice(0, 200));
    assert.equal(r.json?.reason, 'RequestEntityTooLarge');
  });
});
