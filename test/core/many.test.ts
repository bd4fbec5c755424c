// Several instances in this process: the RDS emulator on a real socket, the clock injected, so minutes of
// polling take milliseconds and the shared rate limit can be seen in the emulator's request times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRdsEmulator, DEFAULT_INSTANCE_ID, type RdsEmulator, type RdsEmulatorOptions } from '../../emulator/rds.ts';
import { readConfig, type Config } from '../../src/core/config.ts';
import { collectMany, newManyReport } from '../../src/core/many.ts';
import { collect, newReport } from '../../src/core/run.ts';
import { createHttpTransport, type HttpTransport } from '../../src/cloud/http.ts';
import { systemClock } from '../../src/core/clock.ts';
import { Redactor } from '../../src/core/redact.ts';
import type { Logger } from '../../src/core/ports.ts';
import { fakeClock } from '../support/fake-clock.ts';
import { errorlogLimit, type RateLimit } from '../../src/core/limiter.ts';

const quiet: Logger = { info: () => {}, warning: () => {}, error: () => {}, debug: () => {}, mask: () => {}, group: (_n, fn) => fn() };
const OTHER = 'b0b1b2b3b4b5b6b7b8b9c0c1c2c3c4c5in03';
const PG = { type: 'PostgreSQL', version: '16' };
const noUpload = { upload: (): Promise<never> => Promise.reject(new Error('no upload')) };

test('instances polling together share one limit: every errorlog-download call waits its turn, 60 in any minute', async () => {
  const clock = fakeClock();
  // 150 CREATING answers between them: with 1 s polls each, unlimited, they would make 120 calls a minute.
  const emulator = {
    creatingCalls: 150,
    now: clock.now,
    instances: [{ id: DEFAULT_INSTANCE_ID, name: 'a', status: 'ACTIVE', datastore: PG }, { id: OTHER, name: 'b', status: 'ACTIVE', datastore: PG }],
  };
  await withCollect(emulator, { 'instance-id': `${DEFAULT_INSTANCE_ID},${OTHER}`, timeout: '6h' }, async ({ config, api, files, rds }) => {
    // The limit collectMany makes (the same factory, so a wrong rate fails here), recording when each call was let
    // through. (The emulator's own request times would not do: with one fake clock, one instance's sleep moves
    // the time of the other's request.)
    const inner = errorlogLimit(clock);
    const taken: number[] = [];
    const limiter: RateLimit = { take: async (signal) => { await inner.take(signal); taken.push(clock.now()); } };
    const many = newManyReport(config);
    await collectMany(config, {
      api, files, clock, logger: quiet, redactor: new Redactor(), limiter,
      uploader: noUpload,
    }, many);
    assert.deepEqual(many.runs.map((r) => r.report.files.length), [1, 1]);
    assert.equal(taken.length, rds.errorlogRequests().length, 'every errorlog-download call of both instances passed the one limit');
    const at = taken;
    assert.ok(at.length >= 150, `${at.length} calls`);
    for (let i = 60; i < at.length; i++) {
      assert.ok(at[i]! - at[i - 60]! >= 60_000, `calls ${i - 60} and ${i} came ${at[i]! - at[i - 60]!} ms apart: 61 calls within a minute`);
    }
  });
});

test('one upload for several instances is bounded from when it starts, not from when the first instance asked for it', async () => {
  const emulator = { instances: [{ id: DEFAULT_INSTANCE_ID, name: 'a', status: 'ACTIVE', datastore: PG }] };
  // The upload's bound is 4 s here (four request-timeouts); the second instance takes 5 s to fail.
  const inputs = { 'instance-id': `${DEFAULT_INSTANCE_ID},${OTHER}`, timeout: '3s', 'request-timeout': '1s', upload: 'true' };
  await withCollect(emulator, inputs, async ({ config, api: inner, files }) => {
    const api: HttpTransport = {
      request: async (m, u, h, b) => {
        if (u.href.includes(OTHER)) await new Promise((r) => setTimeout(r, 5_000));
        return inner.request(m, u, h, b);
      },
      close: () => inner.close(),
    };
    const signals: Array<boolean | undefined> = [];
    const many = newManyReport(config);
    const failed = await collectMany(config, {
      api, files, clock: systemClock, logger: quiet, redactor: new Redactor(),
      uploader: { upload: async (_n, f, _r, _o, signal) => { signals.push(signal?.aborted); return { id: 7, size: f.length, digest: undefined }; } },
    }, many).then(() => undefined, (e: unknown) => e);
    assert.deepEqual(signals, [false], 'one upload, its bound not spent before it began');
    assert.equal(many.artifact?.id, 7);
    assert.match(String(failed), /1 of 2 instances failed: b0b1b2b3b4b5b6b7b8b9c0c1c2c3c4c5in03:/);
  });
});

