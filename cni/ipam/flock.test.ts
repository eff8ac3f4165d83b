import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runTool } from '../../kernel/exec-tool.js';
import { PendingLock } from './flock.js';

/** Whether another process (as host-local would) can take the flock right now. */
const othersCanLock = (path: string) => spawnSync('flock', ['-x', '-n', path, 'true']).status === 0;

describe('PendingLock: the IPAM flock, taken by a child that runs anyway or by flock(1)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sx-flock-ut-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const blocking of [false, true]) {
    it(`a tool's child takes it for us and it stays held until release (${blocking ? 'spawnSync' : 'async'})`, async () => {
      const path = join(dir, `lock-${blocking}`);
      const lock = new PendingLock(path);
      const ran = runTool('true', [], undefined, { handoff: lock, blocking });
      const release = await lock.acquire();
      await ran;
      assert.equal(othersCanLock(path), false, 'held after the child exited');
      release();
      assert.equal(othersCanLock(path), true, 'free after release');
    });
  }

  it('the tool failing after the lock was taken still leaves the lock held (ADD rolls back under it)', async () => {
    const path = join(dir, 'lock-fail');
    const lock = new PendingLock(path);
    const ran = runTool('false', [], undefined, { handoff: lock, blocking: true });
    const release = await lock.acquire();
    await assert.rejects(ran);
    assert.equal(othersCanLock(path), false);
    release();
  });

  it('unclaimed, acquire() takes it with flock(1); a held lock makes the child wait, then fail after its timeout', async () => {
    const path = join(dir, 'lock-own');
    const first = new PendingLock(path);
    const release = await first.acquire();
    assert.equal(othersCanLock(path), false);
    const second = new PendingLock(path, 1);
    const ran = runTool('true', [], undefined, { handoff: second, blocking: true });
    await assert.rejects(second.acquire(), /flock/);
    await assert.rejects(ran);
    release();
    assert.equal(othersCanLock(path), true);
  });
});
