import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseIptablesMode } from './iptables-mode.js';

const dump = (chains: string[], rules: number) =>
  ['*mangle', ...chains.map((c) => `:${c} - [0:0]`), ...Array.from({ length: rules }, (_, i) => `-A OUTPUT -d 10.0.0.${i}/32 -j ACCEPT`), 'COMMIT'].join('\n');

test('a hint chain in one backend only decides, whatever the rule counts', () => {
  assert.equal(chooseIptablesMode({ legacy: dump(['KUBE-IPTABLES-HINT'], 0), nft: dump([], 50) }).mode, 'legacy');
  assert.equal(chooseIptablesMode({ legacy: dump([], 50), nft: dump(['KUBE-KUBELET-CANARY'], 0) }).mode, 'nft');
  // our own canary keeps a restarted proxy on the backend it programmed
  assert.equal(chooseIptablesMode({ legacy: dump(['SX-PROXY-CANARY'], 3), nft: dump([], 9) }).mode, 'legacy');
});

test('without hints the backend with more rules wins; a tie or nothing at all means nft', () => {
  assert.equal(chooseIptablesMode({ legacy: dump([], 12), nft: dump([], 3) }).mode, 'legacy');
  assert.equal(chooseIptablesMode({ legacy: dump([], 3), nft: dump([], 12) }).mode, 'nft');
  assert.equal(chooseIptablesMode({ legacy: '', nft: '' }).mode, 'nft');
  assert.equal(chooseIptablesMode({ legacy: dump(['SX-PROXY-CANARY'], 4), nft: dump(['SX-PROXY-CANARY'], 4) }).mode, 'nft');
});