/**
 * collect against an emulator started with `emulator`, in a fresh output folder, with `inputs` over a token run
 * of the default instance (polls of 1 s, no upload); `prepare` may plant something in the folder first.
 */
async function withCollect(emulator: RdsEmulatorOptions, inputs: Record<string, string>, fn: (o: { config: Config; api: HttpTransport; files: HttpTransport; rds: RdsEmulator; out: string }) => Promise<void>, prepare?: (out: string) => Promise<void>): Promise<void> {
  const rds = await startRdsEmulator({ creatingCalls: 0, ...emulator });
  const out = await mkdtemp(join(tmpdir(), 'many-'));
  await prepare?.(out);
  const values: Record<string, string> = {
    'instance-id': DEFAULT_INSTANCE_ID, 'project-id': rds.projectId, token: rds.token, endpoint: rds.url,
    'poll-interval': '1s', timeout: '10m', 'output-dir': out, upload: 'false', ...inputs,
  };
  const config = readConfig((n) => values[n] ?? '', { workDir: out, defaultOutputDir: () => out, defaultArtifactName: () => 'x', oidcUnavailable: 'no' });
  const t = { userAgent: 'test', socketTimeoutMs: 10_000 };
  const api = createHttpTransport({ ...t, followRedirects: false });
  const files = createHttpTransport({ ...t, followRedirects: true });
  try {
    await fn({ config, api, files, rds, out });
  } finally {
    api.close();
    files.close();
    await rds.close();
    await rm(out, { recursive: true, force: true });
  }
}

test('an earlier instance slow to be found holds a later one\'s files for one request-timeout at most, and no two share a folder', async () => {
  const THIRD = 'c0c1c2c3c4c5c6c7c8c9d0d1d2d3d4d5in03';
  // All three named alike: their folders are shop-db, shop-db-2, shop-db-3 in some order.
  const emulator = {
    files: [{ name: 'postgresql.log', data: Buffer.from('x\n') }],
    instances: [DEFAULT_INSTANCE_ID, OTHER, THIRD].map((id) => ({ id, name: 'shop-db', status: 'ACTIVE', datastore: PG })),
  };
  await withCollect(emulator, { 'instance-id': `${DEFAULT_INSTANCE_ID},${OTHER},${THIRD}`, timeout: '1m', 'request-timeout': '1s' }, async ({ config, api: inner, files, out }) => {
    const events: string[] = [];
    // The second instance's lookup answers 5 s late (an API slow for it alone).
    const api: HttpTransport = {
      request: async (method, url, headers, body) => {
        const res = await inner.request(method, url, headers, body);
        if (url.pathname.endsWith('/instances') && url.searchParams.get('id') === OTHER) {
          await new Promise((resolve) => setTimeout(resolve, 5_000));
          events.push('second found');
        }
        return res;
      },
      close: () => inner.close(),
    };
    const logger: Logger = { ...quiet, info: (m) => { events.push(m); } };
    const many = newManyReport(config);
    await collectMany(config, { api, files, clock: systemClock, logger, redactor: new Redactor(), uploader: noUpload }, many);
    const fetched = events.findIndex((e) => e.startsWith(`[${THIRD}] ✓`));
    assert.ok(fetched >= 0 && fetched < events.indexOf('second found'), `the third's files came before the second was found:\n${events.join('\n')}`);
    const folders = many.runs.map((r) => r.report.outputDir);
    assert.equal(new Set(folders).size, 3, folders.join(', '));
    assert.equal(many.runs[0]!.report.outputDir, join(out, 'shop-db'));
  });
});

/**
 * log-type all for one instance against an emulator whose error log is ready at once and whose slow-query log
 * exports for ever; `blocked`: a file stands where the error logs' folder must go, so their batch fails.
 */
function allTypes(blocked: boolean, fn: Parameters<typeof withCollect>[2]): Promise<void> {
  return withCollect({ exportingCalls: 1_000_000, files: [{ name: 'postgresql.log', data: Buffer.from('x\n') }], slowFiles: [{ name: 'slow.log', size: 10 }] }, { 'log-type': 'all' }, fn,
    blocked ? (out) => writeFile(join(out, 'error'), 'not a folder') : undefined);
}

/** Waits 2.5 s and checks no slow-query log call was made meanwhile (the run has ended). */
async function noMoreSlowCalls(rds: RdsEmulator): Promise<void> {
  const calls = rds.slowlogRequests().length;
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(rds.slowlogRequests().length, calls, 'slow-query log calls after the run ended');
}

