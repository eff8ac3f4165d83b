import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { sha256Hex } from './sha256.js';

it('sha256Hex matches node:crypto on edge lengths and UTF-8', () => {
  for (const s of ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'a'.repeat(119), 'container-ü-\0eth0', 'x'.repeat(1000)])
    assert.equal(sha256Hex(s), createHash('sha256').update(s).digest('hex'), JSON.stringify(s.slice(0, 10)));
});
