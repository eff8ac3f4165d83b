/**
 * Service-account tokens reach pods at the usual path and work as credentials: the node agent's
 * `ServiceAccountMounts` (as node n1, through the TokenRequest endpoint) writes each pod's
 * directory, the pod process runs exactly as the agent starts it (`spawnContainer`: `ip netns
 * exec`, no shell), reads `/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}`
 * and connects with `ApiClient.fromKubeconfig()` (in-cluster fallback: TLS with the mounted CA,
 * the mounted token) to the API at the `kubernetes` ClusterIP 10.96.0.1:443 (a byte forwarder in
 * the pod's namespace to the server's unix socket). The coredns account lists Services and is
 * denied writes; the default account is denied both; n1 gets no token for a pod on n2; a pod
 * with automountServiceAccountToken: false gets no directory; the host path stays empty.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type Pod } from '../../controller/api/index.js';
import { createLogger } from '../../daemon/logger.js';
import { spawnContainer } from '../../node/container-process.js';
import { acquireServiceAccountPaths, SERVICE_ACCOUNT_HOST_PATHS, type ServiceAccountPathsLease } from '../../node/service-account-host-paths.js';
import { podServiceAccountDir, ServiceAccountMounts } from '../../node/service-account-mount.js';
import { startSecureServer, type SecureServer } from './secure-server.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let hostPaths: ServiceAccountPathsLease | undefined;
const tag = randomBytes(3).toString('hex');
const created: string[] = [];
const forwarders: ChildProcess[] = [];
let s: SecureServer;
let mounts: ServiceAccountMounts;
let n1: ApiClient;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

const podObj = (namespace: string, name: string, nodeName: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { nodeName, containers: [{ name: 'c', image: 'x', command: ['true'] }], ...extra },
});

async function createPod(namespace: string, name: string, nodeName: string, extra: Record<string, unknown> = {}): Promise<Pod> {
  const r = await s.call(s.credential('admin'), 'POST', `/api/v1/namespaces/${namespace}/pods`, podObj(namespace, name, nodeName, extra));
  assert.equal(r.code, 201, r.body);
  return JSON.parse(r.body) as Pod;
}

/** A pod network namespace with the `kubernetes` ClusterIP on lo, forwarded to the server's socket. */
async function podNetns(short: string): Promise<string> {
  const ns = `sx-sa-${tag}${short}`;
  ip('netns', 'add', ns);
  created.push(ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', ns, 'addr', 'add', '10.96.0.1/32', 'dev', 'lo');
  const sock = join(s.dir, 'api.sock');
  const fwd = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e',
    `const net=require('net');net.createServer((c)=>{const u=net.connect(${JSON.stringify(sock)});c.pipe(u).pipe(c);u.on('error',()=>c.destroy());c.on('error',()=>u.destroy())}).listen(443,'10.96.0.1',()=>console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  forwarders.push(fwd);
  await new Promise<void>((ok, fail) => {
    fwd.stdout!.once('data', () => ok());
    fwd.once('exit', (c) => fail(new Error(`forwarder exited ${c}`)));
  });
  return ns;
}

/** Runs the in-cluster client as the agent runs a container; resolves with its JSON line. */
function runInPod(ns: string): Promise<Record<string, unknown>> {
  const logFile = join(s.dir, `${ns}.log`);
  return new Promise((ok, fail) => {
    spawnContainer(
      {
        netns: ns,
        argv: [process.execPath, '--import', 'tsx', join(repo, 'test/security/in-cluster-client.ts')],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
        cwd: repo,
        logFile,
      },
      (code) => {
        const text = readFileSync(logFile, 'utf8');
        const line = text.split('\n').find((l) => l.startsWith('{'));
        if (code !== 0 || !line) fail(new Error(`pod process exited ${code}: ${text}`));
        else ok(JSON.parse(line) as Record<string, unknown>);
      },
    );
  });
}

describe('service-account token mount (node agent → pod → API as the service account)', { timeout: 180_000 }, () => {
  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('test/security/service-account-mount needs root (network and mount namespaces)');
    s = await startSecureServer(['--listen-unix', '$DIR/api.sock', '--node-credentials', 'n1,n2']);
    const admin = s.credential('admin');
    for (const n of ['n1', 'n2']) assert.equal((await s.call(admin, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: n } })).code, 201);
    // The coredns case lists Services and expects default/kubernetes, which the server's
    // controllers (a worker thread of theirs) create shortly after it serves.
    for (let i = 0; (await s.call(admin, 'GET', '/api/v1/namespaces/default/services/kubernetes')).code !== 200; i++) {
      assert.ok(i < 300, 'default/kubernetes was not created within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const c = s.credential('node-n1');
    n1 = new ApiClient({ server: s.url, ca: s.ca, cert: c.cert!, key: c.key! });
    mounts = new ServiceAccountMounts(n1, s.ca, createLogger('test', { silent: true }));
    // as the agent does: a reference to the machine-wide host paths (removed after the last user)
    hostPaths = await acquireServiceAccountPaths();
    assert.deepEqual(hostPaths.setup, { ok: true });
  });

  after(async () => {
    mounts?.stop();
    n1?.close();
    for (const f of forwarders) f.kill('SIGKILL');
    for (const ns of created) {
      rmSync(join('/etc/netns', ns), { recursive: true, force: true });
      try {
        ip('netns', 'del', ns);
      } catch {
        // already gone
      }
    }
    await s?.cleanup();
    // the pods' token directories are gone: this reference was the test's last use of the host paths
    await hostPaths?.release();
  });

  it('the coredns account in kube-system lists Services through the ClusterIP with TLS and is denied writes', async () => {
    const pod = await createPod('kube-system', `dns-${tag}`, 'n1', { serviceAccountName: 'coredns' });
    const ns = await podNetns('d');
    await mounts.ensure(pod, ns);
    const dir = podServiceAccountDir(ns);
    assert.equal(statSync(join(dir, 'token')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, 'namespace'), 'utf8'), 'kube-system');
    const seen = await runInPod(ns);
    assert.equal(seen.tokenPresent, true);
    assert.equal(seen.caPresent, true);
    assert.equal(seen.namespace, 'kube-system');
    assert.equal(seen.sub, 'system:serviceaccount:kube-system:coredns');
    assert.equal(seen.server, 'https://10.96.0.1/');
    const list = seen.list as { code: number; value?: string[]; message?: string };
    assert.equal(list.code, 200, list.message);
    assert.ok(list.value?.includes('kubernetes'), `services seen: ${JSON.stringify(list.value)}`);
    const create = seen.create as { code: number; message?: string };
    assert.equal(create.code, 403);
    assert.match(create.message ?? '', /system:serviceaccount:kube-system:coredns/);
  });

  it('the default account gets a token that grants nothing (list and create are 403)', async () => {
    const pod = await createPod('default', `plain-${tag}`, 'n1');
    const ns = await podNetns('p');
    await mounts.ensure(pod, ns);
    const seen = await runInPod(ns);
    assert.equal(seen.sub, 'system:serviceaccount:default:default');
    assert.equal((seen.list as { code: number }).code, 403);
    assert.match((seen.list as { message: string }).message, /system:serviceaccount:default:default/);
    assert.equal((seen.create as { code: number }).code, 403);
  });

  it('node n1 gets no token for a pod bound to n2', async () => {
    const pod = await createPod('default', `other-${tag}`, 'n2');
    const ns = `sx-sa-${tag}o`;
    await assert.rejects(mounts.ensure(pod, ns), /NODE_SERVICE_ACCOUNT|may only request tokens for pods bound to it/);
    assert.equal(existsSync(podServiceAccountDir(ns)), false);
  });

  it('automountServiceAccountToken: false gets no directory, and the pod sees no token', async () => {
    const pod = await createPod('default', `nomount-${tag}`, 'n1', { automountServiceAccountToken: false });
    const ns = await podNetns('n');
    await mounts.ensure(pod, ns);
    assert.equal(existsSync(podServiceAccountDir(ns)), false);
    const seen = await runInPod(ns);
    assert.equal(seen.tokenPresent, false);
  });

  it('the host itself sees an empty directory at the usual path (no pod token leaks there)', () => {
    assert.equal(existsSync(join(SERVICE_ACCOUNT_HOST_PATHS.link, 'token')), false);
    assert.equal(existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token'), false);
  });
});
