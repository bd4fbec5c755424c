import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, classify, STATE_CODES, withRetry, type RetryOptions } from '../../src/core/retry.ts';
import { ApiError, CancelledError, NetworkError, ResponseError, TimeoutError } from '../../src/core/errors.ts';
import { retryAfterMs } from '../../src/cloud/http.ts';
import { fakeClock, type FakeClock } from '../support/fake-clock.ts';


const URL_ = new URL('https://rds.eu-de.otc.t-systems.com/v3/p/instances/i/errorlog-download');
const api = (status: number, errorCode?: string, retryAfter?: number): ApiError =>
  new ApiError('errorlog-download', { status, errorCode, errorMsg: 'msg', requestId: 'req-1', retryAfterMs: retryAfter });

test('classify: which failures are worth another try', () => {
  const rows: Array<[string, unknown, boolean]> = [
    ['408 request timeout', api(408), true],
    ['429 too many requests', api(429), true],
    ['500 internal error', api(500, 'DBS.108000'), true],
    ['502 bad gateway', api(502), true],
    ['503 unavailable', api(503), true],
    ['504 gateway timeout', api(504), true],
    ['400 bad parameter', api(400, 'DBS.200001'), false],
    ['401 invalid token', api(401, 'DBS.280056'), false],
    ['403 not authorized', api(403, 'DBS.200010'), false],
    ['404 no such instance', api(404, 'DBS.200002'), false],
    ['409 DBS.200011 operation in progress', api(409, 'DBS.200011'), true],
    ['409 DBS.200019 operation in progress', api(409, 'DBS.200019'), true],
    ['409 DBS.200047 operation in progress', api(409, 'DBS.200047'), true],
    ['409 DBS.201202 operation in progress', api(409, 'DBS.201202'), true],
    ['409 DBS.201205 backup in progress', api(409, 'DBS.201205'), true],
    ['409 DBS.212006 another operation', api(409, 'DBS.212006'), true],
    // The instance's state: permanent, unless the run knows it is on its way back to ACTIVE (next test).
    ['400 DBS.201014 instance state', api(400, 'DBS.201014'), false],
    ['409 with another code', api(409, 'DBS.200001'), false],
    ['409 without a code', api(409), false],
    // The gateway's throttling code decides, whatever status it comes with.
    ['APIG.0308 throttled (429)', api(429, 'APIG.0308'), true],
    ['APIG.0308 throttled (400)', api(400, 'APIG.0308'), true],
    ['APIG.0301 authentication', api(401, 'APIG.0301'), false],
    ['connection reset', new NetworkError('ECONNRESET', URL_), true],
    ['connection refused', new NetworkError('ECONNREFUSED', URL_), true],
    ['socket timeout', new NetworkError('ETIMEDOUT', URL_), true],
    ['refused https→http redirect', new NetworkError('EREDIRECT', URL_), false],
    ['cut-off body (transient)', new ResponseError('not JSON', { transient: true }), true],
    ['missing field (not transient)', new ResponseError("field 'list' is missing"), false],
    ['a plain Error (a bug, not weather)', new Error('boom'), false],
    ['cancelled', new CancelledError(), false],
  ];
  for (const [name, err, retry] of rows) assert.equal(classify(err).retry, retry, name);
});

test('classify: the state codes are retried only when asked for (an instance known not to be ACTIVE yet)', () => {
  for (const code of ['DBS.201014', 'DBS.200086', 'DBS.01280030']) {
    assert.equal(classify(api(400, code)).retry, false, code);
    assert.equal(classify(api(400, code), STATE_CODES).retry, true, code);
  }
  assert.equal(classify(api(400, 'DBS.200001'), STATE_CODES).retry, false, 'a bad parameter stays permanent');
});

test('classify: the reason is the error message, and Retry-After is passed on', () => {
  const e = api(429, 'APIG.0308', 7_000);
  const v = classify(e);
  assert.ok(v.retry);
  assert.equal(v.reason, e.message);
  assert.equal(v.afterMs, 7_000);
  const plain = classify(api(503));
  assert.ok(plain.retry);
  assert.equal(plain.afterMs, undefined);
});

