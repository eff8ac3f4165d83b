/**
 * A held xtables lock: `sextant proxy --iptables-mode legacy` (the legacy backend is the one that
 * takes the xtables lock; iptables-nft ignores it) runs in a private mount namespace
 * (`unshare --mount`) where /run/xtables.lock is bind-mounted from a file of this test, so the test
 * can hold the proxy's lock with the real `flock` without touching the lock every other iptables
 * user on the machine shares. (Where /run/xtables.lock does not exist there is nothing to mount
 * over; the proxy then gets the same private file through iptables' XTABLES_LOCKFILE variable.)
 *
 * While the lock is held, an EndpointSlice change makes iptables-restore give up after its `-w`
 * wait with the real "Another app is currently holding the xtables lock" error: the proxy logs the
 * failed sync, the old rules keep serving, and it retries. Once the lock is released the next
 * successful sync is a full one and the rules are correct: traffic reaches only the new endpoint.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, KINDS, type EndpointSlice, type Namespace } from '../../controller/api/index.js';
import { killAll, webService, webSlice } from './proxy-fixtures.js';
import { NetnsLab, nsExec } from '../proxy/netns-lab.js';

const repo = new URL('../../', import.meta.url).pathname;
const lab = new NetnsLab(3); // p1, p2: backends; p3: the client
const dir = mkdtempSync(join(tmpdir(), 'sx-xtlock-'));
const kubeconfig = join(dir, 'kubeconfig');
const lockFile = join(dir, 'xtables.lock');
const procs: ChildProcess[] = [];
let proxy: ChildProcess;
let proxyLogs = '';
let client: ApiClient;

interface LogLine {
  message?: string;
  full?: boolean;
  ok?: boolean;
  error?: string;
}
const logLines = (from: number): LogLine[] =>
  proxyLogs
    .slice(from)
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
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

const track = (p: ChildProcess) => (procs.push(p), p);
const via = (count: number) => lab.client(lab.pods[2]!.ns, { mode: 'tcp', host: '10.96.0.30', port: 80, count });

before(async () => {
  await lab.up();
  writeFileSync(lockFile, '');
  const server = track(spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'server', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--write-kubeconfig', kubeconfig], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SX_LOG_LEVEL: 'warn' } }));
  server.stderr!.resume();
  await until('the server kubeconfig', () => (existsSync(kubeconfig) ? true : undefined));
  client = ApiClient.fromKubeconfig(kubeconfig);
  await until('the API server', () => client.list(KINDS.Service, { namespace: 'default' }).then(() => true, () => undefined));
  await client.create<Namespace>(KINDS.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch(() => undefined);
  const proxyArgs = [process.execPath, '--import', 'tsx', 'cli/main.ts', 'proxy', '--kubeconfig', kubeconfig, '--node-name', 'node-a', '--cluster-cidr', '10.244.0.0/16', '--netns', lab.node, '--iptables-mode', 'legacy', '--healthz-bind-address', '127.0.0.1:0', '--metrics-bind-address', '127.0.0.1:0'];
  const env = { ...process.env, SX_LOG_LEVEL: 'debug' };
  proxy = existsSync('/run/xtables.lock')
    ? // sh only to bind-mount before exec, inside the private mount namespace
      spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /run/xtables.lock && exec "$@"', lockFile, ...proxyArgs], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env })
    : spawn(proxyArgs[0]!, proxyArgs.slice(1), { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...env, XTABLES_LOCKFILE: lockFile } });
  track(proxy);
  proxy.stderr!.on('data', (d: Buffer) => (proxyLogs += d));
  await until('the proxy to start', () => {
    if (proxy.exitCode !== null) throw new Error(`proxy exited ${proxy.exitCode}: ${proxyLogs}`);
    return proxyLogs.includes('"proxy started"') ? true : undefined;
  });
});

after(async () => {
  await killAll(procs);
  lab.down();
  rmSync(dir, { recursive: true, force: true });
});

const svc = webService('10.96.0.30');
const slice = (ip: string) => webSlice([ip]);

test('a held xtables lock fails the restore; the proxy retries, the next sync is full, and the rules end up correct', { timeout: 150_000 }, async () => {
  const [p1, p2, p3] = lab.pods as [(typeof lab.pods)[0], (typeof lab.pods)[0], (typeof lab.pods)[0]];
  await client.create(KINDS.Service, svc);
  await client.create(KINDS.EndpointSlice, slice(p1.ip));
  await until('traffic through the ClusterIP', async () => ((await via(1)).replies.length === 1 ? true : undefined));
  assert.match(nsExec(lab.node, 'iptables-legacy-save', '-t', 'nat'), /SX-SERVICES/, 'the proxy programs the legacy backend');

  // hold the proxy's lock with the real flock; closing stdin ends `cat` and releases it
  const holder = track(spawn('flock', ['--exclusive', lockFile, 'cat'], { stdio: ['pipe', 'ignore', 'pipe'] }));
  await until('the lock to be held', () => (spawnSync('flock', ['--nonblock', lockFile, 'true']).status === 1 ? true : undefined));
  const mark = proxyLogs.length;
  const current = await client.get<EndpointSlice>(KINDS.EndpointSlice, 'default', 'web-1');
  await client.update(KINDS.EndpointSlice, { ...slice(p2.ip), metadata: { ...current.metadata } });

  const failures = () => logLines(mark).filter((l) => l.message === 'sync failed; the next sync will be full');
  await until('two failed syncs (a retry) under the held lock', () => (failures().length >= 2 ? true : undefined), 60_000);
  for (const f of failures()) assert.match(f.error ?? '', /xtables lock/, f.error);
  assert.deepEqual(logLines(mark).filter((l) => l.message === 'synced'), [], 'no sync succeeds while the lock is held');
  // the failed restores applied nothing: the old rules still serve the old endpoint
  assert.deepEqual(await via(2), { replies: [`p1 ${p3.ip}`, `p1 ${p3.ip}`], errors: {} });

  const released = proxyLogs.length;
  const gone = new Promise((r) => holder.once('exit', r));
  holder.stdin!.end();
  await gone;
  const first = await until('a successful sync after the release', () => logLines(released).find((l) => l.message === 'synced'));
  assert.equal(first.full, true, 'the first sync after the failures is full');
  assert.equal(first.ok, true);
  const r = await until('traffic to the new endpoint', async () => {
    const x = await via(4);
    return x.replies.length === 4 ? x : undefined;
  });
  assert.deepEqual(r.replies, Array(4).fill(`p2 ${p3.ip}`), 'only the new endpoint receives traffic');
  const nat = nsExec(lab.node, 'iptables-legacy-save', '-t', 'nat');
  assert.match(nat, new RegExp(`--to-destination ${p2.ip.replace(/\./g, '\\.')}:8080`));
  assert.doesNotMatch(nat, new RegExp(`--to-destination ${p1.ip.replace(/\./g, '\\.')}:8080`), 'the old endpoint is gone from the rules');
});
