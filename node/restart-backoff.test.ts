import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextRestartDelay, type BackoffState } from './restart-backoff.js';

const settings = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

describe('crash-loop back-off', () => {
  const cases: { name: string; state: BackoffState; restartCount: number; ranForMs: number; delay: number; next: number }[] = [
    { name: 'a container that never ran starts at once', state: { nextMs: 10_000 }, restartCount: 0, ranForMs: 0, delay: 0, next: 20_000 },
    { name: 'the first crash waits the initial delay', state: { nextMs: 10_000 }, restartCount: 0, ranForMs: 2_000, delay: 10_000, next: 20_000 },
    { name: 'later crashes double the delay', state: { nextMs: 40_000 }, restartCount: 3, ranForMs: 1_000, delay: 40_000, next: 80_000 },
    { name: 'the delay is capped at the maximum', state: { nextMs: 300_000 }, restartCount: 9, ranForMs: 1_000, delay: 300_000, next: 300_000 },
    { name: 'doubling never passes the maximum', state: { nextMs: 160_000 }, restartCount: 5, ranForMs: 1_000, delay: 160_000, next: 300_000 },
    { name: 'a long run resets to the initial delay', state: { nextMs: 300_000 }, restartCount: 9, ranForMs: 600_001, delay: 10_000, next: 20_000 },
    { name: 'a run of exactly the reset time does not reset', state: { nextMs: 80_000 }, restartCount: 4, ranForMs: 600_000, delay: 80_000, next: 160_000 },
  ];
  for (const c of cases)
    it(c.name, () => {
      const r = nextRestartDelay(c.state, { restartCount: c.restartCount, ranForMs: c.ranForMs }, settings);
      assert.deepEqual(r, { delayMs: c.delay, next: { nextMs: c.next } });
    });

  it('a crash loop follows 10s, 20s, 40s, ... up to 5m', () => {
    let state: BackoffState = { nextMs: settings.initialMs };
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = nextRestartDelay(state, { restartCount: i, ranForMs: 500 }, settings);
      delays.push(r.delayMs / 1000);
      state = r.next;
    }
    assert.deepEqual(delays, [10, 20, 40, 80, 160, 300, 300, 300]);
  });
});