test('backoff: full jitter, bounded by the cap, never below the 1 s minimum', () => {
  for (let attempt = 1; attempt <= 40; attempt++) {
    for (const r of [0, 0.001, 0.25, 0.5, 0.75, 0.999999]) {
      const ms = backoffMs(attempt, { random: () => r });
      assert.ok(ms >= 1_000, `attempt ${attempt}, random ${r}: ${ms}`);
      assert.ok(ms <= 30_000, `attempt ${attempt}, random ${r}: ${ms}`);
    }
  }
  // The ceiling doubles per attempt until the cap.
  assert.equal(backoffMs(1, { random: () => 0.999999 }), 1_000);
  assert.equal(backoffMs(3, { random: () => 0.5 }), 2_000);
  assert.equal(backoffMs(4, { random: () => 0.999999 }), 8_000);
  assert.equal(backoffMs(20, { random: () => 0.999999 }), 30_000);
  assert.equal(backoffMs(20, { random: () => 0.999999, capMs: 5_000 }), 5_000);
  // Full jitter: the wait spreads across the whole range, not just near the ceiling.
  assert.equal(backoffMs(10, { random: () => 0.1 }), 3_000);
  assert.equal(backoffMs(10, { random: () => 0 }), 1_000);
});

function options(clock: FakeClock, extra: Partial<RetryOptions> = {}): RetryOptions & { lines: string[] } {
  const lines: string[] = [];
  return { clock, deadline: clock.now() + 10 * 60_000, log: (l) => lines.push(l), random: () => 0.5, lines, ...extra };
}

