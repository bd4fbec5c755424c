// One retry policy for every request the action makes: what is worth another try, and how long to wait.
import { ApiError, CancelledError, NetworkError, ResponseError, TimeoutError, errorMessage, inputName } from './errors.ts';
import { wait, type Clock } from './clock.ts';
import { formatDuration } from './duration.ts';

/**
 * "Another operation is in progress on this instance" (409): documented as worth retrying later; DBS.201205 is a
 * backup in progress, which the daily backup window makes common.
 */
const BUSY_CODES = new Set(['DBS.200011', 'DBS.200019', 'DBS.200047', 'DBS.201202', 'DBS.201205', 'DBS.212006']);
/**
 * "The instance's state does not allow this": retried only while the instance is known to be on its way back to
 * ACTIVE (RetryOptions.alsoRetry), as a reboot or a resize after a deployment leaves it; else permanent.
 */
export const STATE_CODES: ReadonlySet<string> = new Set(['DBS.201014', 'DBS.200086', 'DBS.01280030']);
/** Gateway throttling. */
const THROTTLED_CODES = new Set(['APIG.0308']);
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'ENETDOWN', 'UND_ERR_SOCKET', 'ESTALL', 'EPREMATURE',
]);

/** The spacing between two attempts unless RetryOptions.minDelayMs says otherwise (60 calls a minute at most). */
const MIN_DELAY_MS = 1_000;

export type Verdict = { retry: false } | { retry: true; reason: string; afterMs?: number };

export function classify(err: unknown, alsoRetry?: ReadonlySet<string>): Verdict {
  if (err instanceof ApiError) {
    const s = err.status;
    const code = err.errorCode ?? '';
    const reason = err.message;
    const after = err.retryAfterMs !== undefined ? { afterMs: err.retryAfterMs } : {};
    if (s === 408 || s === 429 || s >= 500 || BUSY_CODES.has(code) || THROTTLED_CODES.has(code) || alsoRetry?.has(code) === true) {
      return { retry: true, reason, ...after };
    }
    return { retry: false };
  }
  if (err instanceof ResponseError) return err.transient ? { retry: true, reason: err.message } : { retry: false };
  if (err instanceof NetworkError) return NETWORK_CODES.has(err.code) ? { retry: true, reason: err.message } : { retry: false };
  return { retry: false };
}

export interface RetryOptions {
  clock: Clock;
  /** Absolute time (clock ms) after which no new attempt starts. */
  deadline: number;
  log: (line: string) => void;
  signal?: AbortSignal | undefined;
  random?: () => number;
  baseMs?: number;
  capMs?: number;
  /** Never sooner than this between two attempts: keeps the action under the API's 60 calls a minute. */
  minDelayMs?: number;
  /** Error codes retried besides the usual ones (STATE_CODES while the instance is not ACTIVE yet). */
  alsoRetry?: ReadonlySet<string> | undefined;
}

/** Exponential backoff with full jitter, capped, never below the minimum spacing. */
export function backoffMs(attempt: number, o: Pick<RetryOptions, 'random' | 'baseMs' | 'capMs' | 'minDelayMs'>): number {
  const base = o.baseMs ?? 1_000;
  const cap = o.capMs ?? 30_000;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt - 1, 30));
  return Math.max(o.minDelayMs ?? MIN_DELAY_MS, Math.round((o.random ?? Math.random)() * ceiling));
}

export async function withRetry<T>(what: string, fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new CancelledError();
    try {
      return await fn();
    } catch (e) {
      if (o.signal?.aborted) throw new CancelledError();
      const v = classify(e, o.alsoRetry);
      if (!v.retry) throw e;
      const left = o.deadline - o.clock.now();
      // A wait the server asked for is kept (past the deadline: no time for another); a wait drawn at random is cut
      // to the deadline, so that the last attempt comes then, as the polling's last call does, not up to 30 s early.
      const delayMs = Math.min(Math.max(v.afterMs ?? 0, backoffMs(attempt, o)), left);
      if (left <= 0 || (v.afterMs ?? 0) > left || delayMs < (o.minDelayMs ?? MIN_DELAY_MS)) {
        throw new TimeoutError(`${what}: gave up after ${attempt} attempt${attempt > 1 ? 's' : ''}, ${inputName('timeout')} leaves no time for another; last error: ${errorMessage(e)}`);
      }
      o.log(`${what}: attempt ${attempt} failed (${v.reason}); retrying in ${formatDuration(delayMs)}`);
      await wait(o.clock, delayMs, o.signal);
    }
  }
}
