/** Watch stream lines: split across chunks, several per chunk, a last line without newline, bad lines refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import type { WatchEvent } from './list.js';
import { decodeWatchLine, WatchLineReader } from './watch-lines.js';

const line = (type: string, name: string) => `{"type":"${type}","object":{"metadata":{"name":"${name}"}}}`;

test('watch lines: events split across byte chunks (a multi-byte character cut in two), many per chunk, and a final line without newline', () => {
  const got: string[] = [];
  const r = new WatchLineReader<{ metadata: { name: string } }>('/api/v1/pods', (e) => got.push(`${e.type} ${e.object.metadata.name}`), () => false);
  const text = `${line('ADDED', 'a')}\n\n${line('MODIFIED', 'bé')}\n${line('DELETED', 'c')}`;
  const bytes = Buffer.from(text);
  const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
  r.write(bytes.subarray(0, cut));
  r.write(bytes.subarray(cut));
  assert.deepEqual(got, ['ADDED a', 'MODIFIED bé']);
  r.end();
  assert.deepEqual(got, ['ADDED a', 'MODIFIED bé', 'DELETED c']);
  // string chunks (the in-process transport): one line each, or several
  r.write(`${line('ADDED', 'd')}\n`);
  r.write(`${line('ADDED', 'e')}\n${line('ADDED', 'f')}\n`);
  assert.deepEqual(got.slice(3), ['ADDED d', 'ADDED e', 'ADDED f']);
});

test('watch lines: nothing is delivered once stopped', () => {
  const got: WatchEvent[] = [];
  let stop = false;
  const r = new WatchLineReader<Record<string, unknown>>('/p', (e) => {
    got.push(e);
    stop = true;
  }, () => stop);
  r.write(`${line('ADDED', 'a')}\n${line('ADDED', 'b')}\n`);
  assert.equal(got.length, 1);
});

test('watch lines: malformed JSON, unknown types and non-object objects are BadWatchEvent errors naming the path', () => {
  for (const [bad, why] of [
    ['{"type":"ADDED",', /malformed event line/],
    ['[1]', /not an object/],
    ['{"type":"CHANGED","object":{}}', /type "CHANGED" is not one of/],
    ['{"object":{}}', /type undefined is not one of/],
    ['{"type":"ADDED","object":[]}', /object is not an object/],
    ['{"type":"ADDED","object":null}', /object is not an object/],
  ] as const) {
    assert.throws(() => decodeWatchLine(bad, '/api/v1/pods'), (e: unknown) => e instanceof ApiError && e.reason === 'BadWatchEvent' && why.test(e.message) && e.message.includes('/api/v1/pods'), bad);
  }
  assert.equal(decodeWatchLine<{ a: number }>('{"type":"BOOKMARK","object":{"a":1}}', '/p').object.a, 1);
});
