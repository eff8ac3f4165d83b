/**
 * `kubectl exec` end to end over real sockets: the real kubectl → a real secure `sextant server`
 * (WebSocket upgrade, authn, `create pods/exec` authz) → the node agent's mTLS endpoint with the
 * exec handler → the command in a network namespace this test made, with the container's env.
 * The endpoint serves the certificate the server minted for the node; an endpoint with a
 * self-signed one is refused by the API server, and kubectl says why.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from '../../controller/api/index.js';
import { execTargetOf, execUpgradeHandler } from '../../node/exec-server.js';
import { kubeletServingFiles } from '../../controller/auth/kubelet-client.js';
import { startLogServer } from '../../node/log-server.js';
import { startSecureServer, type SecureServer } from '../security/secure-server.js';

const NODE = 'sx-ep-exec-n1';
const NETNS = `sx-ep-exec-${process.pid}`;
const MERGE = 'application/merge-patch+json';

let s: SecureServer;
let endpoint: { address: { port: number }; close(): Promise<void> };
let impostor: { address: { port: number }; close(): Promise<void> } | undefined;

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
  spec: { nodeName: NODE, containers: [{ name: 'c', image: 'x', env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'GREETING', value: 'hello from $(POD_NAME)' }] }] },
};

async function until(f: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function kubectl(args: string[], o: { input?: string; kubeconfig?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', o.kubeconfig ?? join(s.dir, 'kubeconfig'), ...args], { env: { ...process.env, HOME: s.dir }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    if (o.input !== undefined) child.stdin.end(o.input);
    else child.stdin.end();
  });
}

before(async () => {
  execFileSync('ip', ['netns', 'add', NETNS]);
  s = await startSecureServer(['--node-credentials', NODE]);
  const files = kubeletServingFiles(join(s.dataDir, 'credentials'), NODE);
  const serving = { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
  const upgrade = execUpgradeHandler((ns, name, container) =>
    ns === 'default' && (name === 'web' || name === 'web-selfsigned')
      ? execTargetOf(pod, { netns: NETNS, podIp: '10.244.1.5' }, container, { nodeName: NODE, nodeIp: '127.0.0.1' }, { WEB_SERVICE_HOST: '10.96.0.20' })
      : { error: `pod ${ns}/${name} is not running on node ${NODE}`, code: 404 },
  );
  endpoint = await startLogServer({ host: '127.0.0.1', port: 0 }, () => ({ error: 'no logs here', code: 404 }), { ca: s.ca, serving, upgrade });
  // the same exec handler behind a self-signed serving certificate (an agent without --tls-cert-file, or an impostor)
  impostor = await startLogServer({ host: '127.0.0.1', port: 0 }, () => ({ error: 'no logs here', code: 404 }), { ca: s.ca, upgrade });
  await nodeWithPod(NODE, 'web', endpoint.address.port);
  await nodeWithPod(`${NODE}-selfsigned`, 'web-selfsigned', impostor.address.port);
});

/** A Node whose agent endpoint is 127.0.0.1:`port`, and a copy of `pod` named `name` bound to it. */
async function nodeWithPod(node: string, name: string, port: number): Promise<void> {
  const a = s.credential('admin');
  assert.equal((await s.call(a, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node } })).code, 201);
  const status = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } };
  assert.equal((await s.call(a, 'PATCH', `/api/v1/nodes/${node}/status`, status, MERGE)).code, 200);
  const { uid: _uid, ...meta } = pod.metadata;
  assert.equal((await s.call(a, 'POST', '/api/v1/namespaces/default/pods', { ...pod, metadata: { ...meta, name }, spec: { ...pod.spec, nodeName: node } })).code, 201);
}

after(async () => {
  await endpoint?.close();
  await impostor?.close();
  await s?.cleanup();
  execFileSync('ip', ['netns', 'del', NETNS]);
});

