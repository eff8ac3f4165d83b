/**
 * Bounded fuzz runs for CI (the long runs are `npm run bench -- fuzz`): the DNS packet parser and
 * the API server's body decoding get random and mutated inputs; nothing may throw anything but
 * their coded rejection, no input may take long, and memory must stay bounded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeObject } from '../../controller/server/body.js';
import { ApiServerError } from '../../controller/server/errors.js';
import { fuzzBodyDecoding, hostileBodies } from './body-decoding.fuzz.js';
import { fuzzDnsParser } from './dns-parser.fuzz.js';

const SEED = Number(process.env.SX_FUZZ_SEED ?? Date.now() % 1_000_000);

test(`DNS packet parser: 20k random/mutated packets, only MalformedMessage rejections (seed ${SEED})`, () => {
  const before = process.memoryUsage().heapUsed;
  const r = fuzzDnsParser(SEED, 20_000);
  assert.deepEqual(r.crashes, []);
  assert.equal(r.encodeRefused ?? 0, 0, 'every packet the decoder accepts re-encodes (malformed ones are FORMERR, not SERVFAIL)');
  assert.ok(r.accepted > 0 && r.rejected > 0, `both outcomes exercised (accepted ${r.accepted}, rejected ${r.rejected})`);
  assert.ok(r.maxMs < 1000, `no packet takes a second (max ${r.maxMs.toFixed(1)} ms)`);
  assert.ok(process.memoryUsage().heapUsed - before < 200 * 1024 * 1024, 'heap growth bounded');
});

test(`API body decoding: 5k random/mutated bodies, only 4xx rejections (seed ${SEED})`, () => {
  const r = fuzzBodyDecoding(SEED, 5_000);
  assert.deepEqual(r.crashes, []);
  assert.ok(r.accepted > 0 && r.rejected > 0, `both outcomes exercised (accepted ${r.accepted}, rejected ${r.rejected})`);
  assert.ok(r.maxMs < 2000, `no body takes two seconds (max ${r.maxMs.toFixed(1)} ms)`);
});

test('API body decoding: hostile bodies are decoded or refused with a 4xx, never a crash', () => {
  for (const h of hostileBodies()) {
    try {
      decodeObject(h.body, h.type);
    } catch (err) {
      assert.ok(err instanceof ApiServerError && err.http < 500, `${h.name}: ${err instanceof Error ? `${err.name}: ${err.message.slice(0, 200)}` : String(err)}`);
    }
  }
});

test('API body decoding: YAML the library only warns about (unknown tags) is a 400 and writes nothing to stderr', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    for (const body of ['a: !!foo bar\n', 'metadata: !<tag:example.com,2000:x> {}\n', 'kind: !!binary Zm9v\nx: !!nope 1\n']) {
      assert.throws(
        () => decodeObject(Buffer.from(body), 'application/yaml'),
        (err: unknown) => err instanceof ApiServerError && err.http === 400 && /error decoding YAML: Unresolved tag/.test(err.message),
        body,
      );
    }
    await new Promise((r) => setImmediate(r)); // process warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, []);
});
