/**
 * The data plane survives an API outage: `sextant proxy` (in a node namespace the test creates,
 * as test/proxy does) programs a ClusterIP Service backed by a TCP server in a pod namespace, then
 * the real `sextant server` is stopped (SIGTERM, waited for) for SX_OUTAGE_SECONDS (default 10;
 * the 60 s run is `SX_OUTAGE_SECONDS=60`). Throughout the outage connections through the
 * ClusterIP keep reaching the backend while the proxy keeps re-syncing from its cache (short
 * --sync-period and --full-sync-period). The server is restarted on the same data dir and port; a
 * second backend is added to the Service's EndpointSlice and the rules converge: the new backend
 * receives traffic through the ClusterIP.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, KINDS, type EndpointSlice, type Namespace } from '../../controller/api/index.js';
import { killAll, webService, webSlice } from './proxy-fixtures.js';
import { NetnsLab } from '../proxy/netns-lab.js';

const OUTAGE_SECONDS = Number(process.env.SX_OUTAGE_SECONDS ?? '10');
const lab = new NetnsLab(3); // p1, p2: backends; p3: the client
const dir = mkdtempSync(join(tmpdir(), 'sx-proxy-outage-'));
const dataDir = join(dir, 'data');
const kubeconfig = join(dir, 'kubeconfig');
const procs: ChildProcess[] = [];
let server: ChildProcess;
let proxy: ChildProcess;
let proxyLogs = '';
let client: ApiClient;
let port = 0;

const cli = (env: Record<string, string>, ...args: string[]) => {
  const p = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: new URL('../../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  procs.push(p);
  return p;
};

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startServer(listen: string): Promise<void> {
  rmSync(kubeconfig, { force: true });
  server = cli({ SX_LOG_LEVEL: 'warn' }, 'server', '--data-dir', dataDir, '--listen', listen, '--write-kubeconfig', kubeconfig);
  let err = '';
  server.stderr!.on('data', (d: Buffer) => (err += d));
  server.stdout!.resume();
  await until('the server kubeconfig', () => {
    if (server.exitCode !== null) throw new Error(`server exited ${server.exitCode}: ${err}`);
    return existsSync(kubeconfig) ? true : undefined;
  });
  client = ApiClient.fromKubeconfig(kubeconfig);
  await until('the API server', () => client.list(KINDS.Service, { namespace: 'default' }).then(() => true, () => undefined));
}

const via = (count: number) => lab.client(lab.pods[2]!.ns, { mode: 'tcp', host: '10.96.0.20', port: 80, count });

before(async () => {
  if (!Number.isFinite(OUTAGE_SECONDS) || OUTAGE_SECONDS <= 0) throw new Error(`SX_OUTAGE_SECONDS: must be a positive number, got ${process.env.SX_OUTAGE_SECONDS}`);
  await lab.up();
  await startServer('127.0.0.1:0');
  port = Number(new URL(/server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))![1]!).port);
  assert.ok(port > 0);
  await client.create<Namespace>(KINDS.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch(() => undefined);
  proxy = cli({ SX_LOG_LEVEL: 'debug' }, 'proxy', '--kubeconfig', kubeconfig, '--node-name', 'node-a', '--cluster-cidr', '10.244.0.0/16', '--netns', lab.node, '--healthz-bind-address', '127.0.0.1:0', '--metrics-bind-address', '127.0.0.1:0', '--sync-period', '1s', '--full-sync-period', '2s');
  proxy.stderr!.on('data', (d: Buffer) => (proxyLogs += d));
  proxy.stdout!.resume();
  await until('the proxy to start', () => (proxyLogs.includes('"proxy started"') ? true : undefined));
});

after(async () => {
  await killAll(procs);
  lab.down();
  rmSync(dir, { recursive: true, force: true });
});

const svc = webService('10.96.0.20');
const slice = webSlice;

test(`the ClusterIP keeps serving through a ${OUTAGE_SECONDS} s API outage and rules converge after it`, { timeout: 120_000 + OUTAGE_SECONDS * 3_000 }, async () => {
  const [p1, p2, p3] = lab.pods as [(typeof lab.pods)[0], (typeof lab.pods)[0], (typeof lab.pods)[0]];
  await client.create(KINDS.Service, svc);
  await client.create(KINDS.EndpointSlice, slice([p1.ip]));
  await until('traffic through the ClusterIP', async () => ((await via(1)).replies.length === 1 ? true : undefined));
  assert.deepEqual((await via(3)).replies, Array(3).fill(`p1 ${p3.ip}`));

  // the outage: SIGTERM, wait for the exit
  const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
  server.kill('SIGTERM');
  assert.equal(await exited, 0, 'the server exits cleanly on SIGTERM');
  const logsBefore = proxyLogs.length;
  const end = Date.now() + OUTAGE_SECONDS * 1000;
  let checks = 0;
  while (Date.now() < end) {
    const r = await via(1);
    assert.deepEqual(r, { replies: [`p1 ${p3.ip}`], errors: {} }, `during the outage (check ${checks + 1})`);
    assert.equal(proxy.exitCode, null, 'the proxy keeps running');
    checks++;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(checks >= 2, `traffic was checked during the outage (${checks} checks)`);
  const outageLogs = proxyLogs.slice(logsBefore);
  assert.match(outageLogs, /watch failed; retrying/, 'the proxy noticed the outage');
  const syncs = outageLogs.split('\n').flatMap((l) => {
    try {
      const j = JSON.parse(l) as { message?: string; full?: boolean; ok?: boolean };
      return j.message === 'synced' ? [j] : [];
    } catch {
      return [];
    }
  });
  assert.ok(syncs.some((j) => j.full === true && j.ok === true), 'the proxy kept re-syncing (full) from its cache during the outage');

  // the server returns on the same data dir and port; the Service gains a second backend
  await startServer(`127.0.0.1:${port}`);
  const current = await client.get<EndpointSlice>(KINDS.EndpointSlice, 'default', 'web-1');
  await client.update(KINDS.EndpointSlice, { ...slice([p1.ip, p2.ip]), metadata: { ...current.metadata } });
  const seen = await until('the new backend to receive traffic', async () => {
    const r = await via(6);
    return r.replies.some((x) => x.startsWith('p2 ')) ? r : undefined;
  }, 90_000);
  for (const reply of seen.replies) assert.ok(reply === `p1 ${p3.ip}` || reply === `p2 ${p3.ip}`, reply);
  assert.equal(proxy.exitCode, null);
});
