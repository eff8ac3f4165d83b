import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { applyInNetns } from './ip-command.js';
import { NetlinkError } from './types.js';

/** The CNI pod side in one process: sysctls written, then the plan applied, in a real namespace. */
describe('applyInNetns (real namespace)', () => {
  const name = `sx-ain-${randomBytes(3).toString('hex')}`;
  const path = `/run/netns/${name}`;
  const inNs = (...args: string[]) => execFileSync('nsenter', [`--net=${path}`, '--', ...args], { encoding: 'utf8' }).trim();
  before(() => execFileSync('ip', ['netns', 'add', name]));
  after(() => execFileSync('ip', ['netns', 'del', name]));

  for (const blocking of [false, true]) {
    it(`writes the sysctls, then applies the ops (${blocking ? 'spawnSync' : 'async'})`, async () => {
      execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'down']);
      const value = blocking ? '1' : '0';
      await applyInNetns(path, [{ op: 'link.set', name: 'lo', change: { up: true } }], { 'net/ipv4/conf/lo/arp_notify': value }, { blocking });
      assert.equal(inNs('sysctl', '-n', 'net.ipv4.conf.lo.arp_notify'), value);
      assert.match(inNs('ip', '-o', 'link', 'show', 'lo'), /[<,]UP[,>]/);
    });
  }

  it('a failed sysctl write rejects at op 0 and applies none of the ops', async () => {
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'down']);
    await assert.rejects(
      applyInNetns(path, [{ op: 'link.set', name: 'lo', change: { up: true } }], { 'net/ipv4/conf/nosuchif0/arp_notify': '1' }, { blocking: true }),
      (err: unknown) => err instanceof NetlinkError && err.failedOp === 0 && /sysctl net\/ipv4\/conf\/nosuchif0\/arp_notify/.test(err.message),
    );
    assert.doesNotMatch(inNs('ip', '-o', 'link', 'show', 'lo'), /[<,]UP[,>]/);
  });

  it('a failing op is reported by its index, with the sysctls already written', async () => {
    await assert.rejects(
      applyInNetns(path, [{ op: 'link.set', name: 'lo', change: { up: true } }, { op: 'addr.add', addr: { link: 'nosuchif0', cidr: '10.1.2.3/24' } }], { 'net/ipv4/conf/lo/arp_notify': '1' }),
      (err: unknown) => err instanceof NetlinkError && err.failedOp === 1 && err.kind === 'not-found',
    );
    assert.equal(inNs('sysctl', '-n', 'net.ipv4.conf.lo.arp_notify'), '1');
  });

  it('refuses keys that are not plain /proc/sys paths (no shell, no escaping the tree)', async () => {
    for (const key of ['net.ipv4.ip_forward', '../etc/passwd', 'net/ipv4/../../x', '/net/ipv4/ip_forward'])
      await assert.rejects(applyInNetns(path, [], { [key]: '1' }), /is not a \/proc\/sys path/);
  });
});
