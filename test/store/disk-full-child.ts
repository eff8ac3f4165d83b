// Child process of disk-full.test.ts, run inside its own mount namespace with argv[2] a 2 MiB
// tmpfs: writes, fills the disk, checks the store fails writes with StorageFull and keeps serving
// reads, frees the space, checks writes work again, reopens. Prints one JSON report on stdout.
import { openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isStoreError } from '../../controller/store/errors.js';
import { openSqliteStore } from '../../controller/store/sqlite/index.js';

const dir = process.argv[2]!;
const path = join(dir, 'state.db');
const filler = join(dir, 'filler');
const doc = (name: string) => ({ metadata: { name }, data: { pad: 'y'.repeat(1500) } });

const fillDisk = (): void => {
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(16 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
};

const store = await openSqliteStore({ path });
const acked: string[] = [];
for (let i = 0; i < 20; i++) {
  await store.create(`/core/cm/ns/before-${i}`, doc(`before-${i}`));
  acked.push(`/core/cm/ns/before-${i}`);
}
fillDisk();
const revBefore = await store.currentRevision();
let failure: unknown;
let writesWhileFull = 0;
for (let i = 0; i < 2000 && failure === undefined; i++) {
  try {
    await store.create(`/core/cm/ns/full-${i}`, doc(`full-${i}`));
    acked.push(`/core/cm/ns/full-${i}`);
    writesWhileFull++;
  } catch (err) {
    failure = err;
  }
}
const fullCode = isStoreError(failure) ? failure.code : String(failure);
const revAtFailure = await store.currentRevision();
const readWhileFull = (await store.get('/core/cm/ns/before-0')) !== null;
const listWhileFull = (await store.list('/core/cm/ns/')).items.length;
rmSync(filler);
let recoveredCode = 'ok';
try {
  await store.create('/core/cm/ns/after', doc('after'));
  acked.push('/core/cm/ns/after');
} catch (err) {
  recoveredCode = isStoreError(err) ? err.code : String(err);
}
const revAfter = await store.currentRevision();
await store.close();

const reopened = await openSqliteStore({ path });
const missing: string[] = [];
for (const key of acked) if (!(await reopened.get(key))) missing.push(key);
const revReopened = await reopened.currentRevision();
await reopened.close();
const raw = new Database(path);
const integrity = raw.pragma('integrity_check', { simple: true });
raw.close();

process.stdout.write(
  JSON.stringify({ revBefore, writesWhileFull, fullCode, revAtFailure, readWhileFull, listWhileFull, recoveredCode, revAfter, revReopened, acked: acked.length, missing, integrity }) + '\n',
);
