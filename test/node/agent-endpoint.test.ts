/**
 * The node agent's endpoint (kubelet port: pods/log, pods/exec) is HTTPS and serves only the API
 * server: real sockets against the real endpoint and a real secure `sextant server`. Plain HTTP,
 * no client certificate, a certificate from a foreign CA, and the cluster CA's node and admin
 * certificates are all refused; `pods/log` through the API server (raw HTTPS and the real kubectl)
 * reaches it with the server's kubelet-client certificate, the endpoint serving the certificate
 * the server minted for the node with its credential. The API server refuses an endpoint whose
 * serving certificate is self-signed, from a foreign CA, or the cluster CA's for another node.
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
import { issueKubeletClientCredential, issueKubeletServingCredential, KUBELET_CLIENT, kubeletServingFiles, type KubeletServingCredential } from '../../controller/auth/kubelet-client.js';
import { issueCertificate } from '../../controller/auth/pki.js';
import { newKeyPair } from '../../controller/auth/x509/certificate.js';
import { startLogServer } from '../../node/log-server.js';
import { startSecureServer, type Credential, type SecureServer } from '../security/secure-server.js';

const execP = promisify(execFile);
const NODE = 'sx-ae-n1';
const MERGE = 'application/merge-patch+json';

let s: SecureServer;
type Endpoint = { address: { port: number }; close(): Promise<void> };
let endpoint: Endpoint;
const impostors: Endpoint[] = [];
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
  const kc = issueKubeletClientCredential({ caKey, caCertPem: s.ca });
  ids['kubelet-client'] = { cert: kc.cert, key: kc.key };
  const foreign = issueCertificate({ caKey: newKeyPair().privateKey }, { commonName: KUBELET_CLIENT.user, organizations: [...KUBELET_CLIENT.groups], usage: 'client' });
  ids['foreign-ca-kubelet-client'] = { cert: foreign.certPem, key: foreign.keyPem };
  const serverCert = issueCertificate({ caKey }, { commonName: KUBELET_CLIENT.user, organizations: [...KUBELET_CLIENT.groups], usage: 'server' });
  ids['kubelet-client-name-server-usage'] = { cert: serverCert.certPem, key: serverCert.keyPem };

  mkdirSync(join(s.dir, 'logs'));
  logFile = join(s.dir, 'logs', 'c.log');
  writeFileSync(logFile, 'line one\nline two\n');
  // the serving certificate `--node-credentials` wrote for the node, beside its kubeconfig
  const files = kubeletServingFiles(join(s.dataDir, 'credentials'), NODE);
  const serving = { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
  endpoint = await startLogServer(
    { host: '127.0.0.1', port: 0 },
    (ns, pod, container) => (ns === 'default' && pod === 'web' && (container ?? 'c') === 'c' ? { file: logFile } : { error: `pod ${ns}/${pod} is not running on node ${NODE}`, code: 404 }),
    { ca: s.ca, serving },
  );
  await nodeWithPod(NODE, 'web', endpoint.address.port);
  // impostors: endpoints that serve the same log with a serving certificate that is not NODE-x's
  const impostor = async (suffix: string, cert: KubeletServingCredential | undefined) => {
    const e = await startLogServer({ host: '127.0.0.1', port: 0 }, () => ({ file: logFile }), { ca: s.ca, ...(cert ? { serving: cert } : {}) });
    impostors.push(e);
    await nodeWithPod(`${NODE}-${suffix}`, `web-${suffix}`, e.address.port);
  };
  await impostor('selfsigned', undefined);
  await impostor('foreignca', issueKubeletServingCredential({ caKey: newKeyPair().privateKey }, `${NODE}-foreignca`));
  await impostor('othernode', serving);
});

/** A Node whose agent endpoint is 127.0.0.1:`port`, and a pod `pod` (container c) bound to it. */
async function nodeWithPod(node: string, pod: string, port: number): Promise<void> {
  const a = ids.admin!;
  assert.equal((await s.call(a, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node } })).code, 201);
  const status = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } };
  assert.equal((await s.call(a, 'PATCH', `/api/v1/nodes/${node}/status`, status, MERGE)).code, 200);
  const p = { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace: 'default' }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] } };
  assert.equal((await s.call(a, 'POST', '/api/v1/namespaces/default/pods', p)).code, 201);
}

after(async () => {
  await endpoint?.close();
  for (const e of impostors) await e.close();
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

  it("the API server refuses an agent whose serving certificate is not the node's: self-signed, a foreign CA's, another node's", async () => {
    const cases = [
      ['selfsigned', /presented a serving certificate the cluster CA did not sign \(DEPTH_ZERO_SELF_SIGNED_CERT/],
      ['foreignca', /presented a serving certificate the cluster CA did not sign \(UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
      ['othernode', new RegExp(`is not that node's agent: it presented a certificate for DNS:${NODE}, not for node "${NODE}-othernode"`)],
    ] as const;
    for (const [suffix, reason] of cases) {
      const r = await s.call(ids.admin!, 'GET', `/api/v1/namespaces/default/pods/web-${suffix}/log`);
      assert.equal(r.code, 503, `${suffix}: ${r.body}`);
      assert.doesNotMatch(r.body, /line one/, `${suffix}: no log text`);
      const message = (JSON.parse(r.body) as { message: string }).message;
      assert.ok(message.includes(`the node agent of "${NODE}-${suffix}" at 127.0.0.1 `), `${suffix}: names node and address: ${message}`);
      assert.match(message, reason, suffix);
    }
  });
});
