import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slidingWindow } from '../../src/core/limiter.ts';
import { CancelledError, TimeoutError } from '../../src/core/errors.ts';
import { fakeClock } from '../support/fake-clock.ts';

test('callers sharing one limit get at most N calls in any window, in the order they asked', async () => {
  const clock = fakeClock(0);
  const limit = slidingWindow(clock, 3, 60_000);
  const at: Array<[string, number]> = [];
  // Two "instances" asking at once, 4 calls each.
  await Promise.all(['a', 'b'].map(async (who) => {
    for (let i = 0; i < 4; i++) {
      await limit.take();
      at.push([who, clock.now()]);
    }
  }));
  assert.equal(at.length, 8);
  const times = at.map(([, t]) => t).sort((x, y) => x - y);
  for (let i = 3; i < times.length; i++) assert.ok(times[i]! - times[i - 3]! >= 60_000, `call ${i} came ${times[i]! - times[i - 3]!} ms after the call 3 before it`);
  assert.deepEqual(times.slice(0, 3), [0, 0, 0]);
});

test('an aborted waiter rejects with CancelledError and does not hold up the others', async () => {
  const clock = fakeClock(0);
  const limit = slidingWindow(clock, 1, 1_000);
  await limit.take();
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(limit.take(ac.signal), CancelledError);
  await limit.take();
  assert.equal(clock.now(), 1_000);
});

test("a turn that would come after the caller's deadline is refused at once with TimeoutError, naming the limit", async () => {
  const clock = fakeClock(0);
  const limit = slidingWindow(clock, 2, 60_000);
  await limit.take(undefined, 15_000);
  await limit.take(undefined, 15_000);
  await assert.rejects(limit.take(undefined, 15_000), (e: unknown) => e instanceof TimeoutError && /'timeout' runs out before the next errorlog-download call may be made: RDS allows 2 a minute per project/.test(e.message));
  assert.equal(clock.now(), 0, 'no waiting first');
  // A deadline the turn fits in: it waits for it.
  await limit.take(undefined, 61_000);
  assert.equal(clock.now(), 60_000);
});
