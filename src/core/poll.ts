// Asks for the error logs until RDS has prepared them: CREATING → FINISH, within the overall timeout.
import { CancelledError, PreparationFailedError, TimeoutError } from './errors.ts';
import { formatDuration } from './duration.ts';
import { wait } from './clock.ts';
import { withRetry, type RetryOptions } from './retry.ts';
import type { ErrorlogAnswer } from '../cloud/rds.ts';

export interface PollOptions extends RetryOptions {
  intervalMs: number;
  /** Only for the message: the user's 'timeout' as written. */
  timeoutMs: number;
}

export interface PollResult {
  answer: ErrorlogAnswer;
  /** Successful calls to the API (retries not counted). */
  polls: number;
  waitedMs: number;
}

export async function pollUntilReady(call: () => Promise<ErrorlogAnswer>, o: PollOptions): Promise<PollResult> {
  const started = o.clock.now();
  let last = '';
  for (let polls = 1; ; polls++) {
    const answer = await withRetry('errorlog-download', call, o);
    const waitedMs = o.clock.now() - started;
    if (answer.status === 'FINISH') return { answer, polls, waitedMs };
    if (answer.status === 'FAILED') {
      throw new PreparationFailedError(
        `RDS could not prepare the error logs (status FAILED after ${polls} call${polls > 1 ? 's' : ''}${answer.requestId ? `, request id ${answer.requestId}` : ''}). The instance must be ACTIVE; try again later`,
      );
    }
    if (answer.status !== last) {
      o.log(answer.status === 'CREATING'
        ? 'RDS is preparing the error log files (CREATING)'
        : `RDS answered status ${answer.status}, which the API does not document; waiting for FINISH`);
      last = answer.status;
    } else {
      o.log(`still ${answer.status} after ${formatDuration(waitedMs)} (${polls} calls)`);
    }
    // The user's timeout is the time waited: when the next interval would pass it, the last call comes at the
    // deadline itself instead of giving up an interval early.
    const left = o.deadline - o.clock.now();
    if (left <= 0) {
      throw new TimeoutError(
        `Timed out waiting for RDS to prepare the error logs: still ${answer.status} after ${formatDuration(waitedMs)} and ${polls} calls ('timeout' is ${formatDuration(o.timeoutMs)}; raise it if the logs are large)`,
      );
    }
    if (o.signal?.aborted) throw new CancelledError();
    await wait(o.clock, Math.min(o.intervalMs, left), o.signal);
  }
}
