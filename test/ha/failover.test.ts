/**
 * Node daemons fail over between API servers: two HTTPS `sextant server` processes on one 3-member
 * etcd, sharing one cluster CA (--ca-dir). The real `sextant dns` daemon runs with ONE kubeconfig
 * (one CA, one client certificate for system:coredns) listing both servers. The server it watches
 * through is killed (SIGKILL); the daemon keeps receiving watch events through the other server
 * (a Service created afterwards answers, a deleted one stops answering), and an administrator
 * client built the same way has its requests served by the survivor.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../controller/api/client.js';
import { KINDS } from '../../controller/api/kinds.js';
import { loadKubeconfig } from '../../controller/api/kubeconfig.js';
import type { Service } from '../../controller/api/service.js';
import { ROLE_IDENTITIES } from '../../controller/auth/credentials.js';
import { startHaBed, type HaBed } from './ha-harness.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let bed: HaBed | undefined;
let dns: { child: ChildProcess; port: number; http: Record<string, number>; exited: Promise<unknown> } | undefined;
const clients: ApiClient[] = [];

before(async () => {
  bed = await startHaBed({ etcdMembers: 3, servers: 2 });
});
after(async () => {
  for (const c of clients) c.close();
  if (dns && dns.child.exitCode === null && dns.child.signalCode === null) {
    process.kill(dns.child.pid!, 'SIGKILL');
    await dns.exited;
  }
  await bed?.destroy();
});

async function startDns(kubeconfig: string): Promise<NonNullable<typeof dns>> {
  const child = spawn(process.execPath, [
    '--import', 'tsx', join(repo, 'cli/main.ts'), 'dns', '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0',
    '--upstream', '127.0.0.1:9', '--ttl', '1', '--pods', 'disabled', '--lameduck', '0s',
    '--metrics-listen', '127.0.0.1:0', '--health-listen', '127.0.0.1:0', '--ready-listen', '127.0.0.1:0',
  ], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: string[] = [];
  const exited = new Promise<unknown>((r) => child.once('exit', r));
  const serving = await new Promise<Record<string, unknown>>((res, rej) => {
    readline.createInterface({ input: child.stderr! }).on('line', (l) => {
      logs.push(l);
      try {
        const e = JSON.parse(l) as Record<string, unknown>;
        if (e.message === 'serving') res(e);
      } catch {
        // not a log line
      }
    });
    void exited.then(() => rej(new Error(`sextant dns exited: ${logs.join('\n').slice(-2000)}`)));
  });
  return { child, port: serving.port as number, http: serving.http as Record<string, number>, exited };
}

/** The A records dig gets for `name` from the DNS daemon (empty for NXDOMAIN or no answer). */
function aRecords(name: string): Promise<string[]> {
  return new Promise((res) => {
    execFile('dig', ['@127.0.0.1', '-p', String(dns!.port), '+tries=1', '+time=2', '+noall', '+answer', name, 'A'], { timeout: 10_000 }, (_e, stdout) => {
      res(String(stdout).split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[3] === 'A').map((f) => f[4]!).sort());
    });
  });
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const service = (name: string): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80, protocol: 'TCP' }] } } as Service);

test('one kubeconfig (one CA, one client certificate) is valid on every API server over HTTPS', async () => {
  const path = bed!.kubeconfigFor('dns', { id: { user: ROLE_IDENTITIES.dns.user, groups: [...ROLE_IDENTITIES.dns.groups] } });
  const cfg = loadKubeconfig(path);
  assert.match(cfg.server, /^https:\/\//);
  assert.equal(cfg.servers?.length, 1);
  for (const url of [cfg.server, ...(cfg.servers ?? [])]) {
    const only = new ApiClient({ ...cfg, server: url, servers: [] });
    clients.push(only);
    const list = await only.list(KINDS.Service, { namespace: 'default' });
    assert.ok(Array.isArray(list.items), `listed services through ${url}`);
  }
});

test('sextant dns keeps receiving watch events after the server it watches through is killed', async () => {
  const b = bed!;
  const [first, second] = [b.servers[0]!, b.servers[1]!];
  dns = await startDns(b.kubeconfigFor('dns-daemon', { id: { user: ROLE_IDENTITIES.dns.user, groups: [...ROLE_IDENTITIES.dns.groups] } }));
  const admin = ApiClient.fromKubeconfig(b.kubeconfigFor('admin-failover'));
  clients.push(admin);
  assert.equal(admin.server.href, `${first.url}/`);

  const before = await admin.create(KINDS.Service, service('before-kill'));
  await until('before-kill answers', async () => ((await aRecords('before-kill.default.svc.cluster.local'))[0] === before.spec.clusterIP ? true : undefined), 30_000);

  await b.killServer(0);
  // requests through the one kubeconfig now go to the survivor: a read moves over by itself (a
  // write on a keep-alive socket the dead server had open is not repeated, by design), then writes
  const listed = await admin.list(KINDS.Service, { namespace: 'default' });
  assert.ok(listed.items.some((s) => s.metadata.name === 'before-kill'));
  assert.equal(admin.server.href, `${second.url}/`);
  const afterKill = await admin.create(KINDS.Service, service('after-kill'));
  assert.ok(afterKill.spec.clusterIP);
  await admin.delete(KINDS.Service, 'default', 'before-kill');

  // the daemon's informers resumed through the survivor: the new Service answers, the deleted one does not
  await until('after-kill answers through the surviving server', async () => ((await aRecords('after-kill.default.svc.cluster.local'))[0] === afterKill.spec.clusterIP ? true : undefined), 30_000);
  await until('before-kill is gone', async () => ((await aRecords('before-kill.default.svc.cluster.local')).length === 0 ? true : undefined), 30_000);
  const ready = await fetch(`http://127.0.0.1:${dns.http.ready}/ready`);
  assert.equal(ready.status, 200);
  assert.equal(dns.child.exitCode, null, 'the daemon did not restart');
});
