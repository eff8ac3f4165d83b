import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, timeSince } from './human-duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const cases: [number, string][] = [
  [-2 * S, '<invalid>'], [-1500, '0s'], [0, '0s'], [5 * S, '5s'], [119 * S, '119s'], [2 * M, '2m'],
  [3 * M + 20 * S, '3m20s'], [9 * M + 59 * S, '9m59s'], [10 * M + 30 * S, '10m'], [179 * M, '179m'],
  [3 * H, '3h'], [4 * H + 10 * M, '4h10m'], [8 * H + 5 * M, '8h'], [47 * H, '47h'], [2 * D, '2d'],
  [2 * D + 3 * H, '2d3h'], [8 * D + 5 * H, '8d'], [729 * D, '729d'], [730 * D, '2y'], [3 * 365 * D + 12 * D, '3y12d'],
  [9 * 365 * D + 40 * D, '9y'],
];

for (const [ms, want] of cases) {
  test(`humanDuration(${ms}) = ${want}`, () => assert.equal(humanDuration(ms), want));
}

test('timeSince: absent or unparseable is <unknown>', () => {
  assert.equal(timeSince(undefined, 0), '<unknown>');
  assert.equal(timeSince('yesterday-ish', 0), '<unknown>');
  assert.equal(timeSince('2024-05-01T10:00:00Z', Date.parse('2024-05-01T10:03:20Z')), '3m20s');
});
