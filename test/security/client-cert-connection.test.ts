/**
 * The authenticator reads a connection's client certificate once and reuses the identity for
 * every request on that keep-alive connection. That is only sound if the identity cannot change
 * mid-connection: the server refuses TLS renegotiation, and a second connection with another
 * certificate gets its own identity.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { startSecureServer, type Credential, type SecureServer } from './secure-server.js';

let server: SecureServer;

before(async () => {
  server = await startSecureServer();
});
after(async () => {
  await server?.cleanup();
});

/** Requests over one keep-alive connection; answers the status codes and the local ports used. */
async function onOneConnection(cred: Credential, requests: { method: string; path: string; body?: unknown }[]): Promise<{ codes: number[]; ports: Set<number> }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: server.ca, ...(cred.cert ? { cert: cred.cert, key: cred.key } : {}) });
  const codes: number[] = [];
  const ports = new Set<number>();
  try {
    for (const r of requests) {
      const payload = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body));
      const code = await new Promise<number>((resolve, reject) => {
        const req = https.request(new URL(r.path, server.url), { method: r.method, agent, headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}) } }, (res) => {
          ports.add(res.socket.localPort ?? 0);
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(payload);
      });
      codes.push(code);
    }
  } finally {
    agent.destroy();
  }
  return { codes, ports };
}

const namespaceManifest = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

test('each keep-alive connection keeps the identity of its own client certificate', async () => {
  const viewer = await onOneConnection(server.credential('viewer'), [
    { method: 'GET', path: '/api/v1/namespaces/default/pods' },
    { method: 'POST', path: '/api/v1/namespaces', body: namespaceManifest('sx-viewer-ns') },
    { method: 'GET', path: '/api/v1/namespaces' },
  ]);
  assert.equal(viewer.ports.size, 1, 'the three requests shared one connection');
  assert.deepEqual(viewer.codes, [200, 403, 200], 'viewer reads, is refused a write, reads again');

  const admin = await onOneConnection(server.credential('admin'), [
    { method: 'POST', path: '/api/v1/namespaces', body: namespaceManifest('sx-admin-ns') },
    { method: 'GET', path: '/api/v1/namespaces/sx-admin-ns' },
  ]);
  assert.equal(admin.ports.size, 1);
  assert.deepEqual(admin.codes, [201, 200], 'a second connection with another certificate is its own identity');

  const anonymous = await onOneConnection({}, [
    { method: 'GET', path: '/version' },
    { method: 'GET', path: '/api/v1/namespaces' },
  ]);
  assert.deepEqual(anonymous.codes, [200, 401], 'no certificate: public path only');
});

test('the server refuses TLS renegotiation, so a connection cannot swap its certificate', async () => {
  const url = new URL(server.url);
  const cred = server.credential('viewer');
  const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: server.ca, cert: cred.cert, key: cred.key, maxVersion: 'TLSv1.2', servername: undefined });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    assert.equal(socket.getProtocol(), 'TLSv1.2', 'renegotiation exists only up to TLS 1.2');
    const outcome = await new Promise<string>((resolve) => {
      socket.once('error', (e: Error) => resolve(`error: ${e.message}`));
      socket.once('close', () => resolve('closed'));
      const started = socket.renegotiate({ rejectUnauthorized: true }, (err) => resolve(err ? `error: ${err.message}` : 'renegotiated'));
      if (!started) resolve('refused locally');
    });
    assert.notEqual(outcome, 'renegotiated', 'the server must not accept a renegotiation');
  } finally {
    socket.destroy();
  }
});
