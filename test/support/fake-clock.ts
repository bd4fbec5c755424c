// The injected clock for tests: sleeping advances `now` at once (a minute of polling takes a millisecond),
// records each sleep, and honours the abort signal as the real sleep does.
import type { Clock } from '../../src/core/clock.ts';

export interface FakeClock extends Clock {
  sleeps: number[];
}

export function fakeClock(start = 1_800_000_000_000): FakeClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      t += ms;
    },
  };
}
