/** jsonCopy: the same value as a JSON round trip, sharing nothing, never touching prototypes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonCopy } from './json-copy.js';

const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function randomJson(depth: number, seed: { n: number }): unknown {
  const r = () => (seed.n = (seed.n * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = Math.floor(r() * (depth > 0 ? 7 : 4));
  switch (pick) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor(r() * 1e6) - 5e5 + (r() < 0.3 ? 0.25 : 0);
    case 3: return `s${Math.floor(r() * 1000)}\u00e9`;
    case 4: case 5: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 5); i > 0; i--) o[`k${Math.floor(r() * 20)}`] = randomJson(depth - 1, seed);
      return o;
    }
    default: return Array.from({ length: Math.floor(r() * 5) }, () => randomJson(depth - 1, seed));
  }
}

test('a copy equals the JSON round trip of the value, key order included', () => {
  const seed = { n: 7 };
  for (let i = 0; i < 2000; i++) {
    const v = randomJson(5, seed);
    const c = jsonCopy(v);
    assert.deepEqual(c, roundTrip(v));
    assert.equal(JSON.stringify(c), JSON.stringify(v));
  }
});

test('a copy shares no object or array with its source', () => {
  const src = { metadata: { labels: { a: 'b' } }, spec: { ports: [{ port: 80 }] }, status: { conditions: [{ type: 'Ready' }] } };
  const c = jsonCopy(src);
  c.metadata.labels.a = 'x';
  c.spec.ports[0]!.port = 81;
  c.spec.ports.push({ port: 82 });
  c.status.conditions[0]!.type = 'Other';
  assert.deepEqual(src, { metadata: { labels: { a: 'b' } }, spec: { ports: [{ port: 80 }] }, status: { conditions: [{ type: 'Ready' }] } });
});

test('an own __proto__ member stays a member and never becomes a prototype', () => {
  const src = JSON.parse('{"a":{"__proto__":{"polluted":true},"b":1}}') as { a: Record<string, unknown> };
  const c = jsonCopy(src);
  assert.equal(Object.getPrototypeOf(c.a), Object.prototype);
  assert.equal((c.a as { polluted?: unknown }).polluted, undefined);
  assert.deepEqual(Object.keys(c.a), ['__proto__', 'b']);
  assert.equal(JSON.stringify(c), JSON.stringify(src));
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});
