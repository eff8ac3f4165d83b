/**
 * Disk full under a real `sextant server`: the server runs in a private mount namespace
 * (`unshare --mount`) whose data dir is an 8 MiB tmpfs; the test fills that tmpfs through
 * `/proc/<pid>/root` (the server's view of the file system). Writes then fail with a 507 or 500
 * Status, reads keep working, nothing half-written appears, the database passes SQLite's
 * integrity check, and writes succeed again once the filler is removed — without a restart.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadKubeconfig, type ConnectionConfig } from '../../controller/api/kubeconfig.js';
import { callApi } from './secure-server.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'sx-apifull-'));
const mnt = join(dir, 'mnt');
const kubeconfig = join(dir, 'kubeconfig');
let child: ChildProcess | undefined;
let admin: ConnectionConfig;
let stderr = '';

const inServer = (p: string) => `/proc/${child!.pid}/root${p}`;

type Listed = { reason?: string; kind?: string; items?: { metadata: { name: string } }[] };
const call = (method: string, path: string, body?: unknown) => callApi<Listed>({ server: admin.server, ca: admin.ca! }, admin, method, path, body);

const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }] } });

describe('API server on a full disk (tmpfs in a private mount namespace)', { timeout: 180_000 }, () => {
  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('test/security/api-disk-full needs root (mount namespaces, tmpfs)');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(mnt);
    // sh only to mount before exec (test harness, as test/store/disk-full.test.ts does)
    const script = 'mount -t tmpfs -o size=8m sx-apifull "$0" && exec "$1" --import tsx "$2" server --data-dir "$0/data" --listen 127.0.0.1:0 --write-kubeconfig "$3"';
    child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, mnt, process.execPath, join(repo, 'cli/main.ts'), kubeconfig], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SX_LOG_LEVEL: 'warn' } });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const until = Date.now() + 60_000;
    while (!existsSync(kubeconfig)) {
      if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${stderr}`);
      if (Date.now() > until) throw new Error(`server did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    admin = loadKubeconfig(kubeconfig);
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes fail with 507/500 Status, reads work, no corruption, and writes recover when space returns', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await call('POST', '/api/v1/namespaces/default/services', svc(`before-${i}`))).code, 201);
    // fill the tmpfs from the server's own mount namespace
    const filler = inServer(`${mnt}/filler`);
    const chunk = Buffer.alloc(256 * 1024, 1);
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(filler, 'w');
    try {
      for (;;) writeSync(fd, chunk);
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      closeSync(fd);
    }
    try {
      for (let n = 4096; n >= 1; n = Math.floor(n / 2)) writeFileSync(`${filler}-${n}`, Buffer.alloc(n));
    } catch {
      // the last few bytes are taken too
    }
    const refused: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await call('POST', '/api/v1/namespaces/default/services', svc(`full-${i}-${'x'.repeat(40)}`.slice(0, 60)));
      if (r.code >= 400) {
        assert.ok(r.code === 507 || r.code === 500, `code ${r.code}: ${r.body.slice(0, 200)}`);
        assert.equal(r.json?.kind, 'Status');
        refused.push(i);
      }
    }
    assert.ok(refused.length > 0, 'writes fail while the disk is full');
    const list = await call('GET', '/api/v1/namespaces/default/services');
    assert.equal(list.code, 200, 'reads still work');
    const names = new Set(list.json!.items!.map((s) => s.metadata.name));
    for (let i = 0; i < 5; i++) assert.ok(names.has(`before-${i}`));
    for (const i of refused) assert.ok(![...names].some((n) => n.startsWith(`full-${i}-`)), `refused write ${i} is not stored`);
    // space returns: remove the filler, writes work again without a restart
    const { readdirSync, unlinkSync } = await import('node:fs');
    for (const f of readdirSync(inServer(mnt))) if (f.startsWith('filler')) unlinkSync(inServer(`${mnt}/${f}`));
    let after = await call('POST', '/api/v1/namespaces/default/services', svc('after'));
    for (let i = 0; after.code >= 500 && i < 20; i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = await call('POST', '/api/v1/namespaces/default/services', svc('after'));
    }
    assert.equal(after.code, 201, after.body.slice(0, 200));
    assert.equal((await call('GET', '/api/v1/namespaces/default/services/after')).code, 200);
    // a copy of the (idle) database and its WAL, checked outside the server's namespace
    const { copyFileSync } = await import('node:fs');
    const files = readdirSync(inServer(`${mnt}/data`)).filter((f) => /\.db(-wal)?$/.test(f));
    const main = files.find((f) => f.endsWith('.db'));
    assert.ok(main, `a database in the data dir: ${files.join(' ')}`);
    for (const f of files) copyFileSync(inServer(`${mnt}/data/${f}`), join(dir, f));
    const db = new Database(join(dir, main), { fileMustExist: true });
    try {
      assert.equal((db.pragma('integrity_check', { simple: true }) as string), 'ok');
    } finally {
      db.close();
    }
    assert.doesNotMatch(stderr, /Uncaught|FATAL|unhandled/i);
  });
});
