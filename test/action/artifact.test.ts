// The uploader against the artifact emulator with the real @actions/artifact client: what a lost answer means.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startArtifactService } from '../../emulator/artifact-service.ts';
import { ArtifactError, createArtifactUploader } from '../../src/action/artifact.ts';
import type { Logger } from '../../src/core/ports.ts';

test('a 409 on a retry is a name conflict when an artifact of that name existed before the upload began', async (t) => {
  const svc = await startArtifactService();
  const saved = { ...process.env };
  Object.assign(process.env, svc.env);
  const dir = await mkdtemp(join(tmpdir(), 'artifact-test-'));
  t.after(async () => {
    process.env = saved;
    await svc.close();
    await rm(dir, { recursive: true, force: true });
  });
  await writeFile(join(dir, 'a.log'), 'one\n');
  const lines: string[] = [];
  const logger = { info: (m: string) => lines.push(m), warning: (m: string) => lines.push(`warning: ${m}`), error: () => undefined, debug: () => undefined, mask: () => undefined, group: <T>(_: string, fn: () => Promise<T>) => fn() } as Logger;
  // An earlier upload of the name (another job, or an earlier step). The clocks say nothing here (this one runs
  // a minute behind, as a skewed runner's might): what the service listed before the upload decides. Waits are
  // real, but at most a second (the listing on loopback answers within it).
  const clock = { now: () => Date.now() - 60_000, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 1_000))) };
  await createArtifactUploader(logger, { ...clock, now: () => Date.now() } as never).upload('db-logs', [join(dir, 'a.log')], dir, { compressionLevel: 1, overwrite: false, retentionDays: undefined });
  // This step's first attempt is lost before the service stores anything; its retry meets the earlier one.
  svc.failNext('CreateArtifact', 0);
  const before = svc.requests.length;
  await assert.rejects(
    createArtifactUploader(logger, clock as never).upload('db-logs', [join(dir, 'a.log')], dir, { compressionLevel: 1, overwrite: false, retentionDays: undefined }),
    (e: unknown) => e instanceof ArtifactError && /an artifact named 'db-logs' already exists in this workflow run/.test(e.message),
  );
  assert.ok(!lines.some((l) => l.startsWith('warning:')), lines.join('\n'));
  const calls = svc.requests.slice(before).map((q) => q.path.split('/').at(-1));
  assert.ok(calls.indexOf('ListArtifacts') !== -1 && calls.indexOf('ListArtifacts') < calls.indexOf('CreateArtifact'), `the name was looked up before this upload: ${calls.join(', ')}`);
});
