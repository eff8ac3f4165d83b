import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import { WorkQueue } from './work-queue.js';
import { runController } from './controller.js';

test('work queue: dedupes waiting keys and requeues keys added while in flight', () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(q.tryGet(), 'a');
  q.add('a');
  assert.equal(q.tryGet(), 'b');
  assert.equal(q.tryGet(), undefined, 'a is in flight: not handed out twice');
  q.done('a');
  assert.equal(q.tryGet(), 'a');
});

test('work queue: rate-limited retries back off exponentially on the clock', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock, baseDelayMs: 10 });
  const cases = [10, 20, 40, 80];
  for (const delay of cases) {
    q.addRateLimited('k');
    clock.advance(delay - 1);
    assert.equal(q.tryGet(), undefined, `not before ${delay} ms`);
    clock.advance(1);
    assert.equal(q.tryGet(), 'k', `after ${delay} ms`);
    q.done('k');
  }
  q.forget('k');
  assert.equal(q.failureCount('k'), 0);
});

test('work queue: addAfter keeps the earliest deadline', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('k', 100);
  q.addAfter('k', 50);
  q.addAfter('k', 500);
  clock.advance(50);
  assert.equal(q.tryGet(), 'k');
  q.done('k');
  clock.advance(1000);
  assert.equal(q.tryGet(), undefined, 'the later deadlines were dropped');
});

test('controller runner: retries a failing key until it succeeds', async () => {
  let calls = 0;
  const c = runController({
    name: 't',
    sync: async () => {
      calls++;
      if (calls < 3) throw new Error('boom');
    },
  });
  c.queue.add('x');
  for (let i = 0; i < 100 && calls < 3; i++) await new Promise((r) => setTimeout(r, 10));
  await c.idle();
  assert.equal(calls, 3);
  assert.equal(c.queue.failureCount('x'), 0);
  await c.stop();
});
