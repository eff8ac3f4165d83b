import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseSubnetFile, quickSubnet, subnetFromSchema } from './subnet-file.js';

const GOOD = { SEXTANT_NETWORK: '10.244.0.0/16', SEXTANT_SUBNET: '10.244.1.1/24', SEXTANT_MTU: '1450', SEXTANT_IPMASQ: 'true' };
const VALUES = [undefined, '', 'x', '10.0.0.1', '10.0.0.0/8', '1.2.3.4/333', '575', '576', '65535', '65536', '1450.5', '-1', 'true', 'false', 'TRUE', '0'];

describe('subnet file', () => {
  it('parses the file the overlay writes, comments and blank lines included', () => {
    const text = '# written by sextant overlay\nSEXTANT_NETWORK=10.244.0.0/16\n\nSEXTANT_SUBNET=10.244.1.1/24  # gateway form\nSEXTANT_MTU=1450\nSEXTANT_IPMASQ=false\n';
    assert.deepEqual(parseSubnetFile(text), { network: '10.244.0.0/16', subnet: '10.244.1.1/24', mtu: 1450, ipMasq: false });
  });

  it('the quick path confirms only what the schema accepts, with the same result, on every one-key mutation', () => {
    let confirmed = 0;
    for (const key of Object.keys(GOOD))
      for (const v of VALUES) {
        const kv: Record<string, string> = { ...GOOD, EXTRA: 'kept out' };
        if (v === undefined) delete kv[key];
        else kv[key] = v;
        const quick = quickSubnet(kv);
        let schema: unknown;
        try {
          schema = subnetFromSchema(kv);
        } catch {
          schema = undefined;
        }
        if (quick) confirmed++;
        assert.deepEqual(quick, schema, `${key}=${String(v)}`);
      }
    assert.equal(confirmed, 6, 'the six valid mutations (one CIDR each for two keys, MTU 576 and 65535, IPMASQ true and false)');
  });

  it('a bad or missing key is named', () => {
    assert.throws(() => parseSubnetFile('SEXTANT_NETWORK=10.244.0.0/16\nSEXTANT_SUBNET=nope\nSEXTANT_IPMASQ=true\n'), /SEXTANT_SUBNET: must be an IPv4 CIDR.*SEXTANT_MTU/);
  });
});
