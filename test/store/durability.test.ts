// kill -9 of a process in the middle of a write storm loses no acknowledged write, and leaves a
// database that passes PRAGMA integrity_check. Two rounds on the same file, so the second round
// also starts from a crashed WAL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../controller/store/sqlite/index.js';

const CHILD = fileURLToPath(new URL('./write-storm-child.ts', import.meta.url));
const ACKS_BEFORE_KILL = 400;

interface Acked {
  created: Set<string>;
  updated: Map<string, number>;
}

/** Runs one storm, kills it with SIGKILL after enough acknowledgements, returns what was acknowledged. */
async function stormAndKill(dbPath: string, tag: string, children: ChildProcess[]): Promise<Acked> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dbPath, tag], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const acked: Acked = { created: new Set(), updated: new Map() };
  let stderr = '';
  let buf = '';
  let count = 0;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? code)));
  await new Promise<void>((resolve, reject) => {
    child.on('exit', () => reject(new Error(`storm child exited before the kill: ${stderr}`)));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const [verb, key, n] = line.split(' ');
        if (verb === 'create') acked.created.add(key!);
        else if (verb === 'update') acked.updated.set(key!, Math.max(acked.updated.get(key!) ?? 0, Number(n)));
        if (++count === ACKS_BEFORE_KILL) {
          child.kill('SIGKILL');
          resolve();
        }
      }
    });
  });
  assert.equal(await exited, 'SIGKILL');
  return acked;
}

test('sqlite store: kill -9 during a write storm loses no acknowledged write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sx-durability-'));
  const children: ChildProcess[] = [];
  try {
    const dbPath = join(dir, 'state.db');
    const rounds = [await stormAndKill(dbPath, 'r1', children), await stormAndKill(dbPath, 'r2', children)];

    const check = new Database(dbPath);
    try {
      assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      check.close();
    }

    const store = await openSqliteStore({ path: dbPath });
    try {
      let checked = 0;
      for (const acked of rounds) {
        assert.ok(acked.created.size > 0 && acked.updated.size > 0, 'the storm acknowledged creates and updates');
        for (const key of acked.created) {
          assert.ok(await store.get(key), `acknowledged create of ${key} survived`);
          checked++;
        }
        for (const [key, n] of acked.updated) {
          const obj = await store.get(key);
          assert.ok(((obj?.status as { n?: number } | undefined)?.n ?? -1) >= n, `acknowledged update ${key} -> ${n} survived`);
        }
      }
      assert.ok(checked >= ACKS_BEFORE_KILL, `checked ${checked} acknowledged creates`);
      const revisions = new Set((await store.list('/core/pods/storm/')).items.map((o) => o.metadata?.resourceVersion));
      assert.equal(revisions.size, (await store.list('/core/pods/storm/')).items.length, 'revisions are unique after recovery');
    } finally {
      await store.close();
    }
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
