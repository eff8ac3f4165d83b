/**
 * The node agent's endpoint (kubelet port: pods/log, pods/exec) is HTTPS and serves only the API
 * server: real sockets against the real endpoint and a real secure `sextant server`. Plain HTTP,
 * no client certificate, a certificate from a foreign CA, and the cluster CA's node and admin
 * certificates are all refused; `pods/log` through the API server (raw HTTPS and the real kubectl)
 * reaches it with the server's kubelet-client certificate.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { issueKubeletClientCredential, KUBELET_CLIENT } from '../../controller/auth/kubelet-client.js';
import { issueCertificate } from '../../controller/auth/pki.js';
import { newKeyPair } from '../../controller/auth/x509/certificate.js';
import { startLogServer } from '../../node/log-server.js';
import { startSecureServer, type Credential, type SecureServer } from '../security/secure-server.js';

const execP = promisify(execFile);
const NODE = 'sx-ae-n1';
const MERGE = 'application/merge-patch+json';

let s: SecureServer;
let endpoint: { address: { port: number }; close(): Promise<void> };
let logFile: string;
const ids: Record<string, Credential> = {};

/** One request to the agent endpoint; resolves with the answer or with the connection error. */
function direct(cred: Credential | 'plain-http', path: string): Promise<{ code: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const port = endpoint.address.port;
    const onRes = (res: http.IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    };
    const req =
      cred === 'plain-http'
        ? http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 10_000 }, onRes)
        : https.get({ host: '127.0.0.1', port, path, agent: false, timeout: 10_000, rejectUnauthorized: false, ...(cred.cert ? { cert: cred.cert, key: cred.key } : {}) }, onRes);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ error: e.message }));
  });
}

before(async () => {
  s = await startSecureServer(['--node-credentials', NODE]);
  ids.admin = s.credential('admin');
  ids.node = s.credential(`node-${NODE}`);
  const caKey = createPrivateKey(readFileSync(join(s.dataDir, 'pki', 'ca.key')));
  const kc = issueKubeletClientCredential({ caKey });
  ids['kubelet-client'] = { cert: kc.cert, key: kc.key };
  const foreign = issueCertificate({ caKey: newKeyPair().privateKey }, { commonName: KUBELET_CLIENT.user, organizations: [...KUBELET_CLIENT.groups], usage: 'client' });
  ids['foreign-ca-kubelet-client'] = { cert: foreign.certPem, key: foreign.keyPem };
  const serverCert = issueCertificate({ caKey }, { commonName: KUBELET_CLIENT.user, organizations: [...KUBELET_CLIENT.groups], usage: 'server' });
  ids['kubelet-client-name-server-usage'] = { cert: serverCert.certPem, key: serverCert.keyPem };

  mkdirSync(join(s.dir, 'logs'));
  logFile = join(s.dir, 'logs', 'c.log');
  writeFileSync(logFile, 'line one\nline two\n');
  endpoint = await startLogServer(
    { host: '127.0.0.1', port: 0 },
    (ns, pod, container) => (ns === 'default' && pod === 'web' && (container ?? 'c') === 'c' ? { file: logFile } : { error: `pod ${ns}/${pod} is not running on node ${NODE}`, code: 404 }),
    { ca: s.ca },
  );
  // the Node the server looks the endpoint up on, and a pod bound to it
  const a = ids.admin;
  assert.equal((await s.call(a, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } })).code, 201);
  const status = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: endpoint.address.port } } } };
  assert.equal((await s.call(a, 'PATCH', `/api/v1/nodes/${NODE}/status`, status, MERGE)).code, 200);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'x' }] } };
  assert.equal((await s.call(a, 'POST', '/api/v1/namespaces/default/pods', pod)).code, 201);
});

after(async () => {
  await endpoint?.close();
  await s?.cleanup();
});

describe('node agent endpoint', () => {
  const path = '/containerLogs/default/web/c';

  it('refuses plain HTTP, no certificate and certificates of a foreign CA (no answer: the handshake fails)', async () => {
    for (const who of ['plain-http', 'anonymous', 'foreign-ca-kubelet-client'] as const) {
      const r = await direct(who === 'plain-http' ? who : (ids[who] ?? {}), path);
      assert.ok('error' in r || r.code >= 400, `${who}: refused, got ${JSON.stringify(r)}`);
      assert.ok(!('body' in r) || !r.body.includes('line one'), `${who}: no log text`);
    }
    const r = await direct({}, path);
    assert.ok('error' in r, `no certificate: the TLS handshake is refused, got ${JSON.stringify(r)}`);
  });

  it("refuses the cluster CA's other identities: node, administrator, and a server-usage certificate", async () => {
    for (const who of ['node', 'admin']) {
      const r = await direct(ids[who]!, path);
      assert.ok('code' in r, `${who}: an HTTP answer, got ${JSON.stringify(r)}`);
      assert.equal(r.code, 403, `${who}: ${r.body}`);
      assert.match(r.body, /Forbidden/);
      assert.doesNotMatch(r.body, /line one/);
    }
    const r = await direct(ids['kubelet-client-name-server-usage']!, path);
    assert.ok('error' in r || r.code === 401 || r.code === 403, `server-usage certificate refused, got ${JSON.stringify(r)}`);
  });

  it("serves the API server's kubelet-client identity", async () => {
    const r = await direct(ids['kubelet-client']!, `${path}?tailLines=1`);
    assert.deepEqual(r, { code: 200, body: 'line two\n' });
  });

  it('pods/log through the API server reaches it (raw HTTPS and the real kubectl); a node may not read logs', async () => {
    const r = await s.call(ids.admin!, 'GET', '/api/v1/namespaces/default/pods/web/log');
    assert.equal(r.code, 200, r.body);
    assert.equal(r.body, 'line one\nline two\n');
    const kubeconfig = join(s.dir, 'kubeconfig');
    const out = await execP('kubectl', ['--kubeconfig', kubeconfig, 'logs', 'web', '--tail', '1'], { env: { ...process.env, HOME: s.dir }, timeout: 30_000 });
    assert.equal(out.stdout, 'line two\n');
    const denied = await s.call(ids.node!, 'GET', '/api/v1/namespaces/default/pods/web/log');
    assert.equal(denied.code, 403, denied.body);
  });
});