describe('kubectl exec', () => {
  it("prints the command's output and exits with its exit code", async () => {
    const r = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo hi; exit 3']);
    assert.equal(r.stdout, 'hi\n', r.stderr);
    assert.equal(r.code, 3, r.stderr);
    const ok = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo fine; echo oops >&2']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'fine\n');
    assert.match(ok.stderr, /^oops$/m);
  });

  it('passes stdin with -i until its end', async () => {
    const r = await kubectl(['exec', '-i', 'web', '--', 'cat'], { input: 'x\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'x\n');
    const big = 'line of stdin\n'.repeat(20_000);
    const w = await kubectl(['exec', '-i', 'web', '-c', 'c', '--', 'wc', '-c'], { input: big });
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout.trim(), String(big.length));
    const out = await kubectl(['exec', 'web', '--', 'sh', '-c', 'yes abcdefghij | head -n 30000']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, 'abcdefghij\n'.repeat(30_000));
  });

  it("runs in the pod's network namespace with the container's environment", async () => {
    const r = await kubectl(['exec', 'web', '--', 'sh', '-c', 'readlink /proc/self/ns/net; echo "$GREETING"; echo "$WEB_SERVICE_HOST"']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `net:[${statSync(`/run/netns/${NETNS}`).ino}]\nhello from web\n10.96.0.20\n`);
  });

  it('refuses callers without create on pods/exec, unknown containers and pods; the agent refuses a node certificate', async () => {
    const viewer = await kubectl(['exec', 'web', '--', 'true'], { kubeconfig: join(s.dataDir, 'credentials', 'viewer.kubeconfig') });
    assert.notEqual(viewer.code, 0);
    assert.match(viewer.stderr, /Forbidden|forbidden/);
    const badContainer = await kubectl(['exec', 'web', '-c', 'nope', '--', 'true']);
    assert.notEqual(badContainer.code, 0);
    assert.match(badContainer.stderr, /container nope is not valid/);
    const noPod = await kubectl(['exec', 'nothere', '--', 'true']);
    assert.notEqual(noPod.code, 0);
    assert.match(noPod.stderr, /not found/);
    // straight to the agent with the node's certificate: a WebSocket upgrade is refused with 403
    const node = s.credential(`node-${NODE}`);
    const code = await new Promise<number>((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: endpoint.address.port, path: '/exec/default/web/c?command=true&stdout=true', agent: false, rejectUnauthorized: false, cert: node.cert, key: node.key,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => resolve(101));
      req.on('error', reject);
      req.end();
    });
    assert.equal(code, 403);
  });

  it('the API server refuses an agent endpoint with a self-signed serving certificate; kubectl prints why and nothing runs', async () => {
    const r = await kubectl(['exec', 'web-selfsigned', '--', 'sh', '-c', 'echo ran']);
    assert.notEqual(r.code, 0, r.stdout);
    assert.doesNotMatch(r.stdout, /ran/);
    assert.match(r.stderr, new RegExp(`the node agent of .?"?${NODE}-selfsigned.?"? at 127\\.0\\.0\\.1:${impostor!.address.port} presented a serving certificate the cluster CA did not sign`));
  });

  it("closing the agent's endpoint ends running exec sessions and their commands", async () => {
    const want = `net:[${statSync(`/run/netns/${NETNS}`).ino}]`;
    const inNetns = () =>
      readdirSync('/proc').filter((p) => {
        if (!/^\d+$/.test(p)) return false;
        try {
          return readlinkSync(`/proc/${p}/ns/net`) === want && readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\0' + '313\0';
        } catch {
          return false;
        }
      });
    const child = spawn('kubectl', ['--kubeconfig', join(s.dir, 'kubeconfig'), 'exec', 'web', '--', 'sh', '-c', 'echo started; exec sleep 313'], { env: { ...process.env, HOME: s.dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
        child.on('close', () => reject(new Error('kubectl exec ended before the command started')));
      });
      await until(() => inNetns().length === 1, 'the exec\'d sleep runs in the pod namespace');
      await endpoint.close();
      await until(() => inNetns().length === 0, 'the exec\'d sleep is gone');
      assert.notEqual(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
