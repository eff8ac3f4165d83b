// A real full disk: the store runs in a child process in a private mount namespace on a 2 MiB
// tmpfs. Writes fail with StorageFull (no revision taken, reads keep working), and succeed again
// once space returns, without a restart. Needs root (mount, unshare).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./disk-full-child.ts', import.meta.url));

test('sqlite store: disk full is StorageFull, and the store recovers when space returns', async (t) => {
  if (process.getuid?.() !== 0) {
    assert.fail('needs root: run the store tests as root (mount namespaces and tmpfs)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'sx-diskfull-'));
  try {
    const script = 'mount -t tmpfs -o size=2m sx-diskfull "$0" && exec "$1" --import tsx "$2" "$0"';
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, dir, process.execPath, CHILD], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    t.diagnostic(out.trim());
    assert.equal(code, 0, `child failed: ${err}`);
    const r = JSON.parse(out) as Record<string, unknown>;
    assert.equal(r.fullCode, 'StorageFull');
    assert.equal(r.revAtFailure, (r.revBefore as number) + (r.writesWhileFull as number), 'a failed write takes no revision');
    assert.equal(r.readWhileFull, true);
    assert.equal(r.listWhileFull, 20 + (r.writesWhileFull as number));
    assert.equal(r.recoveredCode, 'ok', 'writes work again once space returns');
    assert.equal(r.revAfter, (r.revAtFailure as number) + 1);
    assert.equal(r.revReopened, r.revAfter);
    assert.deepEqual(r.missing, []);
    assert.equal(r.integrity, 'ok');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
