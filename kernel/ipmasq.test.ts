import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { masqAddPayload, masqRemovePayload } from './ipmasq.js';

describe('ipMasq payloads', () => {
  it('add: chain, exemptions, masquerade, then the POSTROUTING jump', () => {
    assert.equal(
      masqAddPayload('SX-MASQ-AB', '10.244.1.5', ['10.244.0.0/16'], 'name: n id: c'),
      [
        '*nat',
        ':SX-MASQ-AB - [0:0]',
        '-F SX-MASQ-AB',
        '-A SX-MASQ-AB -d 10.244.0.0/16 -m comment --comment "name: n id: c" -j ACCEPT',
        '-A SX-MASQ-AB ! -d 224.0.0.0/4 -m comment --comment "name: n id: c" -j MASQUERADE',
        '-A POSTROUTING -s 10.244.1.5/32 -m comment --comment "name: n id: c" -j SX-MASQ-AB',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });
  const saved = [
    '*nat',
    ':POSTROUTING ACCEPT [0:0]',
    ':SX-MASQ-AB - [0:0]',
    ':SX-MASQ-CD - [0:0]',
    '-A POSTROUTING -s 10.244.1.5/32 -m comment --comment "name: n id: c" -j SX-MASQ-AB',
    '-A POSTROUTING -s 10.244.1.6/32 -j SX-MASQ-CD',
    'COMMIT',
  ].join('\n');
  const cases = [
    {
      name: 'removes only its own jump and chain',
      chain: 'SX-MASQ-AB',
      want: ['*nat', '-D POSTROUTING -s 10.244.1.5/32 -m comment --comment "name: n id: c" -j SX-MASQ-AB', '-F SX-MASQ-AB', '-X SX-MASQ-AB', 'COMMIT', ''].join('\n'),
    },
    { name: 'nothing to do for an absent chain (DEL is idempotent)', chain: 'SX-MASQ-EF', want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(masqRemovePayload(c.chain, saved), c.want));
});
