import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { intToIp } from './ipv4.js';
import { nextFree, resolveRange } from './range-set.js';

describe('range-set (host-local rules)', () => {
  const cases: { name: string; range: { subnet: string; rangeStart?: string; rangeEnd?: string }; taken: string[]; last: string | undefined; want: string | undefined }[] = [
    { name: 'defaults: .1 gateway, .2 first', range: { subnet: '10.0.0.0/24' }, taken: [], last: undefined, want: '10.0.0.2' },
    { name: 'round robin after last reserved', range: { subnet: '10.0.0.0/24' }, taken: [], last: '10.0.0.7', want: '10.0.0.8' },
    { name: 'wraps to the start, skipping the gateway', range: { subnet: '10.0.0.0/29' }, taken: [], last: '10.0.0.6', want: '10.0.0.2' },
    { name: 'skips reserved', range: { subnet: '10.0.0.0/29' }, taken: ['10.0.0.2', '10.0.0.3'], last: undefined, want: '10.0.0.4' },
    { name: 'rangeStart/rangeEnd bound it', range: { subnet: '10.0.0.0/24', rangeStart: '10.0.0.100', rangeEnd: '10.0.0.101' }, taken: ['10.0.0.100'], last: undefined, want: '10.0.0.101' },
    { name: 'full', range: { subnet: '10.0.0.0/30' }, taken: ['10.0.0.2'], last: undefined, want: undefined },
  ];
  for (const c of cases)
    it(c.name, () => {
      const set = [resolveRange(c.range, 'r')];
      const got = nextFree(set, (ip) => c.taken.includes(ip), c.last);
      assert.equal(got === undefined ? undefined : intToIp(got), c.want);
    });
  it('a /27 has exactly 29 allocatable addresses', () => {
    const set = [resolveRange({ subnet: '10.5.0.0/27' }, 'r')];
    const taken: string[] = [];
    for (;;) {
      const ip = nextFree(set, (x) => taken.includes(x), taken[taken.length - 1]);
      if (ip === undefined) break;
      taken.push(intToIp(ip));
    }
    assert.equal(taken.length, 29);
  });
  it('rejects gateways outside the subnet, naming the field', () => {
    assert.throws(() => resolveRange({ subnet: '10.0.0.0/24', gateway: '10.1.0.1' }, 'ipam.ranges[0][0]'), /ipam\.ranges\[0\]\[0\]\.gateway/);
  });
});
