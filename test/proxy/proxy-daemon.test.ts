import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, KINDS, type EndpointSlice, type Namespace, type Service } from '../../controller/api/index.js';
import { NetnsLab, nsExec } from './netns-lab.js';

/**
 * `sextant proxy` as a process against a real `sextant server`: objects created through the API
 * become rules in the node namespace (--netns), /healthz and /metrics answer, SIGTERM leaves the
 * rules in place, `--cleanup` removes them, and `sextant trace` explains the live rules.
 */
const lab = new NetnsLab(2);
const dir = mkdtempSync(join(tmpdir(), 'sx-proxy-daemon-'));
const kubeconfig = join(dir, 'kubeconfig');
const procs: ChildProcess[] = [];
let proxy: ChildProcess;
let client: ApiClient;
let healthz = '';
let metrics = '';

const cli = (...args: string[]) => spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: new URL('../../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });

const run = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const p = cli(...args);
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d));
    p.stderr!.on('data', (d: Buffer) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  await lab.up();
  const server = cli('server', '--data-dir', dir, '--listen', '127.0.0.1:0', '--write-kubeconfig', kubeconfig, '--sqlite-synchronous', 'NORMAL');
  procs.push(server);
  server.stderr!.resume();
  await until('the server kubeconfig', () => (existsSync(kubeconfig) ? true : undefined));
  client = ApiClient.fromKubeconfig(kubeconfig);
  await until('the API server', () => client.list(KINDS.Service, { namespace: 'default' }).then(() => true, () => undefined));
  await client.create<Namespace>(KINDS.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch(() => undefined);
  proxy = cli('proxy', '--kubeconfig', kubeconfig, '--node-name', 'node-a', '--cluster-cidr', '10.244.0.0/16', '--netns', lab.node, '--partial-top-level', 'always', '--healthz-bind-address', '127.0.0.1:0', '--metrics-bind-address', '127.0.0.1:0');
  procs.push(proxy);
  let logs = '';
  proxy.stderr!.on('data', (d: Buffer) => (logs += d));
  const started = await until('the proxy to start', () => logs.split('\n').map((l) => { try { return JSON.parse(l) as { message?: string; healthz?: { port: number }; metrics?: { port: number } }; } catch { return undefined; } }).find((l) => l?.message === 'proxy started'));
  healthz = `http://127.0.0.1:${started.healthz!.port}`;
  metrics = `http://127.0.0.1:${started.metrics!.port}`;
});

after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  lab.down();
  rmSync(dir, { recursive: true, force: true });
});

const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] } };
const eps: EndpointSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: 'default', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: [{ addresses: ['10.244.1.2'], nodeName: 'node-a', conditions: { ready: true } }],
};

test('objects created through the API become working rules; /healthz and /metrics report the syncs', async () => {
  await client.create(KINDS.Service, svc);
  await client.create(KINDS.EndpointSlice, eps);
  const r = await until('traffic through the service', async () => {
    const x = await lab.client(lab.pods[1]!.ns, { mode: 'tcp', host: '10.96.0.10', port: 80, count: 1 });
    return x.replies.length === 1 ? x : undefined;
  });
  assert.deepEqual(r.replies, ['p1 10.244.1.3']);
  const h = await fetch(`${healthz}/healthz`);
  assert.equal(h.status, 200);
  const body = (await h.json()) as { healthy: boolean; lastUpdated: string };
  assert.equal(body.healthy, true);
  const m = await (await fetch(`${metrics}/metrics`)).text();
  assert.match(m, /kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]/);
  assert.match(m, /kubeproxy_sync_proxy_rules_iptables_total\{table="nat"\} [1-9]/);
  assert.match(m, /kubeproxy_network_programming_duration_seconds_count [1-9]/);
});

test('deleting the endpoints makes the service refuse connections', async () => {
  await client.delete(KINDS.EndpointSlice, 'default', 'web-1');
  await until('connection refused', async () => {
    const x = await lab.client(lab.pods[1]!.ns, { mode: 'tcp', host: '10.96.0.10', port: 80, count: 1 });
    return x.errors.ECONNREFUSED === 1 ? true : undefined;
  });
});

test('sextant trace explains the live rules of the node namespace', async () => {
  const out = await run('trace', '--netns', lab.node, '--src', '10.244.1.3', '--dst', '10.96.0.10', '--port', '80');
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /filter\/SX-SERVICES .*default\/web:http has no endpoints/);
  assert.match(out.stdout, /=> REJECT; masqueraded: no/);
});

test('SIGTERM leaves the rules in place; --cleanup removes them', async () => {
  const exited = new Promise<number | null>((resolve) => proxy.once('exit', (code) => resolve(code)));
  proxy.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(nsExec(lab.node, 'iptables-save', '-t', 'nat'), /SX-SERVICES/);
  const c = await run('proxy', '--cleanup', '--netns', lab.node);
  assert.equal(c.code, 0, c.stderr);
  assert.doesNotMatch(nsExec(lab.node, 'iptables-save'), /SX-/);
});
