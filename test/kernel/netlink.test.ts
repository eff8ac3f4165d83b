import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { FakeKernel } from '../../kernel/netlink/fake.js';
import { scenario } from './netlink-scenario.js';

const expected = {
  bridgeReadBack: { name: 'br0', kind: 'bridge', mac: '02:00:00:00:00:01' },
  links: [
    { name: 'br0', kind: 'bridge', mtu: 1450, up: true, master: null },
    { name: 'v0', kind: 'veth', mtu: 1450, up: true, master: 'br0' },
    { name: 'vx0', kind: 'vxlan', mtu: 1450, up: true, master: null },
  ],
  podPeer: { mac: '02:00:00:00:00:0b', mtu: 1450 },
  addresses: [
    { link: 'vx0', cidr: '10.10.0.0/32' },
    { link: 'br0', cidr: '10.9.0.1/24' },
  ],
  routes: [{ dst: '10.10.1.0/24', gw: '10.10.1.0', link: 'vx0', onlink: true }],
  neighbours: [{ link: 'vx0', ip: '10.10.1.0', mac: '02:00:00:00:00:03', permanent: true }],
  fdb: [{ link: 'vx0', mac: '02:00:00:00:00:03', dst: '192.0.2.2', permanent: true }],
  errors: { 'duplicate address': 'exists@0', 'duplicate link': 'exists@1', 'missing link': 'not-found@0', 'missing read-back': 'not-found@0' },
};

/** The same scenario against the fake, iproute2 and the netlink socket gives the same picture. */
describe('kernel/netlink implementations agree', () => {
  it('fake', async () => {
    const k = new FakeKernel();
    k.addNamespace('/run/netns/pod');
    assert.deepEqual(await scenario(k.open(), '/run/netns/pod', k.open('/run/netns/pod')), expected);
  });
  for (const impl of ['ip', 'socket'])
    it(`${impl} (in a namespace)`, () => {
      const id = randomBytes(3).toString('hex');
      const ns = `sx-nl-${id}`;
      const pod = `sx-nlp-${id}`;
      execFileSync('ip', ['netns', 'add', ns]);
      try {
        execFileSync('ip', ['netns', 'add', pod]);
        const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', new URL('./netlink-scenario.ts', import.meta.url).pathname, impl, `/run/netns/${pod}`], { encoding: 'utf8' });
        assert.deepEqual(JSON.parse(out), expected);
      } finally {
        execFileSync('ip', ['netns', 'del', ns]);
        try {
          execFileSync('ip', ['netns', 'del', pod]);
        } catch {
          /* not created */
        }
      }
    });
});
