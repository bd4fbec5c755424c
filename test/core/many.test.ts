// Several instances in this process: the RDS emulator on a real socket, the clock injected, so minutes of
// polling take milliseconds and the shared rate limit can be seen in the emulator's request times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRdsEmulator, DEFAULT_INSTANCE_ID } from '../../emulator/rds.ts';
import { readConfig } from '../../src/core/config.ts';
import { collectMany, newManyReport } from '../../src/core/many.ts';
import { createHttpTransport } from '../../src/cloud/http.ts';
import { Redactor } from '../../src/core/redact.ts';
import type { Logger } from '../../src/core/ports.ts';
import { fakeClock } from '../support/fake-clock.ts';
import { errorlogLimit, type RateLimit } from '../../src/core/limiter.ts';

const quiet: Logger = { info: () => {}, warning: () => {}, error: () => {}, debug: () => {}, mask: () => {}, group: (_n, fn) => fn() };
const OTHER = 'b0b1b2b3b4b5b6b7b8b9c0c1c2c3c4c5in03';

test('instances polling together share one limit: every errorlog-download call waits its turn, 60 in any minute', async () => {
  const clock = fakeClock();
  const pg = { type: 'PostgreSQL', version: '16' };
  // 150 CREATING answers between them: with 1 s polls each, unlimited, they would make 120 calls a minute.
  const rds = await startRdsEmulator({
    creatingCalls: 150,
    now: clock.now,
    instances: [{ id: DEFAULT_INSTANCE_ID, name: 'a', status: 'ACTIVE', datastore: pg }, { id: OTHER, name: 'b', status: 'ACTIVE', datastore: pg }],
  });
  const out = await mkdtemp(join(tmpdir(), 'many-'));
  const values: Record<string, string> = {
    'instance-id': `${DEFAULT_INSTANCE_ID},${OTHER}`, 'project-id': rds.projectId, token: rds.token, endpoint: rds.url,
    'poll-interval': '1s', timeout: '6h', 'output-dir': out, upload: 'false',
  };
  const config = readConfig((n) => values[n] ?? '', { workDir: out, defaultOutputDir: () => out, defaultArtifactName: () => 'x', oidcUnavailable: 'no' });
  const t = { userAgent: 'test', socketTimeoutMs: 10_000 };
  const api = createHttpTransport({ ...t, followRedirects: false });
  const files = createHttpTransport({ ...t, followRedirects: true });
  try {
    // The limit collectMany makes (the same factory, so a wrong rate fails here), recording when each call was let
    // through. (The emulator's own request times would not do: with one fake clock, one instance's sleep moves
    // the time of the other's request.)
    const inner = errorlogLimit(clock);
    const taken: number[] = [];
    const limiter: RateLimit = { take: async (signal) => { await inner.take(signal); taken.push(clock.now()); } };
    const many = newManyReport(config);
    await collectMany(config, {
      api, files, clock, logger: quiet, redactor: new Redactor(), limiter,
      uploader: { upload: () => Promise.reject(new Error('no upload')) },
    }, many);
    assert.deepEqual(many.runs.map((r) => r.report.files.length), [1, 1]);
    assert.equal(taken.length, rds.errorlogRequests().length, 'every errorlog-download call of both instances passed the one limit');
    const at = taken;
    assert.ok(at.length >= 150, `${at.length} calls`);
    for (let i = 60; i < at.length; i++) {
      assert.ok(at[i]! - at[i - 60]! >= 60_000, `calls ${i - 60} and ${i} came ${at[i]! - at[i - 60]!} ms apart: 61 calls within a minute`);
    }
  } finally {
    api.close();
    files.close();
    await rds.close();
    await rm(out, { recursive: true, force: true });
  }
});
