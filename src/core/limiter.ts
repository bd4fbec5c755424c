// At most N calls in any window of W ms, shared by every instance of a run: RDS allows 60 errorlog-download
// calls a minute per project, however many instances ask.
import type { Clock } from './clock.ts';
import { CancelledError, TimeoutError, inputName } from './errors.ts';

export interface RateLimit {
  /**
   * Resolves when one more call fits in the window (and counts it); rejects with CancelledError on abort, and
   * with TimeoutError at once when the turn would come after `deadline` (clock ms): 'timeout' holds for the step.
   */
  take(signal?: AbortSignal, deadline?: number): Promise<void>;
}

/** The API's documented limit for errorlog-download. */
const ERRORLOG_CALLS_PER_MINUTE = 60;

/** The limit every errorlog-download call of a run passes, all instances together (core/many.ts). */
export function errorlogLimit(clock: Clock): RateLimit {
  return slidingWindow(clock, ERRORLOG_CALLS_PER_MINUTE, 60_000);
}

export function slidingWindow(clock: Clock, max: number, windowMs: number): RateLimit {
  // Start times of the calls in the window, oldest first; a queue keeps the waiters in order.
  const starts: number[] = [];
  let queue: Promise<void> = Promise.resolve();
  const takeOne = async (signal?: AbortSignal, deadline?: number): Promise<void> => {
    for (;;) {
      if (signal?.aborted) throw new CancelledError();
      const now = clock.now();
      while (starts.length > 0 && starts[0]! <= now - windowMs) starts.shift();
      if (starts.length < max) {
        starts.push(now);
        return;
      }
      const turn = starts[0]! + windowMs;
      if (deadline !== undefined && turn > deadline) {
        throw new TimeoutError(`${inputName('timeout')} runs out before the next errorlog-download call may be made: RDS allows ${max} a minute per project, and this step's calls have used them (a longer ${inputName('poll-interval')} spends fewer)`);
      }
      await clock.sleep(turn - now, signal);
    }
  };
  return {
    take(signal, deadline) {
      const mine = queue.then(() => takeOne(signal, deadline));
      // One waiter's abort must not cancel the ones behind it.
      queue = mine.catch(() => undefined);
      return mine;
    },
  };
}
