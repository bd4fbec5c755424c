// Time is a collaborator: tests pass a fake clock and an instant sleep, so polling tests take milliseconds.
import { setTimeout as delay } from 'node:timers/promises';
import { CancelledError } from './errors.ts';

export interface Clock {
  now(): number;
  /** Rejects when `signal` aborts (Node's timers reject with AbortError then). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : {}),
};

/** Waits on the clock; an abort during the wait is the run's cancellation, whatever error the clock throws for it. */
export async function wait(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await clock.sleep(ms, signal);
  } catch (e) {
    if (signal?.aborted) throw new CancelledError();
    throw e;
  }
}
