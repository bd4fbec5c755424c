import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollAllUntilReady, pollUntilReady, type PollOptions } from '../../src/core/poll.ts';
import { parseErrorlogAnswer, type ErrorlogAnswer } from '../../src/cloud/rds.ts';
import { ApiError, CancelledError, PreparationFailedError, TimeoutError } from '../../src/core/errors.ts';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { fakeClock, type FakeClock } from '../support/fake-clock.ts';


function options(clock: FakeClock, extra: Partial<PollOptions> = {}): PollOptions & { lines: string[] } {
  const lines: string[] = [];
  const timeoutMs = extra.timeoutMs ?? 10 * 60_000;
  return { clock, deadline: clock.now() + timeoutMs, timeoutMs, intervalMs: 5_000, log: (l) => lines.push(l), random: () => 0.5, lines, ...extra };
}

const creating = (): ErrorlogAnswer => ({ status: 'CREATING', items: [], requestId: 'req-c' });
const finish = (): ErrorlogAnswer => ({
  status: 'FINISH',
  requestId: 'req-f',
  items: [{ workflowId: 'wf', fileName: 'postgresql.log', status: 'SUCCESS', fileSize: 10, fileLink: 'https://obs.example/x?Signature=s', createdAt: 1 }],
});

/** Answers with each of `answers` in turn (an Error is thrown), counting calls. */
function scripted(answers: Array<ErrorlogAnswer | Error>): { call: () => Promise<ErrorlogAnswer>; calls: () => number } {
  let n = 0;
  return {
    calls: () => n,
    call: async () => {
      const a = answers[Math.min(n, answers.length - 1)];
      n++;
      if (a instanceof Error) throw a;
      return a as ErrorlogAnswer;
    },
  };
}

test('CREATING three times then FINISH: four calls, one interval between each', async () => {
  const clock = fakeClock();
  const o = options(clock);
  const s = scripted([creating(), creating(), creating(), finish()]);
  const r = await pollUntilReady(s.call, o);
  assert.equal(r.answer.status, 'FINISH');
  assert.equal(r.answer.items.length, 1);
  assert.equal(s.calls(), 4);
  assert.equal(r.polls, 4);
  assert.deepEqual(clock.sleeps, [5_000, 5_000, 5_000]);
  assert.equal(r.waitedMs, 15_000);
});

test('FINISH at once: one call, no wait', async () => {
  const clock = fakeClock();
  const s = scripted([finish()]);
  const r = await pollUntilReady(s.call, options(clock));
  assert.equal(s.calls(), 1);
  assert.deepEqual(clock.sleeps, []);
  assert.equal(r.polls, 1);
});

test('the log says it is preparing, then how long it has been waiting', async () => {
  const clock = fakeClock();
  const o = options(clock);
  await pollUntilReady(scripted([creating(), creating(), finish()]).call, o);
  assert.equal(o.lines.length, 2);
  assert.match(o.lines[0] ?? '', /preparing the error log files \(CREATING\)/);
  assert.match(o.lines[1] ?? '', /still CREATING after 5s \(2 calls\)/);
});

test('FAILED ends the wait with PreparationFailedError naming the status and request id', async () => {
  const clock = fakeClock();
  const s = scripted([creating(), { status: 'FAILED', items: [], requestId: 'req-failed-1' }, finish()]);
  await assert.rejects(pollUntilReady(s.call, options(clock)), (e: unknown) => {
    assert.ok(e instanceof PreparationFailedError, String(e));
    assert.match(e.message, /FAILED after 2 calls/);
    assert.match(e.message, /req-failed-1/);
    return true;
  });
  assert.equal(s.calls(), 2);
});

test('timeout: TimeoutError says it timed out waiting, names the last status, and stays within the deadline', async () => {
  const clock = fakeClock();
  const o = options(clock, { timeoutMs: 30_000 });
  const s = scripted([creating()]);
  await assert.rejects(pollUntilReady(s.call, o), (e: unknown) => {
    assert.ok(e instanceof TimeoutError, String(e));
    assert.match(e.message, /^Timed out waiting for RDS to prepare the error logs/);
    assert.match(e.message, /still CREATING after 30s and 7 calls/);
    assert.match(e.message, /'timeout' is 30s/);
    return true;
  });
  // Calls at 0, 5, ... 30 s: every one the timeout allows, none after it.
  assert.equal(s.calls(), 7);
  assert.ok(clock.now() <= o.deadline);
});

