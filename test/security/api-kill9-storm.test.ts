/**
 * kill -9 of a real `sextant server` (secure default, HTTPS, SQLite with its default
 * synchronous=FULL) in the middle of an HTTP write storm: several concurrent clients create
 * Services and merge-patch them; every write that got a 2xx is recorded. After SIGKILL by PID and a
 * restart on the same data dir, every acknowledged create exists and every acknowledged update is
 * present (the stored generation annotation and resourceVersion are at least the acknowledged ones),
 * and the restarted server serves reads and writes normally.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { loadKubeconfig, type ConnectionConfig } from '../../controller/api/kubeconfig.js';
import { callApi } from './secure-server.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'sx-kill9-'));
const dataDir = join(dir, 'data');
const CLIENTS = 6;
const ACKS_BEFORE_KILL = 240;
const children: ChildProcess[] = [];

type Replied = { metadata?: { name: string; resourceVersion?: string; annotations?: Record<string, string> }; items?: { metadata: { name: string; resourceVersion: string; annotations?: Record<string, string> } }[] };
const call = (cfg: ConnectionConfig, method: string, path: string, body?: unknown, contentType?: string) =>
  callApi<Replied>({ server: cfg.server, ca: cfg.ca! }, cfg, method, path, body, contentType);

/** Starts `sextant server` on the shared data dir (no --sqlite-synchronous: the default FULL). */
async function startServer(): Promise<{ child: ChildProcess; cfg: ConnectionConfig; stderr: () => string }> {
  const kubeconfig = join(dir, `kubeconfig-${children.length}`);
  let stderr = '';
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--write-kubeconfig', kubeconfig], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SX_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 60_000;
  while (!existsSync(kubeconfig)) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const cfg = loadKubeconfig(kubeconfig);
  for (let i = 0; ; i++) {
    const r = await call(cfg, 'GET', '/api/v1/namespaces/default/services').catch(() => undefined);
    if (r?.code === 200) break;
    if (i > 300) throw new Error(`server not serving: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, cfg, stderr: () => stderr };
}

after(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', annotations: { gen: '0' } }, spec: { ports: [{ port: 80 }] } });
const base = '/api/v1/namespaces/default/services';

test('kill -9 of sextant server during an HTTP write storm loses no acknowledged write', { timeout: 180_000 }, async () => {
  const first = await startServer();
  const created = new Set<string>();
  const updated = new Map<string, { gen: number; rv: number }>();
  let acks = 0;
  let killed = false;
  let killedAt: () => void = () => undefined;
  const killDone = new Promise<void>((r) => (killedAt = r));

  const ack = () => {
    if (++acks === ACKS_BEFORE_KILL && !killed) {
      killed = true;
      process.kill(first.child.pid!, 'SIGKILL');
      killedAt();
    }
  };

  // each client creates a Service, patches it three times, and moves on to the next one
  const client = async (c: number) => {
    for (let n = 0; !killed; n++) {
      const name = `c${c}-${n}`;
      try {
        const r = await call(first.cfg, 'POST', base, svc(name));
        if (r.code < 200 || r.code >= 300) {
          if (killed) return;
          throw new Error(`create ${name}: ${r.code} ${r.body.slice(0, 200)}`);
        }
        created.add(name);
        ack();
        for (let gen = 1; gen <= 3 && !killed; gen++) {
          const p = await call(first.cfg, 'PATCH', `${base}/${name}`, { metadata: { annotations: { gen: String(gen) } } }, 'application/merge-patch+json');
          if (p.code < 200 || p.code >= 300) {
            if (killed) return;
            throw new Error(`patch ${name}: ${p.code} ${p.body.slice(0, 200)}`);
          }
          assert.equal(p.json?.metadata?.annotations?.gen, String(gen));
          updated.set(name, { gen, rv: Number(p.json!.metadata!.resourceVersion) });
          ack();
        }
      } catch (err) {
        if (killed) return; // the connection died with the server: the write was not acknowledged
        throw err;
      }
    }
  };
  await Promise.all([...Array(CLIENTS).keys()].map(client));
  await killDone;
  const exit = await new Promise<NodeJS.Signals | number | null>((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r(first.child.signalCode ?? first.child.exitCode) : first.child.once('exit', (code, sig) => r(sig ?? code))));
  assert.equal(exit, 'SIGKILL');
  assert.ok(created.size > 0 && updated.size > 0, `storm made acknowledged creates (${created.size}) and updates (${updated.size})`);

  const second = await startServer();
  const list = await call(second.cfg, 'GET', base);
  assert.equal(list.code, 200, list.body.slice(0, 200));
  const stored = new Map(list.json!.items!.map((i) => [i.metadata.name, i.metadata]));
  const lost = [...created].filter((n) => !stored.has(n));
  assert.deepEqual(lost, [], 'every acknowledged create exists after restart');
  for (const [name, { gen, rv }] of updated) {
    const m = stored.get(name)!;
    assert.ok(Number(m.annotations?.gen) >= gen, `${name}: stored gen ${m.annotations?.gen} >= acknowledged ${gen}`);
    assert.ok(Number(m.resourceVersion) >= rv, `${name}: stored resourceVersion ${m.resourceVersion} >= acknowledged ${rv}`);
  }
  // the restarted server serves normally: a new create, a patch, a get, a delete
  assert.equal((await call(second.cfg, 'POST', base, svc('after-restart'))).code, 201);
  const p = await call(second.cfg, 'PATCH', `${base}/after-restart`, { metadata: { annotations: { gen: '9' } } }, 'application/merge-patch+json');
  assert.equal(p.code, 200, p.body.slice(0, 200));
  const maxRv = Math.max(...[...stored.values()].map((m) => Number(m.resourceVersion)));
  assert.ok(Number(p.json!.metadata!.resourceVersion) > maxRv, 'resourceVersions keep increasing after the restart');
  const g = await call(second.cfg, 'GET', `${base}/after-restart`);
  assert.equal(g.json?.metadata?.annotations?.gen, '9');
  const someAcked = [...created][0]!;
  assert.equal((await call(second.cfg, 'DELETE', `${base}/${someAcked}`)).code, 200);
  assert.doesNotMatch(second.stderr(), /Uncaught|FATAL|unhandled/i);
});
