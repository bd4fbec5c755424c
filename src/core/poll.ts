// Asks for the logs until RDS has prepared them: CREATING → FINISH, within the overall timeout. Several log
// types (error and slow-query logs) are asked for in turn, one call per interval between them: they share the
// API's rate limit instead of doubling the calls.
import { plural } from './plural.ts';
import { CancelledError, PreparationFailedError, TimeoutError, inputName } from './errors.ts';
import { formatDuration } from './duration.ts';
import { wait } from './clock.ts';
import { withRetry, type RetryOptions } from './retry.ts';
import { LOG_CALL, type ErrorlogAnswer } from '../cloud/rds.ts';

export interface PollOptions extends RetryOptions {
  intervalMs: number;
  /** Only for the message: the user's 'timeout' as written. */
  timeoutMs: number;
  /**
   * Told each status a target's call answered, as it comes: FINISH when ready, EXPORTING when FINISH listed files
   * still exporting, else as answered (CREATING, FAILED with or without files prepared, ...).
   */
  onStatus?: ((target: number, status: string) => void) | undefined;
  /** Told each target's outcome as soon as it has one (ready, or given up), while the others are still asked for. */
  onSettled?: ((target: number, result: PollResult | PollFailure) => void) | undefined;
}

export interface PollResult {
  answer: ErrorlogAnswer;
  /** Calls made to the API for this target, retried ones too (as its rate limit counts them). */
  polls: number;
  waitedMs: number;
}

/** A target that could not be had (refused, FAILED, or not ready in time) while another one could. */
export interface PollFailure {
  error: unknown;
  polls: number;
}

/** One log type to wait for. */
export interface PollTarget {
  call: () => Promise<ErrorlogAnswer>;
  /** The API call, for retries and errors: `errorlog-download`. */
  what: string;
  /** What is prepared, for messages: `error log`, `slow-query log`. */
  label: string;
}

const ERROR_LOG: Omit<PollTarget, 'call'> = { what: LOG_CALL.error, label: 'error log' };

export async function pollUntilReady(call: () => Promise<ErrorlogAnswer>, o: PollOptions): Promise<PollResult> {
  const [result] = await pollAllUntilReady([{ ...ERROR_LOG, call }], o);
  if (!result || 'error' in result) throw result?.error; // cannot happen: with one target its failure is thrown
  return result;
}

/**
 * FINISH, and no file still EXPORTING (the slow-query log lists a file before its link is ready); or FAILED with
 * files it did prepare (SUCCESS, with what a download needs): those are had, and the ones it could not prepare are named.
 */
function ready(a: ErrorlogAnswer): boolean {
  if (a.status === 'FAILED') return a.items.some((i) => i.status === 'SUCCESS' && !i.defect);
  return a.status === 'FINISH' && !a.items.some((i) => i.status === 'EXPORTING');
}

/**
 * Polls every target until each is ready, one call per interval in all; the outcomes in the targets' order. A
 * target that fails (refused, FAILED, not ready in time) is given up alone: the others still come, and the
 * caller decides. When every one fails, the first failure is thrown; a cancellation always is.
 */
export async function pollAllUntilReady(targets: PollTarget[], o: PollOptions): Promise<Array<PollResult | PollFailure>> {
  const started = o.clock.now();
  const results: Array<PollResult | PollFailure | undefined> = targets.map(() => undefined);
  const polls = targets.map(() => 0);
  const last = targets.map(() => '');
  let first = true;
  const done = (): boolean => results.every((r) => r !== undefined);
  for (;;) {
    for (let i = 0; i < targets.length; i++) {
      if (results[i] !== undefined) continue;
      const t = targets[i]!;
      try {
        if (!first) {
          // The user's timeout is the time waited: when the next interval would pass it, the last call comes at
          // the deadline itself instead of giving up an interval early.
          const left = o.deadline - o.clock.now();
          if (left <= 0) {
            throw new TimeoutError(
              `Timed out waiting for RDS to prepare the ${t.label}s: still ${last[i]} after ${formatDuration(o.clock.now() - started)} and ${plural(polls[i] ?? 0, 'call')} (${inputName('timeout')} is ${formatDuration(o.timeoutMs)}; raise it if the logs are large)`,
            );
          }
          if (o.signal?.aborted) throw new CancelledError();
          await wait(o.clock, Math.min(o.intervalMs, left), o.signal);
        }
        first = false;
        const answer = await withRetry(t.what, () => {
          polls[i]!++;
          return t.call();
        }, o);
        // Ready is FINISH, or FAILED with files prepared: as answered; FINISH not ready lists files still exporting.
        o.onStatus?.(i, answer.status === 'FINISH' && !ready(answer) ? 'EXPORTING' : answer.status);
        const n = polls[i]!;
        const waitedMs = o.clock.now() - started;
        if (ready(answer)) {
          const r = (results[i] = { answer, polls: n, waitedMs });
          o.onSettled?.(i, r);
          continue;
        }
        if (answer.status === 'FAILED') {
          throw new PreparationFailedError(
            `RDS could not prepare the ${t.label}s (status FAILED after ${n} call${n > 1 ? 's' : ''}${answer.requestId ? `, request id ${answer.requestId}` : ''}). The instance must be ACTIVE; try again later`,
          );
        }
        report(answer, i, n, waitedMs);
      } catch (e) {
        if (e instanceof CancelledError || o.signal?.aborted) throw e;
        const r = (results[i] = { error: e, polls: polls[i]! });
        if (results.every((x) => x !== undefined && 'error' in x)) throw (results[0] as PollFailure).error;
        o.onSettled?.(i, r);
      }
    }
    if (done()) return results as Array<PollResult | PollFailure>;
  }

  /** Says what a call that was not ready answered, once per change. */
  function report(answer: ErrorlogAnswer, i: number, n: number, waitedMs: number): void {
    const t = targets[i]!;
    // FINISH with files still EXPORTING: listed, but without their links yet.
    const status = answer.status === 'FINISH' ? 'FINISH with files EXPORTING' : answer.status;
    if (status !== last[i]) {
      o.log(status === 'CREATING'
        ? `RDS is preparing the ${t.label} files (CREATING)`
        : answer.status === 'FINISH'
          ? `RDS lists the ${t.label} files but is still exporting them (EXPORTING)`
          : `RDS answered status ${status}, which the API does not document (${t.label}s); waiting for FINISH`);
      last[i] = status;
    } else {
      o.log(`${t.label}s: still ${status} after ${formatDuration(waitedMs)} (${n} calls)`);
    }
  }
}