test('a first call that uses up the timeout: the message says "1 call", as a person would write it', async () => {
  const clock = fakeClock();
  const o = options(clock, { timeoutMs: 1_000 });
  const s = scripted([creating()]);
  // The one call takes longer than the whole timeout (a slow API): no second call fits.
  const slow = async (): Promise<ErrorlogAnswer> => { await clock.sleep(2_000); return s.call(); };
  await assert.rejects(pollUntilReady(slow, o), (e: unknown) => {
    assert.ok(e instanceof TimeoutError, String(e));
    assert.match(e.message, /still CREATING after 2s and 1 call \(/);
    return true;
  });
  assert.equal(s.calls(), 1);
});

test('timeout 2s, poll-interval 1s: the last call comes at the deadline, not an interval early', async () => {
  const clock = fakeClock();
  const o = options(clock, { timeoutMs: 2_000, intervalMs: 1_000 });
  const at: number[] = [];
  const started = clock.now();
  // Each call takes 100 ms: the second ends at 1.2 s, when a full interval would pass the deadline.
  const call = async (): Promise<ErrorlogAnswer> => {
    at.push(clock.now() - started);
    await clock.sleep(100);
    return at.length === 3 ? finish() : creating();
  };
  const r = await pollUntilReady(call, o);
  assert.equal(r.answer.status, 'FINISH');
  assert.deepEqual(at, [0, 1_100, 2_000]);
});

test('an undocumented status is waited through and named in the timeout message', async () => {
  const clock = fakeClock();
  const o = options(clock, { timeoutMs: 12_000 });
  const s = scripted([{ status: 'EXPORTING', items: [], requestId: undefined }]);
  await assert.rejects(pollUntilReady(s.call, o), (e: unknown) => {
    assert.ok(e instanceof TimeoutError, String(e));
    assert.match(e.message, /still EXPORTING after 12s and 4 calls/);
    return true;
  });
  assert.match(o.lines[0] ?? '', /status EXPORTING, which the API does not document/);
});

test('lower-case statuses (as in the spec example) are understood', async () => {
  const clock = fakeClock();
  const answers = [
    parseErrorlogAnswer({ list: [], status: 'creating', count: 0 }, 'r1'),
    parseErrorlogAnswer({
      list: [{ workflow_id: 'wf', file_name: 'postgresql.log', status: 'success', file_size: '42', file_link: 'obs.example:443/b/k?Signature=s', create_at: 1 }],
      status: 'finish',
      count: 1,
    }, 'r2'),
  ];
  const s = scripted(answers);
  const r = await pollUntilReady(s.call, options(clock));
  assert.equal(s.calls(), 2);
  assert.equal(r.answer.status, 'FINISH');
  assert.equal(r.answer.items[0]?.status, 'SUCCESS');
  assert.equal(r.answer.items[0]?.fileSize, 42);
});

test('a transient API error is retried inside a poll, and counted as a call (as the rate limit counts it)', async () => {
  const clock = fakeClock();
  const o = options(clock);
  const busy = new ApiError('errorlog-download', { status: 409, errorCode: 'DBS.200011', errorMsg: 'Another operation is in progress' });
  const s = scripted([creating(), busy, finish()]);
  const r = await pollUntilReady(s.call, o);
  assert.equal(s.calls(), 3);
  assert.equal(r.polls, 3);
  assert.ok(o.lines.some((l) => l.includes('DBS.200011')), o.lines.join('\n'));
});

test('a call that cannot succeed is not polled again', async () => {
  const clock = fakeClock();
  const denied = new ApiError('errorlog-download', { status: 401, errorCode: 'DBS.280056' });
  const s = scripted([creating(), denied, finish()]);
  await assert.rejects(pollUntilReady(s.call, options(clock)), (e) => e === denied);
  assert.equal(s.calls(), 2);
});

test('an abort during a call stops polling with CancelledError', async () => {
  const clock = fakeClock();
  const ac = new AbortController();
  let calls = 0;
  const call = async (): Promise<ErrorlogAnswer> => {
    calls++;
    if (calls === 2) ac.abort();
    return creating();
  };
  await assert.rejects(pollUntilReady(call, options(clock, { signal: ac.signal })), CancelledError);
  assert.equal(calls, 2);
});

test('an abort during the wait between polls stops polling', async () => {
  const base = fakeClock();
  const ac = new AbortController();
  // The wait is where the abort lands: the clock's sleep sees the signal go off.
  const clock: FakeClock = {
    ...base,
    sleep: async (ms, signal) => {
      ac.abort();
      await base.sleep(ms, signal);
    },
  };
  const s = scripted([creating()]);
  await assert.rejects(pollUntilReady(s.call, options(clock, { signal: ac.signal })), CancelledError);
  assert.equal(s.calls(), 1);
});

test('with the real clock, an abort during a retry backoff is CancelledError too', { timeout: 10_000 }, async () => {
  const ac = new AbortController();
  const s = scripted([new ApiError('errorlog-download', { status: 503 })]);
  await assert.rejects(pollUntilReady(s.call, {
    clock: systemClock,
    deadline: Date.now() + 600_000,
    timeoutMs: 600_000,
    intervalMs: 1_000,
    // The retry line comes just before the one-minute backoff: abort once that has begun.
    log: () => setImmediate(() => ac.abort()),
    signal: ac.signal,
    baseMs: 60_000,
    minDelayMs: 60_000,
  }), CancelledError);
  assert.equal(s.calls(), 1);
});

// A wait that slept its minute out would overrun this test's own timeout, and its sleep would have resolved.
test('with the real clock, an abort interrupts a long wait at once instead of sleeping it out', { timeout: 10_000 }, async () => {
  const ac = new AbortController();
  const s = scripted([creating()]);
  const sleeps: Array<{ ms: number; ended?: string }> = [];
  const clock: Clock = {
    now: systemClock.now,
    sleep: async (ms, signal) => {
      const sleep: { ms: number; ended?: string } = { ms };
      sleeps.push(sleep);
      const slept = systemClock.sleep(ms, signal);
      setImmediate(() => ac.abort());
      try {
        await slept;
        sleep.ended = 'elapsed';
      } catch (e) {
        sleep.ended = (e as Error).name;
        throw e;
      }
    },
  };
  await assert.rejects(pollUntilReady(s.call, {
    clock,
    deadline: Date.now() + 600_000,
    timeoutMs: 600_000,
    intervalMs: 60_000,
    log: () => {},
    signal: ac.signal,
  }), CancelledError);
  assert.deepEqual(sleeps, [{ ms: 60_000, ended: 'AbortError' }], 'the one-minute wait was cut short by the abort');
  assert.equal(s.calls(), 1);
});

test('two log types share the rate: one call per interval in all, in turn, until each is ready', async () => {
  const clock = fakeClock();
  const o = options(clock);
  const started = clock.now();
  const at: Array<[string, number]> = [];
  const exporting: ErrorlogAnswer = { ...finish(), items: [{ ...finish().items[0]!, status: 'EXPORTING', fileLink: undefined }] };
  const target = (what: string, answers: ErrorlogAnswer[]) => {
    const s = scripted(answers);
    return { what, label: what, call: () => { at.push([what, clock.now() - started]); return s.call(); } };
  };
  const [error, slow] = await pollAllUntilReady([
    target('error', [creating(), finish()]),
    target('slow', [creating(), exporting, exporting, finish()]),
  ], o);
  assert.deepEqual(at, [['error', 0], ['slow', 5_000], ['error', 10_000], ['slow', 15_000], ['slow', 20_000], ['slow', 25_000]]);
  assert.equal(error!.polls, 2);
  assert.equal(slow!.polls, 4);
  assert.ok(slow && 'answer' in slow);
  assert.equal(slow.answer.items[0]!.status, 'SUCCESS', 'files still EXPORTING are waited through');
  assert.match(o.lines.join('\n'), /still exporting them \(EXPORTING\)/);
});

test('one of several types failing (refused, FAILED, not ready in time) is given up alone; the others still come', async () => {
  const clock = fakeClock();
  const o = options(clock);
  const refused = (): Promise<ErrorlogAnswer> => Promise.reject(new ApiError('slowlog-download', { status: 403, errorCode: 'DBS.200010' }));
  const [error, slow] = await pollAllUntilReady([
    { what: 'errorlog-download', label: 'error log', call: scripted([creating(), creating(), finish()]).call },
    { what: 'slowlog-download', label: 'slow-query log', call: refused },
  ], o);
  assert.ok(error && 'answer' in error && error.polls === 3);
  assert.ok(slow && 'error' in slow && slow.error instanceof ApiError && slow.error.status === 403);
  // FAILED for one, and the other not ready before the deadline: each with its own error.
  const failed: ErrorlogAnswer = { ...creating(), status: 'FAILED' };
  const late = await pollAllUntilReady([
    { what: 'errorlog-download', label: 'error log', call: scripted([failed]).call },
    { what: 'slowlog-download', label: 'slow-query log', call: scripted(Array.from({ length: 500 }, creating)).call },
  ], o).then(() => undefined, (e: unknown) => e);
  assert.ok(late instanceof PreparationFailedError, `all failed: the first failure is thrown (${String(late)})`);
});