test('withRetry: retries transient failures, logging one line per retry with its cause', async () => {
  const clock = fakeClock();
  const o = options(clock);
  const failures = [api(503), new NetworkError('ECONNRESET', URL_, 'connection reset by peer')];
  let calls = 0;
  const result = await withRetry('errorlog-download', async () => {
    calls++;
    const f = failures.shift();
    if (f) throw f;
    return 'answer';
  }, o);
  assert.equal(result, 'answer');
  assert.equal(calls, 3);
  assert.equal(o.lines.length, 2);
  assert.match(o.lines[0] ?? '', /errorlog-download: attempt 1 failed \(.*HTTP 503.*\); retrying in/);
  assert.match(o.lines[1] ?? '', /attempt 2 failed \(connection reset by peer/);
  assert.equal(clock.sleeps.length, 2);
});

test('withRetry: a failure not worth retrying is thrown at once, unchanged', async () => {
  const clock = fakeClock();
  const o = options(clock);
  const e = api(401, 'DBS.280056');
  let calls = 0;
  await assert.rejects(withRetry('x', async () => { calls++; throw e; }, o), (got) => got === e);
  assert.equal(calls, 1);
  assert.deepEqual(clock.sleeps, []);
  assert.deepEqual(o.lines, []);
});

test('withRetry: Retry-After is honoured when longer than the backoff', async () => {
  const clock = fakeClock();
  const o = options(clock);
  let calls = 0;
  await withRetry('x', async () => {
    if (++calls === 1) throw api(429, 'APIG.0308', 17_000);
    return 1;
  }, o);
  assert.deepEqual(clock.sleeps, [17_000]);
  assert.match(o.lines[0] ?? '', /retrying in 17s/);
});

test('withRetry: a Retry-After of 0 does not bypass the 1 s minimum', async () => {
  const clock = fakeClock();
  let calls = 0;
  await withRetry('x', async () => {
    if (++calls === 1) throw api(429, undefined, 0);
    return 1;
  }, options(clock, { random: () => 0 }));
  assert.deepEqual(clock.sleeps, [1_000]);
});

test('withRetry: a wait drawn past the deadline is cut to it, the last attempt comes then; after it, a TimeoutError naming the last cause', async () => {
  const clock = fakeClock();
  const start = clock.now();
  const o = options(clock, { deadline: start + 2_500, random: () => 0.999999 });
  const causes = [api(503, undefined), api(502, 'APIG.1009'), api(500, 'DBS.108000')];
  const at: number[] = [];
  await assert.rejects(
    withRetry('errorlog-download', async () => {
      at.push(clock.now() - start);
      throw causes[Math.min(at.length - 1, causes.length - 1)];
    }, o),
    (e: unknown) => {
      assert.ok(e instanceof TimeoutError, String(e));
      assert.match(e.message, /gave up after 3 attempts/);
      assert.match(e.message, /HTTP 500 DBS\.108000/);
      assert.doesNotMatch(e.message, /HTTP 502/);
      return true;
    },
  );
  // The first wait (1 s) fit before the deadline; the second (2 s, drawn at 1 s) was cut to the deadline's 1.5 s.
  assert.deepEqual(at, [0, 1_000, 2_500]);
  assert.equal(clock.now(), o.deadline);
});

test('withRetry: less than the minimum spacing left, or a Retry-After past the deadline, gives up at once', async () => {
  for (const [left, retryAfterMs] of [[900, undefined], [5_000, 6_000]] as const) {
    const clock = fakeClock();
    const o = options(clock, { deadline: clock.now() + left });
    let calls = 0;
    await assert.rejects(withRetry('errorlog-download', async () => {
      calls++;
      throw api(429, 'APIG.0308', retryAfterMs);
    }, o), (e: unknown) => e instanceof TimeoutError && /gave up after 1 attempt, 'timeout' leaves no time for another; last error: .*HTTP 429 APIG\.0308/.test(e.message));
    assert.equal(calls, 1, `${left} ms left`);
  }
});

test('withRetry: never more than 60 attempts in any minute of fake time, whatever fails', async () => {
  const failures: Array<() => unknown> = [
    () => api(429, 'APIG.0308', 0),
    () => api(503),
    () => new NetworkError('ECONNREFUSED', URL_),
    () => new ResponseError('cut off', { transient: true }),
  ];
  for (const random of [() => 0, Math.random]) {
    for (const make of failures) {
      const clock = fakeClock();
      const at: number[] = [];
      await assert.rejects(
        withRetry('x', async () => {
          at.push(clock.now());
          // Far more than 5 minutes allow: stop a runaway loop with an error this test does not expect.
          if (at.length > 1_000) throw new Error(`runaway: ${at.length} attempts in ${clock.now() - (at[0] as number)} ms`);
          throw make();
        }, options(clock, { deadline: clock.now() + 5 * 60_000, random, capMs: 2_000 })),
        TimeoutError,
      );
      assert.ok(at.length > 60, `the test must actually reach the limit (${at.length} attempts)`);
      for (let i = 0; i + 60 < at.length; i++) {
        assert.ok((at[i + 60] as number) - (at[i] as number) >= 60_000, `61 attempts within ${(at[i + 60] as number) - (at[i] as number)} ms`);
      }
    }
  }
});

test('withRetry: an aborted signal stops it with CancelledError', async () => {
  const clock = fakeClock();
  const ac = new AbortController();
  ac.abort();
  let calls = 0;
  await assert.rejects(withRetry('x', async () => { calls++; return 1; }, options(clock, { signal: ac.signal })), CancelledError);
  assert.equal(calls, 0);

  // Aborted while a call was failing: cancelled, not retried and not reported as that failure.
  const ac2 = new AbortController();
  calls = 0;
  await assert.rejects(withRetry('x', async () => {
    calls++;
    ac2.abort();
    throw api(503);
  }, options(clock, { signal: ac2.signal })), CancelledError);
  assert.equal(calls, 1);
});

test('retryAfterMs: delta-seconds', () => {
  const now = Date.parse('2026-11-28T10:00:00Z');
  assert.equal(retryAfterMs('120', now), 120_000);
  assert.equal(retryAfterMs(' 5 ', now), 5_000);
  assert.equal(retryAfterMs('0', now), 0);
});

test('retryAfterMs: HTTP-date, relative to now, never negative', () => {
  const now = Date.parse('2026-11-28T10:00:00Z');
  assert.equal(retryAfterMs('Sat, 28 Nov 2026 10:00:30 GMT', now), 30_000);
  assert.equal(retryAfterMs('Sat, 28 Nov 2026 09:59:00 GMT', now), 0);
});

test('retryAfterMs: absent or unreadable gives undefined', () => {
  const now = Date.parse('2026-11-28T10:00:00Z');
  assert.equal(retryAfterMs(undefined, now), undefined);
  assert.equal(retryAfterMs('', now), undefined);
  assert.equal(retryAfterMs('soon', now), undefined);
});

test('withRetry: cancelled while a call fails with an error not worth retrying: CancelledError, not that error', async () => {
  const ac = new AbortController();
  await assert.rejects(withRetry('x', async () => {
    ac.abort();
    throw api(401, 'DBS.280056');
  }, options(fakeClock(), { signal: ac.signal })), CancelledError);
});