test('log-type all: a run that fails while the other type is still asked for stops asking (nothing outlives collect)', async () => {
  await allTypes(true, async ({ config, api, files, rds }) => {
    await assert.rejects(collectMany(config, { api, files, clock: systemClock, logger: quiet, redactor: new Redactor(), uploader: noUpload }, newManyReport(config)), { code: 'EEXIST' });
    // The transports are still open, as a caller's may be: the slow-query log is not asked for again.
    await noMoreSlowCalls(rds);
  });
});

test('log-type all: a call waiting its turn in a busy shared limit when the run fails does not go out', async () => {
  await allTypes(true, async ({ config, api, files, rds, out }) => {
    // Each turn 1.5 s late, as a limit other instances share; the folder comes 1.2 s late (an earlier instance to
    // be found first), so the slow-query log's next call is waiting its turn when the error batch fails.
    const limiter: RateLimit = { take: (signal) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 1_500);
      signal?.addEventListener('abort', () => { clearTimeout(timer); reject(new Error('aborted')); }, { once: true });
    }) };
    const folderFor = async (): Promise<string> => { await new Promise((r) => setTimeout(r, 1_200)); return out; };
    await assert.rejects(collect(config, { api, files, clock: systemClock, logger: quiet, redactor: new Redactor(), limiter, folderFor, uploader: noUpload }, newReport(out)), { code: 'EEXIST' });
    await noMoreSlowCalls(rds);
  });
});

test("a file failing until 'timeout' is given up a tenth of it early (at most 30 s): the files that came are read in that time", async () => {
  const clock = fakeClock();
  const fatal = Buffer.from('2026-11-28 09:00:01 UTC [102] FATAL:  password authentication failed for user "app"\n'.repeat(1_000));
  const emulator = { now: clock.now, files: [{ name: 'a.log', data: fatal }, { name: 'b.log', data: Buffer.from('x\n') }] };
  await withCollect(emulator, { timeout: '10m' }, async ({ config, api, files, rds, out }) => {
    rds.failFile('b.log', { kind: 'status', status: 503 }, 100_000);
    const start = clock.now();
    const report = newReport(out);
    await assert.rejects(collect(config, { api, files, clock, logger: quiet, redactor: new Redactor(), uploader: noUpload }, report), { name: 'IncompleteError' });
    const tries = rds.fileRequests.filter((q) => q.path.includes('errorlog-1-')).map((q) => q.at - start);
    assert.ok(tries.length > 5, `${tries.length} tries of b.log`);
    // 10 minutes: the last try comes by 9.5 (30 s kept), not at the deadline.
    assert.ok(tries.at(-1)! <= 570_000 && tries.at(-1)! > 500_000, `last try of b.log at ${tries.at(-1)} ms`);
    assert.equal(report.digest?.bySeverity.FATAL, 1_000, 'a.log read to its end');
  });
});

test("log-type all: cancelled while the other type is still asked for: the first type's digest kept, not 'prepared', every call counted", async () => {
  await allTypes(false, async ({ config, api, files, rds }) => {
    const cancel = new AbortController();
    // Cancelled once the error log is in and the slow-query log has been asked for twice more.
    let afterError = -1;
    const logger: Logger = { ...quiet, info: (m) => {
      if (m.startsWith('✓ error/')) afterError = 0;
      else if (afterError >= 0 && /slow-query logs: still/.test(m) && ++afterError === 2) cancel.abort();
    } };
    const many = newManyReport(config);
    await assert.rejects(collectMany(config, { api, files, clock: systemClock, logger, redactor: new Redactor(), signal: cancel.signal, uploader: noUpload }, many), (e: Error) => e.name === 'CancelledError');
    const report = many.runs[0]!.report;
    assert.equal(report.files.length, 1, 'the error log is kept');
    // And what it says, for the summary of the cancelled run.
    assert.equal(report.digest?.files.map((f) => f.name).join(), 'error/postgresql.log');
    assert.equal(report.status, undefined, 'the logs were not all prepared');
    assert.equal(report.polls, rds.errorlogRequests().length + rds.slowlogRequests().length);
  });
});

test('a live digest that fails (its code or thread) is not the end of the digest: the files are read afresh', async () => {
  const fatal = Buffer.from('2026-11-28 09:00:01 UTC [102] FATAL:  password authentication failed for user "app"\n'.repeat(100));
  await withCollect({ files: [{ name: 'a.log', data: fatal }] }, {}, async ({ config, api, files, out }) => {
    const report = newReport(out);
    const broken = (): { note: () => void; result: Promise<never> } => ({ note: () => {}, result: Promise.reject(new Error('Cannot find module chunks/arrivals.js')) });
    await collect(config, { api, files, clock: systemClock, logger: quiet, redactor: new Redactor(), uploader: noUpload, liveDigest: broken }, report);
    assert.equal(report.digest?.bySeverity.FATAL, 100);
  });
});
