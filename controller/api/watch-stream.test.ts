import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WatchHandle } from './client.js';
import { ApiError } from './errors.js';
import { WatchStream } from './watch-stream.js';

interface Seen {
  events: string[];
  closes: (Error | undefined)[];
  handle?: WatchHandle;
  rejected?: Error;
  aborts: number;
  finishes: number;
}

function stream(): { ws: WatchStream<{ metadata: { name: string } }>; seen: Seen } {
  const seen: Seen = { events: [], closes: [], aborts: 0, finishes: 0 };
  const ws = new WatchStream<{ metadata: { name: string } }>('/api/v1/pods', {
    onEvent: (e) => seen.events.push(`${e.type} ${e.object.metadata.name}`),
    onClose: (err) => seen.closes.push(err),
    resolve: (h) => (seen.handle = h),
    reject: (err) => (seen.rejected = err),
    abort: () => seen.aborts++,
    onFinish: () => seen.finishes++,
  });
  return { ws, seen };
}

const line = (type: string, name: string) => `${JSON.stringify({ type, object: { metadata: { name } } })}\n`;

test('a 200 starts the watch; events flow until the end, whose last unterminated line is an event too; onClose once, without error', () => {
  const { ws, seen } = stream();
  assert.equal(ws.head(200), true);
  assert.ok(seen.handle);
  ws.data(line('ADDED', 'a'));
  ws.data(Buffer.from(line('MODIFIED', 'a').trimEnd()));
  ws.end();
  ws.end();
  assert.deepEqual(seen.events, ['ADDED a', 'MODIFIED a']);
  assert.deepEqual(seen.closes, [undefined]);
  assert.equal(seen.rejected, undefined);
});

test('a refusal rejects with the Status as ApiError and never calls onClose', () => {
  const { ws, seen } = stream();
  assert.equal(ws.head(410), false);
  ws.data('{"kind":"Status","code":410,"reason":"Expired",');
  ws.data(Buffer.from('"message":"too old resource version: 1 (5)"}'));
  ws.end();
  assert.ok(seen.rejected instanceof ApiError);
  assert.equal((seen.rejected as ApiError).code, 410);
  assert.equal((seen.rejected as ApiError).reason, 'Expired');
  assert.equal(seen.handle, undefined);
  assert.deepEqual(seen.closes, []);
});

test('after stop() nothing reaches the caller: no events, no onClose, even when the transport fails or ends', () => {
  const { ws, seen } = stream();
  ws.head(200);
  seen.handle!.stop();
  assert.equal(seen.aborts, 1);
  assert.equal(seen.finishes, 1);
  ws.data(line('ADDED', 'late'));
  ws.fail(() => new Error('start'), () => new Error('mid'));
  ws.end();
  assert.deepEqual(seen.events, []);
  assert.deepEqual(seen.closes, []);
  assert.equal(ws.active, false);
});

test('a transport failure before the start rejects with the start error; after it, closes with the mid-stream error', () => {
  const before = stream();
  before.ws.fail(() => new Error('refused'), () => new Error('mid'));
  before.ws.fail(() => new Error('again'), () => new Error('mid'));
  assert.equal(before.seen.rejected?.message, 'refused');
  assert.deepEqual(before.seen.closes, []);

  const after = stream();
  after.ws.head(200);
  after.ws.fail(() => new Error('refused'), () => new Error('cut'));
  after.ws.fail(() => new Error('refused'), () => new Error('cut again'));
  assert.equal(after.seen.rejected, undefined);
  assert.deepEqual(after.seen.closes.map((e) => e?.message), ['cut']);
});

test('a bad event line closes the stream with its error and cuts the transport', () => {
  const { ws, seen } = stream();
  ws.head(200);
  ws.data('{"type":"ADDED","object":\n');
  assert.equal(seen.closes.length, 1);
  assert.ok(seen.closes[0] instanceof Error);
  assert.equal(seen.aborts, 1);
  ws.data(line('ADDED', 'b'));
  assert.deepEqual(seen.events, []);
});

test('answered and active follow the head', () => {
  const { ws } = stream();
  assert.equal(ws.answered, false);
  assert.equal(ws.active, false);
  ws.head(200);
  assert.equal(ws.answered, true);
  assert.equal(ws.active, true);
  ws.close();
  assert.equal(ws.active, false);
});
