import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base32, endpointChain, hash16, serviceChain } from './chain-names.js';

test('base32 matches RFC 4648 test vectors', () => {
  const cases: [string, string][] = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']];
  for (const [input, want] of cases) assert.equal(base32(new TextEncoder().encode(input)), want, input);
});

test('chain names hash like kube-proxy (its published example, with its prefix)', () => {
  assert.equal(serviceChain('SVC', 'ns4/svc4:p80', 'tcp', 'KUBE-'), 'KUBE-SVC-4SW47YFZTEDKD3PK');
});

test('chain names are ours, short enough, and differ per protocol and endpoint', () => {
  const a = serviceChain('SVC', 'ns/s:p', 'tcp');
  assert.match(a, /^SX-SVC-[A-Z2-7]{16}$/);
  assert.notEqual(a, serviceChain('SVC', 'ns/s:p', 'udp'));
  assert.notEqual(endpointChain('ns/s:p', 'tcp', '10.0.0.1:80'), endpointChain('ns/s:p', 'tcp', '10.0.0.2:80'));
  assert.ok(endpointChain('ns/s:p', 'tcp', '10.0.0.1:80').length <= 28);
  assert.equal(hash16('x').length, 16);
});
