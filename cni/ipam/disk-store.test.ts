import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DiskStore } from './disk-store.js';
import { Ipam } from './ipam.js';
import { resolveRange } from './range-set.js';

describe('DiskStore (host-local layout on a real directory)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sx-cni-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the reservation and last_reserved_ip exactly as host-local does, a shorter address over a longer one too', () => {
    const store = new DiskStore(join(dir, 'net'));
    store.pendingLock();
    assert.equal(store.reserve('10.1.0.100', 'c1', 'eth0', 0), true);
    assert.equal(readFileSync(join(dir, 'net', '10.1.0.100'), 'utf8'), 'c1\r\neth0');
    assert.equal(readFileSync(join(dir, 'net', 'last_reserved_ip.0'), 'utf8'), '10.1.0.100');
    // Rewritten in place: the old, longer content must not show through ("10.1.0.900").
    assert.equal(store.reserve('10.1.0.9', 'c2', 'eth0', 0), true);
    assert.equal(readFileSync(join(dir, 'net', 'last_reserved_ip.0'), 'utf8'), '10.1.0.9');
    assert.equal(store.lastReserved(0), '10.1.0.9');
    assert.equal(store.reserve('10.1.0.9', 'c3', 'eth0', 0), false, 'taken: O_EXCL');
    assert.equal(store.lastReserved(0), '10.1.0.9');
    assert.equal(store.reserve('10.1.1.7', 'c4', 'eth0', 1), true);
    assert.deepEqual({ set0: store.lastReserved(0), set1: store.lastReserved(1) }, { set0: '10.1.0.9', set1: '10.1.1.7' });
    assert.deepEqual(readdirSync(join(dir, 'net')).sort(), ['10.1.0.100', '10.1.0.9', '10.1.1.7', 'last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
  });

  it('allocation skips addresses another plugin reserved (one listing under the lock)', async () => {
    mkdirSync(join(dir, 'net2'));
    writeFileSync(join(dir, 'net2', '10.1.2.2'), 'other\r\neth0');
    writeFileSync(join(dir, 'net2', '10.1.2.3'), 'other2\r\neth0');
    const ipam = new Ipam('net2', [[resolveRange({ subnet: '10.1.2.0/24' }, 'test')]], dir);
    const a = await ipam.allocate('mine', 'eth0');
    assert.equal(a.ips[0]!.address, '10.1.2.4/24');
    await assert.rejects(ipam.allocate('other', 'eth0'), /10\.1\.2\.2 has been allocated to other/);
  });
});
