/**
 * Exec sessions are long-running requests like watches: a real secure `sextant server` with
 * `--max-watches-per-user 2` proxies `pods/exec` (WebSocket upgrade, real mTLS to an agent
 * endpoint whose exec handler holds each session open). A user holding two sessions gets 429
 * TooManyRequests for a third and for a watch (one allowance), other users are unaffected, a
 * closed session frees its slot; /metrics counts the sessions (apiserver_request_total with verb
 * CONNECT, resource pods/exec, code 101) and holds them in apiserver_longrunning_requests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubeletServingFiles } from '../../controller/auth/kubelet-client.js';
import { startLogServer } from '../../node/log-server.js';
import { startSecureServer, type Credential, type SecureServer } from './secure-server.js';

const NODE = 'sx-el-n1';
const MERGE = 'application/merge-patch+json';

let s: SecureServer;
let agent: { address: { port: number }; close(): Promise<void> };
/** Sessions the agent holds open (its side of each exec connection). */
const held = new Set<Socket>();

/** The answer to an exec upgrade: 101 (close() ends the session) or a refusal with its Status. */
type Opened = { code: number; body: string; headers: http.IncomingHttpHeaders; close(): void };

/** A `pods/exec` WebSocket upgrade, as kubectl sends it; resolves at the 101 or with the refusal. */
function openExec(cred: Credential): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL('/api/v1/namespaces/default/pods/web/exec?command=sleep&command=60&stdout=true', s.url), {
      ca: s.ca, cert: cred.cert, key: cred.key, agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' },
    });
    req.on('upgrade', (res, socket) => {
      socket.on('error', () => undefined);
      resolve({ code: 101, body: '', headers: res.headers, close: () => socket.destroy() });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body, headers: res.headers, close: () => undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A watch; resolves with its status code at the headers, and closes it. */
function watchCode(cred: Credential, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, s.url), { ca: s.ca, cert: cred.cert, key: cred.key, agent: false, headers: { Accept: 'application/json' } }, (res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    req.end();
  });
}

/** The value of one sample of /metrics (0 when absent). */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const r = await s.call(s.credential('admin'), 'GET', '/metrics');
  assert.equal(r.code, 200, r.body);
  const line = r.body.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await f())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const EXEC = { verb: 'CONNECT', resource: 'pods/exec' };

describe('exec sessions count as long-running requests (per-user cap, metrics)', { timeout: 120_000 }, () => {
  before(async () => {
    s = await startSecureServer(['--max-watches-per-user', '2', '--node-credentials', NODE]);
    const files = kubeletServingFiles(join(s.dataDir, 'credentials'), NODE);
    agent = await startLogServer({ host: '127.0.0.1', port: 0 }, () => ({ error: 'no logs here', code: 404 }), {
      ca: s.ca,
      serving: { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') },
      // the agent's side of a session: accepted and held open until the client goes
      upgrade: (_req, socket) => {
        held.add(socket);
        socket.on('close', () => held.delete(socket));
        socket.on('error', () => undefined);
        socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n');
      },
    });
    const a = s.credential('admin');
    assert.equal((await s.call(a, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } })).code, 201);
    const status = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: agent.address.port } } } };
    assert.equal((await s.call(a, 'PATCH', `/api/v1/nodes/${NODE}/status`, status, MERGE)).code, 200);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'x' }] } };
    assert.equal((await s.call(a, 'POST', '/api/v1/namespaces/default/pods', pod)).code, 201);
  });
  after(async () => {
    for (const sock of held) sock.destroy();
    await agent?.close();
    await s?.cleanup();
  });

  it('a third session (or a watch) of a user holding two is 429; other users and freed slots are fine; /metrics counts them', async () => {
    const admin = s.credential('admin');
    const e1 = await openExec(admin);
    const e2 = await openExec(admin);
    assert.equal(e1.code, 101, JSON.stringify(e1));
    assert.equal(e2.code, 101, JSON.stringify(e2));
    await until('the agent to hold both sessions', async () => held.size === 2);
    try {
      const e3 = await openExec(admin);
      assert.equal(e3.code, 429, `a third session is refused, got ${JSON.stringify(e3)}`);
      const st = JSON.parse(e3.body) as { kind: string; reason: string; code: number; message: string };
      assert.deepEqual([st.kind, st.reason, st.code], ['Status', 'TooManyRequests', 429]);
      assert.match(st.message, /too many concurrent exec sessions and watches for user "kubernetes-admin" \(limit 2\)/);
      assert.equal(e3.headers['retry-after'], '1');
      assert.equal(held.size, 2, 'the refused session never reached the agent');
      assert.equal(await watchCode(admin, '/api/v1/namespaces/default/pods?watch=true'), 429, 'a watch shares the allowance');
      assert.equal(await watchCode(s.credential('dns'), '/api/v1/services?watch=true'), 200, 'another user has its own allowance');

      assert.equal(await metric('apiserver_longrunning_requests', EXEC), 2);
      assert.equal(await metric('apiserver_request_total', { ...EXEC, code: '101' }), 2);
      assert.equal(await metric('apiserver_request_duration_seconds_count', EXEC), 2);
    } finally {
      e1.close();
    }
    // the server frees the slot when it sees the closed connection
    let again = await openExec(admin);
    for (let i = 0; again.code === 429 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await openExec(admin);
    }
    assert.equal(again.code, 101, 'a closed session frees its slot');
    again.close();
    e2.close();
    await until('no exec session left in apiserver_longrunning_requests', async () => (await metric('apiserver_longrunning_requests', EXEC)) === 0);
    assert.equal(await metric('apiserver_request_total', { ...EXEC, code: '101' }), 3);
  });
});
