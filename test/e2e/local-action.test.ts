// GitHub's own local runner for actions (@github/local-action) runs the action against the emulators, as a
// developer would with `npm run local-action`: from src/ (its stubbed @actions/core, its loader, its reading
// of action.yml; the digest worker started from the TypeScript source), and from dist/ (the bundle and its
// worker files, imported by local-action, which calls the exported run()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionInputs, startRdsEmulator } from '../../emulator/rds.ts';
import { startArtifactService } from '../../emulator/artifact-service.ts';
import { emulatorEnv, ENTRIES, runLocalAction } from '../../scripts/local-action.ts';
import { parseOutputs } from '../support/harness.ts';
import { STDERR_FIXTURES, fixture, grep } from '../support/pg-fixtures.ts';

/** The outputs as local-action's core stub reports them: one `::set-output name=…::…` line each. */
function outputsOf(log: string): Record<string, string> {
  return Object.fromEntries([...log.matchAll(/^::set-output name=([\w-]+)::(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

for (const [kind, entry] of Object.entries(ENTRIES)) test(`local-action runs ${entry} against the emulators: outputs, files, artifact and digest`, async () => {
  const files = await Promise.all(STDERR_FIXTURES.map(async (name) => ({ name, data: await readFile(fixture(name)) })));
  const [rds, artifacts] = await Promise.all([startRdsEmulator({ files, creatingCalls: 1 }), startArtifactService()]);
  const temp = await mkdtemp(join(tmpdir(), 'local-action-test-'));
  try {
    const envFile = join(temp, 'emulator.env');
    await writeFile(envFile, await emulatorEnv(actionInputs(rds), artifacts.env, temp));
    const { code, log } = await runLocalAction(envFile, entry);
    assert.equal(code, 0, log);
    assert.match(log, /Running Action/, 'local-action ran the entrypoint');
    assert.doesNotMatch(log, /could not read the logs|Cannot find module/, `the digest worker started from ${kind}/`);

    // src/ reports through local-action's stub of @actions/core; the bundle has its own, which writes GITHUB_OUTPUT.
    const out = kind === 'src' ? outputsOf(log) : parseOutputs(await readFile(join(temp, 'github-output'), 'utf8'));
    assert.equal(out['status'], 'FINISH');
    assert.equal(out['file-count'], String(files.length));
    // Counts from grep over the files, not from the code under test.
    for (const sev of ['ERROR', 'FATAL', 'PANIC']) {
      const want = files.reduce((n, f) => n + grep(fixture(f.name), new RegExp(`\\b${sev}:  `)).length, 0);
      assert.equal(out[`${sev.toLowerCase()}-count`], String(want), `${sev} count`);
    }
    assert.ok(Number(out['error-count']) > 0, 'the fixtures have errors');

    // The files on disk, byte for byte, and the artifact the artifact service received.
    for (const f of files) assert.ok((await readFile(join(out['output-dir'] ?? '', f.name))).equals(f.data), `${f.name} as served`);
    assert.deepEqual((await readdir(out['output-dir'] ?? '')).sort(), [...STDERR_FIXTURES].sort());
    assert.deepEqual(artifacts.artifacts().map((a) => a.id), [out['artifact-id']]);

    // The job summary (local-action's stub or the bundle's @actions/core wrote it), with the digest in it.
    const summary = await readFile(join(temp, 'step-summary.md'), 'utf8');
    assert.match(summary, /### What the PostgreSQL logs say/);
    assert.match(summary, /password authentication failed for user/);
  } finally {
    await Promise.all([rds.close(), artifacts.close()]);
    await rm(temp, { recursive: true, force: true });
  }
});

test('npm run local-action -- --dist prints the outputs, as the README says, though the bundle writes them to GITHUB_OUTPUT', async () => {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '../../scripts/local-action.ts'), '--dist'], { encoding: 'utf8', timeout: 120_000 });
  const temp = /are in (\S+)\s*$/.exec(r.stdout)?.[1];
  try {
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const printed = r.stdout.slice(r.stdout.indexOf('\nOutputs (from github-output):'));
    assert.match(printed, /^ {2}status: FINISH$/m);
    assert.match(printed, /^ {2}file-count: [1-9]\d*$/m);
    assert.match(printed, /^ {2}crash-count: \d+$/m);
  } finally {
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
  }
});
