import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinedLength, runTool, streamTool } from './iptables-exec.js';

// 3 MB of lines: far more than a pipe holds, so the writer has to wait for it to drain.
const lines = Array.from({ length: 40_000 }, (_, i) => `-A SX-SEP-${i} -p tcp -m comment --comment "ns/svc-${i}:http" -j DNAT --to-destination 10.0.${i >> 8}.${i & 255}:8080`);
lines.push('COMMIT', '');

test('runTool writes lines as lines.join("\\n"), through a full pipe', async () => {
  const r = await runTool('cat', [], { input: lines });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, lines.join('\n'));
  assert.equal(joinedLength(lines), r.stdout.length);
});

test('runTool returns when the reader exits before taking all its input', async () => {
  const r = await runTool('head', ['-c', '10'], { input: lines });
  assert.equal(r.stdout, lines.join('\n').slice(0, 10));
});

test('streamTool hands over every line, whatever the chunk boundaries, without the newline', async () => {
  const got: string[] = [];
  const r = await streamTool('cat', ['/proc/self/mountinfo', '/proc/self/mountinfo'], (l) => got.push(l));
  const whole = await runTool('cat', ['/proc/self/mountinfo', '/proc/self/mountinfo']);
  assert.equal(r.code, 0);
  assert.deepEqual(got, whole.stdout.replace(/\n$/, '').split('\n'));
  const big: string[] = [];
  await streamTool('seq', ['1', '200000'], (l) => big.push(l));
  assert.equal(big.length, 200_000);
  assert.equal(big[123_456], '123457');
});
